"""`/api/v1/projects/`: Project Center projects, keyed by Project Center's own project id."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from connector_portal import services
from connector_portal.api.base import FirmViewSet, audit_actor
from connector_portal.api.errors import ApiError
from connector_portal.api.project_scope import ID_PARAMETER, pc_project_id_validator
from connector_portal.api.schema import error_responses
from connector_portal.api.serializers import StrictModelSerializer
from connector_portal.models import ProjectCenterProject


class ProjectSerializer(StrictModelSerializer):
    """A Project Center project. Unknown fields are refused; read-only fields are ignored."""

    pc_project_id = serializers.CharField(
        max_length=100,
        validators=[pc_project_id_validator],
        help_text="Project Center's own id for the project; unique in the firm and the key of its URL.",
    )

    class Meta:
        model = ProjectCenterProject
        fields = ("pc_project_id", "name", "number", "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")


class ProjectWriteSerializer(StrictModelSerializer):
    """For PUT and PATCH: the id is the one in the URL and cannot change."""

    class Meta:
        model = ProjectCenterProject
        fields = ("name", "number")


PROJECT_EXAMPLE = {
    "pc_project_id": "PC-2024-017",
    "name": "Riverside Library",
    "number": "2024-017",
    "created_at": "2025-01-15T09:30:00Z",
    "updated_at": "2025-02-01T14:05:00Z",
}
REQUEST_EXAMPLE = OpenApiExample(
    "A project",
    value={"pc_project_id": "PC-2024-017", "name": "Riverside Library", "number": "2024-017"},
    request_only=True,
)
UPDATE_EXAMPLE = OpenApiExample(
    "New name", value={"name": "Riverside Library", "number": "2024-017"}, request_only=True
)
RESPONSE_EXAMPLE = OpenApiExample("A project", value=PROJECT_EXAMPLE, response_only=True, status_codes=["200", "201"])
LIST_EXAMPLE = OpenApiExample(
    "A page of projects",
    value=PROJECT_EXAMPLE,  # drf-spectacular wraps it in a page (next, previous, results)
    response_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List the firm's projects",
        description="Oldest first, a page at a time: follow `next` until it is null.",
        responses={200: ProjectSerializer(many=True), **error_responses(400)},
        examples=[LIST_EXAMPLE],
    ),
    create=extend_schema(
        summary="Create a project",
        description="Answers 409 when the firm already has a project with this id; use PUT to create-or-update.",
        request=ProjectSerializer,
        responses={201: ProjectSerializer, **error_responses(400, 409)},
        examples=[REQUEST_EXAMPLE, RESPONSE_EXAMPLE],
    ),
    retrieve=extend_schema(
        summary="Read a project",
        description="Answers 404 when the firm has no project with this id.",
        parameters=[ID_PARAMETER],
        responses={200: ProjectSerializer, **error_responses(404)},
        examples=[RESPONSE_EXAMPLE],
    ),
    update=extend_schema(
        summary="Create or update a project (idempotent)",
        description="Creates the project (201) or replaces its name and number (200). Sending it twice is harmless.",
        parameters=[ID_PARAMETER],
        request=ProjectWriteSerializer,
        responses={200: ProjectSerializer, 201: ProjectSerializer, **error_responses(400, 404)},
        examples=[UPDATE_EXAMPLE, RESPONSE_EXAMPLE],
    ),
    partial_update=extend_schema(
        summary="Change some of a project's fields",
        description="Changes only the fields sent. Answers 404 when the firm has no project with this id.",
        parameters=[ID_PARAMETER],
        request=ProjectWriteSerializer,
        responses={200: ProjectSerializer, **error_responses(400, 404)},
        examples=[UPDATE_EXAMPLE, RESPONSE_EXAMPLE],
    ),
    destroy=extend_schema(
        summary="Delete a project",
        description="Deletes the project. Deleting it again answers 404.",
        parameters=[ID_PARAMETER],
        responses={204: None, **error_responses(404)},
        examples=[OpenApiExample("Deleted", value=None, response_only=True, status_codes=["204"])],
    ),
)
@extend_schema(tags=["projects"])
class ProjectViewSet(FirmViewSet):
    """Project Center projects of the caller's firm, addressed by Project Center's own project id."""

    firm_queryset = ProjectCenterProject.objects.all()
    serializer_class = ProjectSerializer
    lookup_field = "pc_project_id"
    lookup_value_regex = "[^/]+"  # DRF's default refuses dots, which Project Center ids may contain

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ProjectSerializer(page, many=True).data)

    def create(self, request: Request) -> Response:
        serializer = ProjectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            project = services.project_create(firm=self.firm, **serializer.validated_data, **audit_actor(request))
        except services.ProjectExists as exc:
            raise ApiError(
                status_code=status.HTTP_409_CONFLICT,
                code="conflict",
                message="A project with this Project Center project id already exists. Use PUT to update it.",
                details={"pc_project_id": serializer.validated_data["pc_project_id"]},
            ) from exc
        return Response(ProjectSerializer(project).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pc_project_id: str) -> Response:
        return Response(ProjectSerializer(self.get_object()).data)

    def update(self, request: Request, pc_project_id: str) -> Response:
        try:
            pc_project_id_validator(pc_project_id)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"pc_project_id": exc.messages}) from exc
        data = self._valid_write(request, partial=False)
        project, created = services.project_upsert(
            firm=self.firm,
            pc_project_id=pc_project_id,
            name=data["name"],
            number=data.get("number", ""),
            **audit_actor(request),
        )
        return Response(
            ProjectSerializer(project).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def partial_update(self, request: Request, pc_project_id: str) -> Response:
        project = self._project()
        data = self._valid_write(request, partial=True)
        changes: dict[str, Any] = {field: data[field] for field in ("name", "number") if field in data}
        project = services.project_update(project=project, changes=changes, **audit_actor(request))
        return Response(ProjectSerializer(project).data)

    def destroy(self, request: Request, pc_project_id: str) -> Response:
        services.project_delete(project=self._project(), **audit_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _project(self) -> ProjectCenterProject:
        project = self.get_object()
        assert isinstance(project, ProjectCenterProject)  # the rows of firm_queryset
        return project

    def _valid_write(self, request: Request, *, partial: bool) -> dict[str, Any]:
        serializer = ProjectWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
