from __future__ import annotations

from django.db.models import QuerySet

from connector_portal.models import Firm
from connector_portal.tenancy import get_for_firm_or_404, scoped
from projects.models import ProjectCenterProject


def project_list(*, firm: Firm) -> QuerySet[ProjectCenterProject]:
    return scoped(ProjectCenterProject.objects.all(), firm=firm).order_by("name")


def project_get(*, firm: Firm, pc_project_id: str) -> ProjectCenterProject:
    return get_for_firm_or_404(ProjectCenterProject.objects.all(), firm=firm, pc_project_id=pc_project_id)
