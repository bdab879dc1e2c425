"""Views about one of the firm's Project Center projects, named by Project Center's own id in the URL.

Project Center projects are the tenancy core's rows, so every app's endpoints under `/projects/{pc_project_id}/`
build on this: the id's rule, its OpenAPI parameter and the firm-scoped lookup (another firm's project is a 404).
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from drf_spectacular.utils import OpenApiParameter

from connector_portal.api.base import FirmAPIView
from connector_portal.api.serializers import WHITESPACE
from connector_portal.models import ProjectCenterProject

# Every id a client may create must be addressable in a URL path segment. The id is trimmed of whitespace when it is
# created, so the pattern also refuses what trimming would leave blank, '.' or '..'.
PC_PROJECT_ID_PATTERN = (
    rf"^(?![{WHITESPACE}]*\.{{1,2}}[{WHITESPACE}]*$)(?=.*[^{WHITESPACE}])[^/\x00-\x1f\x7f]{{1,100}}$"
)
pc_project_id_validator = RegexValidator(
    PC_PROJECT_ID_PATTERN,
    "A Project Center project id is 1 to 100 characters, without '/' or control characters, and not '.' or '..'.",
)


ID_PARAMETER = OpenApiParameter(
    "pc_project_id",
    str,
    OpenApiParameter.PATH,
    description="Project Center's own id for the project (1 to 100 characters, no '/'), percent-encoded.",
    pattern=PC_PROJECT_ID_PATTERN,
)


class ProjectScopedView(FirmAPIView):
    """A view about one of the firm's projects, named by Project Center's id in the URL."""

    pagination_class = None

    def project(self) -> ProjectCenterProject:
        return self.get_firm_object(ProjectCenterProject.objects.all(), pc_project_id=self.kwargs["pc_project_id"])
