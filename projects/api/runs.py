"""`/api/v1/runs/{id}/`: a sync run's progress, in the one shape every run is answered in (alone or in a connection)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from connector_portal.api.base import FirmAPIView
from connector_portal.api.schema import error_responses
from connector_portal.api.serializers import OutputSerializer
from projects.models import ItemKindChoices, SyncRun
from projects.selectors import run_get

RUN_ID_PARAMETER = OpenApiParameter("run_id", int, OpenApiParameter.PATH, description="The run's id.")


# Rendered from a SyncRun. Context: `request` (for the absolute `url`) and `pc_project_id`, the id of the run's project,
# which every caller has at hand (so a connection's runs cost no query for it).
class RunSerializer(OutputSerializer):
    id = serializers.IntegerField()
    url = serializers.URLField(help_text="Where to read this run's progress again.")
    pc_project_id = serializers.CharField()
    status = serializers.ChoiceField(choices=SyncRun.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    message = serializers.CharField(allow_blank=True, help_text="How it ended, in words (empty while it runs).")
    started_at = serializers.DateTimeField(help_text="When it started (for a queued run: when it was asked for).")
    finished_at = serializers.DateTimeField(allow_null=True)
    heartbeat_at = serializers.DateTimeField(allow_null=True, help_text="Last sign of life while running.")
    progress_percent = serializers.IntegerField(
        allow_null=True, min_value=0, max_value=100, help_text="Null when the provider does not say how many items."
    )
    expected_items = serializers.IntegerField(allow_null=True)
    fetched = serializers.IntegerField()
    new = serializers.IntegerField()
    changed = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    removed = serializers.IntegerField()
    not_for_user = serializers.IntegerField(help_text="Items where the receiving user is not the reviewer.")
    # The stubs see Serializer.errors here; DRF's serializer class moves declared fields out of the class attributes.
    errors = serializers.IntegerField()  # type: ignore[assignment]
    pages_done = serializers.IntegerField()
    held_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=ItemKindChoices.choices), help_text="Kinds skipped: keyword missing."
    )

    def get_url(self, run: SyncRun) -> str:
        return self.context["request"].build_absolute_uri(reverse("api-v1:run-detail", args=[run.pk]))

    def get_pc_project_id(self, run: SyncRun) -> str:
        return self.context["pc_project_id"]

    def get_held_kinds(self, run: SyncRun) -> list[str]:
        return list(run.held_kinds or [])


def run_context(*, request: Request, pc_project_id: str) -> dict[str, object]:
    """What RunSerializer (alone or nested in another answer) needs besides the run."""
    return {"request": request, "pc_project_id": pc_project_id}


RUN_EXAMPLE = {
    "id": 812,
    "url": "https://portal.example.com/api/v1/runs/812/",
    "pc_project_id": "PC-2024-017",
    "status": "running",
    "status_label": "Running",
    "message": "",
    "started_at": "2026-03-02T09:00:00Z",
    "finished_at": None,
    "heartbeat_at": "2026-03-02T09:00:04Z",
    "progress_percent": 40,
    "expected_items": 250,
    "fetched": 100,
    "new": 12,
    "changed": 3,
    "unchanged": 80,
    "removed": 0,
    "not_for_user": 5,
    "errors": 0,
    "pages_done": 1,
    "held_kinds": [],
}


class RunView(FirmAPIView):
    serializer_class = RunSerializer
    pagination_class = None

    @extend_schema(
        operation_id="run_retrieve",
        summary="Read a sync run's progress",
        description="Poll it every few seconds while `status` is queued or running.",
        parameters=[RUN_ID_PARAMETER],
        responses={200: RunSerializer, **error_responses(404)},
        examples=[OpenApiExample("Running", value=RUN_EXAMPLE, response_only=True)],
        tags=["connection"],
    )
    def get(self, request: Request, run_id: int) -> Response:
        run = run_get(firm=self.firm, run_id=run_id)
        context = run_context(request=request, pc_project_id=run.link.project.pc_project_id)
        return Response(RunSerializer(run, context=context).data)
