"""A project's connection (`/projects/{pc_project_id}/connection/`), Sync now, and a run's progress (`/runs/{id}/`).

The connection answers even when the project is not connected: `connected` is false, the connection's fields are null
and `configure_url` is the page Project Center's Configure button opens to connect it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from connector_portal.api.base import FirmAPIView, api_actor
from connector_portal.api.errors import ApiError
from connector_portal.api.schema import error_responses
from connector_portal.models import Connector, ProjectCenterProject
from mappings.api.keywords import HeldKindSerializer
from mappings.selectors import held_kinds
from projects.api.projects import ID_PARAMETER, ProjectScopedView
from projects.models import ItemKindChoices, ProjectLink, SyncRun
from projects.selectors import project_link_get, run_get, sync_status
from projects.services import SyncRefused, link_sync_now
from providers.models import ProviderAccount

RUN_ID_PARAMETER = OpenApiParameter("run_id", int, OpenApiParameter.PATH, description="The run's id.")


def portal_url(name: str, pc_project_id: str) -> str:
    return settings.PORTAL_BASE_URL + reverse(name, args=[pc_project_id])


class RunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField(help_text="Where to read this run's progress again.")
    pc_project_id = serializers.CharField()
    status = serializers.ChoiceField(choices=SyncRun.Status.choices)
    status_label = serializers.CharField()
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
    errors = serializers.IntegerField()
    pages_done = serializers.IntegerField()
    held_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=ItemKindChoices.choices), help_text="Kinds skipped: keyword missing."
    )


class NamedSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField(allow_blank=True)


class ReceivingUserSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    account_status = serializers.ChoiceField(
        choices=ProviderAccount.Status.choices, help_text="Whether the portal can still act as this user."
    )


class ConnectionSerializer(serializers.Serializer):
    connected = serializers.BooleanField()
    pc_project_id = serializers.CharField()
    configure_url = serializers.URLField(help_text="The portal page Project Center's Configure button opens.")
    connection_url = serializers.URLField(allow_null=True, help_text="The connection page; null when not connected.")
    provider = serializers.ChoiceField(choices=Connector.choices, allow_null=True)
    provider_label = serializers.CharField(allow_null=True)
    provider_company = NamedSerializer(allow_null=True, help_text="Procore company or Autodesk hub; null otherwise.")
    provider_project = NamedSerializer(allow_null=True)
    receiving_user = ReceivingUserSerializer(
        allow_null=True, help_text="The provider user who receives the items and whose name responses are sent in."
    )
    sync_submittals = serializers.BooleanField(allow_null=True)
    sync_rfis = serializers.BooleanField(allow_null=True)
    status = serializers.ChoiceField(choices=ProjectLink.Status.choices, allow_null=True)
    state = serializers.CharField(help_text="The connection's state in words, e.g. “Syncing now”.")
    healthy = serializers.BooleanField(help_text="True when it syncs normally and nothing is held.")
    health = serializers.CharField(help_text="What is wrong and what to do, in words; or that all is well.")
    last_synced_at = serializers.DateTimeField(allow_null=True)
    next_sync_at = serializers.DateTimeField(allow_null=True)
    held_kinds = HeldKindSerializer(many=True, help_text="Item kinds not synced until their keyword is added.")
    current_run = RunSerializer(allow_null=True, help_text="The sync running or queued now, if any.")
    last_run = RunSerializer(allow_null=True, help_text="The most recent finished sync, if any.")


def run_data(run: SyncRun, *, pc_project_id: str, request: Request) -> dict[str, Any]:
    return {
        "id": run.pk,
        "url": request.build_absolute_uri(reverse("api-v1:run-detail", args=[run.pk])),
        "pc_project_id": pc_project_id,
        "status": run.status,
        "status_label": run.get_status_display(),
        "message": run.message,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "heartbeat_at": run.heartbeat_at,
        "progress_percent": run.progress_percent,
        "expected_items": run.expected_items,
        **{name: getattr(run, name) for name in ("fetched", "new", "changed", "unchanged", "removed")},
        "not_for_user": run.not_for_user,
        "errors": run.errors,
        "pages_done": run.pages_done,
        "held_kinds": list(run.held_kinds or []),
    }


def _health(link: ProjectLink, held: dict[str, str]) -> tuple[bool, str]:
    if link.status_reason:
        return False, link.status_reason
    if link.status != ProjectLink.Status.ACTIVE:
        return False, f"{link.get_status_display()}. Open the connection page to see what to do."
    if held:
        return False, " ".join(held.values())
    if link.last_synced_at is None:
        return True, "Connected; the first sync has not finished yet."
    return True, "Syncing normally."


NOT_CONNECTED = (
    "This project is not connected to a provider. Open configure_url (Project Center's Configure button) to connect it."
)


def connection_data(*, project: ProjectCenterProject, link: ProjectLink | None, request: Request) -> dict[str, Any]:
    held = held_kinds(project=project)
    data: dict[str, Any] = {
        "connected": link is not None,
        "pc_project_id": project.pc_project_id,
        "configure_url": portal_url("connect:configure", project.pc_project_id),
        **dict.fromkeys(
            (
                "connection_url",
                "provider",
                "provider_label",
                "provider_company",
                "provider_project",
                "receiving_user",
                "sync_submittals",
                "sync_rfis",
                "status",
                "last_synced_at",
                "next_sync_at",
                "current_run",
                "last_run",
            )
        ),
        "state": "Not connected",
        "healthy": False,
        "health": NOT_CONNECTED,
        "held_kinds": [{"kind": kind, "message": message} for kind, message in held.items()],
    }
    if link is None:
        return data
    held = {kind: message for kind, message in held.items() if kind in link.kinds}
    sync = sync_status(link=link)
    last = next((r for r in sync.runs if r is not sync.running and r.status != SyncRun.Status.QUEUED), None)
    healthy, health = _health(link, held)
    pc_id = project.pc_project_id
    account = link.account
    data.update(
        connection_url=portal_url("connect:connection", pc_id),
        provider=link.provider,
        provider_label=link.get_provider_display(),
        provider_company=(
            {"id": link.provider_company_id, "name": link.provider_company_name} if link.provider_company_id else None
        ),
        provider_project={"id": link.provider_project_id, "name": link.provider_project_name},
        receiving_user={"name": account.name, "email": account.email, "account_status": account.status},
        sync_submittals=link.sync_submittals,
        sync_rfis=link.sync_rfis,
        status=link.status,
        state=sync.state,
        healthy=healthy,
        health=health,
        last_synced_at=link.last_synced_at,
        next_sync_at=sync.next_sync_at,
        held_kinds=[{"kind": kind, "message": message} for kind, message in held.items()],
        current_run=run_data(sync.running, pc_project_id=pc_id, request=request) if sync.running else None,
        last_run=run_data(last, pc_project_id=pc_id, request=request) if last else None,
    )
    return data


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
QUEUED_EXAMPLE = {
    **RUN_EXAMPLE,
    "status": "queued",
    "status_label": "Queued",
    "heartbeat_at": None,
    "progress_percent": None,
    "expected_items": None,
    **dict.fromkeys(("fetched", "new", "changed", "unchanged", "not_for_user", "pages_done"), 0),
}
CONNECTION_EXAMPLE = {
    "connected": True,
    "pc_project_id": "PC-2024-017",
    "configure_url": "https://portal.example.com/connect/PC-2024-017/",
    "connection_url": "https://portal.example.com/connect/PC-2024-017/connection/",
    "provider": "procore",
    "provider_label": "Procore",
    "provider_company": {"id": "4264", "name": "Acme Builders"},
    "provider_project": {"id": "562949953443", "name": "Riverside Library"},
    "receiving_user": {"name": "Rita Reviewer", "email": "rita@acme.example.com", "account_status": "active"},
    "sync_submittals": True,
    "sync_rfis": True,
    "status": "active",
    "state": "Active",
    "healthy": True,
    "health": "Syncing normally.",
    "last_synced_at": "2026-03-02T08:58:00Z",
    "next_sync_at": "2026-03-02T09:00:00Z",
    "held_kinds": [],
    "current_run": None,
    "last_run": {
        **RUN_EXAMPLE,
        "status": "succeeded",
        "status_label": "Succeeded",
        "finished_at": "2026-03-02T08:58:00Z",
    },
}
NOT_CONNECTED_EXAMPLE = {
    **{key: None for key in CONNECTION_EXAMPLE},
    "connected": False,
    "pc_project_id": "PC-2024-017",
    "configure_url": "https://portal.example.com/connect/PC-2024-017/",
    "state": "Not connected",
    "healthy": False,
    "health": NOT_CONNECTED,
    "held_kinds": [],
}
NO_CONNECTION = (
    "Not found",
    {
        "code": "not_connected",
        "message": "This project is not connected to a provider, so there is nothing to sync. Connect it first "
        "from its configure page (Project Center's Configure button).",
        "details": {"configure_url": "https://portal.example.com/connect/PC-2024-017/"},
    },
)
PAUSED = (
    "Syncing is paused by a person in the portal.",
    {
        "code": "paused",
        "message": "Syncing of this project is paused in the portal. Resume it on the connection page first.",
        "details": {"connection_url": "https://portal.example.com/connect/PC-2024-017/connection/"},
    },
)


class ConnectionView(ProjectScopedView):
    serializer_class = ConnectionSerializer

    @extend_schema(
        operation_id="project_connection_retrieve",
        summary="Read a project's connection: status, health, provider, receiving user, syncs",
        description=(
            "Always answers 200 for an existing project. When it is not connected, `connected` is false, the "
            "connection's fields are null and `configure_url` opens the page to connect it. `held_kinds` lists "
            "the item kinds not synced until a keyword is added to the project's keyword lists."
        ),
        parameters=[ID_PARAMETER],
        responses={200: ConnectionSerializer, **error_responses(404)},
        examples=[
            OpenApiExample("Connected to Procore", value=CONNECTION_EXAMPLE, response_only=True),
            OpenApiExample("Not connected", value=NOT_CONNECTED_EXAMPLE, response_only=True),
        ],
        tags=["connection"],
    )
    def get(self, request: Request, pc_project_id: str) -> Response:
        project = self.project()
        link = project_link_get(firm=self.firm, project_id=project.pk)
        return Response(connection_data(project=project, link=link, request=request))


class SyncNowView(ProjectScopedView):
    serializer_class = RunSerializer

    @extend_schema(
        operation_id="project_sync_now",
        summary="Sync now",
        description=(
            "Queues a sync of the project's connection and answers 202 with the run; follow its `url` to see the "
            "progress. Asking again while that run waits answers the same run."
        ),
        parameters=[ID_PARAMETER],
        request=None,
        responses={202: RunSerializer, **error_responses(404, 409, examples={404: NO_CONNECTION, 409: PAUSED})},
        examples=[OpenApiExample("Queued", value=QUEUED_EXAMPLE, response_only=True, status_codes=["202"])],
        tags=["connection"],
    )
    def post(self, request: Request, pc_project_id: str) -> Response:
        project = self.project()
        link = project_link_get(firm=self.firm, project_id=project.pk)
        if link is None:
            raise ApiError(
                status_code=status.HTTP_404_NOT_FOUND,
                code="not_connected",
                message=NO_CONNECTION[1]["message"],
                details={"configure_url": portal_url("connect:configure", pc_project_id)},
            )
        try:
            run = link_sync_now(link=link, actor=api_actor(request), request=request)
        except SyncRefused as exc:
            raise ApiError(
                status_code=status.HTTP_409_CONFLICT,
                code="paused",
                message=PAUSED[1]["message"],
                details={"connection_url": portal_url("connect:connection", pc_project_id)},
            ) from exc
        body = run_data(run, pc_project_id=project.pc_project_id, request=request)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


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
        return Response(run_data(run, pc_project_id=run.link.project.pc_project_id, request=request))
