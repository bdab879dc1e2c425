"""A project's connection (`/projects/{pc_project_id}/connection/`) and Sync now (a run's progress is in runs.py).

The connection answers even when the project is not connected: `connected` is false, the connection's fields are null
and `configure_url` is the page Project Center's Configure button opens to connect it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from connector_portal.api.base import acting_user, audit_actor
from connector_portal.api.errors import ApiError
from connector_portal.api.project_scope import ID_PARAMETER, ProjectScopedView
from connector_portal.api.schema import ErrorExample, error_responses
from connector_portal.api.serializers import OutputSerializer
from connector_portal.models import Connector, Firm, ProjectCenterProject
from mappings.api.keywords import HeldKindSerializer
from mappings.selectors import held_kinds
from projects.api.runs import RUN_EXAMPLE, RunSerializer, run_context
from projects.models import ProjectLink, SyncRun
from projects.selectors import SyncStatus, link_reviewer_accounts, project_link_get, sync_status
from projects.services import SyncRefused, link_sync_now
from providers.models import ProviderAccount


def portal_url(name: str, pc_project_id: str) -> str:
    return settings.PORTAL_BASE_URL + reverse(name, args=[pc_project_id])


class Named(NamedTuple):
    """A provider's company or project: its id and name."""

    id: str
    name: str


class NamedSerializer(OutputSerializer):  # rendered from a Named
    id = serializers.CharField()
    name = serializers.CharField(allow_blank=True)


class ReceivingUserSerializer(OutputSerializer):  # rendered from the link's ProviderAccount
    name = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    account_status = serializers.ChoiceField(
        source="status",
        choices=ProviderAccount.Status.choices,
        help_text="Whether the portal can still act as this user.",
    )


@dataclass(frozen=True)
class Connection:
    """What a connection answer is rendered from; `link` and `sync` are None while the project is not connected."""

    project: ProjectCenterProject
    link: ProjectLink | None
    held: dict[str, str]  # item kind -> why its sync is held (for a link: only the kinds it syncs)
    sync: SyncStatus | None
    receiving: tuple[ProviderAccount, ...] = ()  # every receiving user's account, the first one first


def connection_get(*, firm: Firm, project: ProjectCenterProject) -> Connection:
    link = project_link_get(firm=firm, project_id=project.pk)
    held = held_kinds(project=project)
    if link is None:
        return Connection(project=project, link=None, held=held, sync=None)
    held = {kind: message for kind, message in held.items() if kind in link.kinds}
    receiving = tuple(link_reviewer_accounts(link=link))
    return Connection(project=project, link=link, held=held, sync=sync_status(link=link), receiving=receiving)


NOT_CONNECTED = (
    "This project is not connected to a provider. Open configure_url (Project Center's Configure button) to connect it."
)


def _health(connection: Connection) -> tuple[bool, str]:
    link = connection.link
    if link is None:
        return False, NOT_CONNECTED
    if link.status_reason:
        return False, link.status_reason
    if link.status != ProjectLink.Status.ACTIVE:
        return False, f"{link.get_status_display()}. Open the connection page to see what to do."
    if connection.held:
        return False, " ".join(connection.held.values())
    lost = [a.name or a.email for a in connection.receiving if a.status != ProviderAccount.Status.ACTIVE]
    if lost:
        return False, (
            f"{', '.join(lost)} must sign in to {link.get_provider_display()} again (the connection page's Reconnect): "
            "items still arrive through the other receiving users; their responses wait until then."
        )
    if link.last_synced_at is None:
        return True, "Connected; the first sync has not finished yet."
    return True, "Syncing normally."


# Rendered from a Connection; the context is run_context's (for the runs).
class ConnectionSerializer(OutputSerializer):
    connected = serializers.BooleanField()
    pc_project_id = serializers.CharField(source="project.pc_project_id")
    configure_url = serializers.URLField(help_text="The portal page Project Center's Configure button opens.")
    connection_url = serializers.URLField(allow_null=True, help_text="The connection page; null when not connected.")
    provider = serializers.ChoiceField(source="link.provider", choices=Connector.choices, allow_null=True)
    provider_label = serializers.CharField(source="link.get_provider_display", allow_null=True)
    provider_company = NamedSerializer(allow_null=True, help_text="Procore company or Autodesk hub; null otherwise.")
    provider_project = NamedSerializer(allow_null=True)
    receiving_user = ReceivingUserSerializer(
        source="link.account",
        allow_null=True,
        help_text="The provider user who connected the project (the first of `receiving_users`).",
    )
    receiving_users = ReceivingUserSerializer(
        many=True,
        help_text="Everyone who receives the items, the first one first: an item arrives when any of them is its "
        "reviewer, and its responses are sent in that person's name. Empty when not connected.",
    )
    sync_submittals = serializers.BooleanField(source="link.sync_submittals", allow_null=True)
    sync_rfis = serializers.BooleanField(source="link.sync_rfis", allow_null=True)
    status = serializers.ChoiceField(source="link.status", choices=ProjectLink.Status.choices, allow_null=True)
    state = serializers.CharField(help_text="The connection's state in words, e.g. “Syncing now”.")
    healthy = serializers.BooleanField(help_text="True when it syncs normally and nothing is held.")
    health = serializers.CharField(help_text="What is wrong and what to do, in words; or that all is well.")
    last_synced_at = serializers.DateTimeField(source="link.last_synced_at", allow_null=True)
    next_sync_at = serializers.DateTimeField(source="sync.next_sync_at", allow_null=True)
    polling_every_seconds = serializers.IntegerField(
        source="sync.pace.effective",
        allow_null=True,
        help_text="Seconds from the start of one poll of the provider to the start of the next, as the portal really "
        "plans them: the connection's interval (half an hour while a provider webhook works), stretched when "
        "`polling_slowed_by_budget`. Null when not connected.",
    )
    polling_slowed_by_budget = serializers.BooleanField(
        source="sync.pace.slowed_by_budget",
        allow_null=True,
        help_text="True when the connection is polled less often than its interval, because this provider account's "
        "connections together would otherwise use more of its hourly request limit than the portal allows itself: "
        "changes take longer to arrive. Null when not connected.",
    )
    polling_slowed = serializers.CharField(
        source="sync.slowed",
        allow_null=True,
        allow_blank=True,
        help_text="The same in words, with what speeds it up again (the connection page says it too); empty when "
        "polling is not slowed, null when not connected.",
    )
    held_kinds = HeldKindSerializer(many=True, help_text="Item kinds not synced until their keyword is added.")
    current_run = RunSerializer(
        source="sync.running", allow_null=True, help_text="The sync running or queued now, if any."
    )
    last_run = RunSerializer(allow_null=True, help_text="The most recent finished sync, if any.")

    def get_receiving_users(self, connection: Connection) -> list[ProviderAccount]:
        return list(connection.receiving)

    def get_connected(self, connection: Connection) -> bool:
        return connection.link is not None

    def get_configure_url(self, connection: Connection) -> str:
        return portal_url("connect:configure", connection.project.pc_project_id)

    def get_connection_url(self, connection: Connection) -> str | None:
        return portal_url("connect:connection", connection.project.pc_project_id) if connection.link else None

    def get_provider_company(self, connection: Connection) -> Named | None:
        link = connection.link
        if link is None or not link.provider_company_id:
            return None
        return Named(link.provider_company_id, link.provider_company_name)

    def get_provider_project(self, connection: Connection) -> Named | None:
        link = connection.link
        return Named(link.provider_project_id, link.provider_project_name) if link else None

    def get_state(self, connection: Connection) -> str:
        return connection.sync.state if connection.sync else "Not connected"

    def get_healthy(self, connection: Connection) -> bool:
        return _health(connection)[0]

    def get_health(self, connection: Connection) -> str:
        return _health(connection)[1]

    def get_held_kinds(self, connection: Connection) -> list[tuple[str, str]]:
        return list(connection.held.items())

    def get_last_run(self, connection: Connection) -> SyncRun | None:
        sync = connection.sync
        if sync is None:
            return None
        return next(
            (
                r
                for r in sync.runs
                if r is not sync.running and r.status not in (SyncRun.Status.QUEUED, SyncRun.Status.RUNNING)
            ),
            None,
        )


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
    "receiving_users": [
        {"name": "Rita Reviewer", "email": "rita@acme.example.com", "account_status": "active"},
        {"name": "Oscar Other", "email": "oscar@acme.example.com", "account_status": "needs_reauth"},
    ],
    "sync_submittals": True,
    "sync_rfis": True,
    "status": "active",
    "state": "Active",
    "healthy": True,
    "health": "Syncing normally.",
    "last_synced_at": "2026-03-02T08:58:00Z",
    "next_sync_at": "2026-03-02T09:00:00Z",
    "polling_every_seconds": 30,
    "polling_slowed_by_budget": False,
    "polling_slowed": "",
    "held_kinds": [],
    "current_run": None,
    "last_run": {
        **RUN_EXAMPLE,
        "status": "succeeded",
        "status_label": "Succeeded",
        "finished_at": "2026-03-02T08:58:00Z",
    },
}
SLOWED_EXAMPLE = {
    **CONNECTION_EXAMPLE,
    "polling_every_seconds": 120,
    "polling_slowed_by_budget": True,
    "polling_slowed": "Polled about every 120 s instead of every 30 s: this Procore account's connections together "
    "would otherwise use more of its hourly request limit than the portal allows itself. Changes take longer to "
    "arrive; syncing fewer connections with this account speeds them up again.",
}
NOT_CONNECTED_EXAMPLE: dict[str, Any] = {
    **{key: None for key in CONNECTION_EXAMPLE},
    "connected": False,
    "pc_project_id": "PC-2024-017",
    "configure_url": "https://portal.example.com/connect/PC-2024-017/",
    "state": "Not connected",
    "healthy": False,
    "health": NOT_CONNECTED,
    "held_kinds": [],
}
NO_CONNECTION: ErrorExample = (
    "Not found",
    {
        "code": "not_connected",
        "message": "This project is not connected to a provider, so there is nothing to sync. Connect it first "
        "from its configure page (Project Center's Configure button).",
        "details": {"configure_url": "https://portal.example.com/connect/PC-2024-017/"},
    },
)
PAUSED: ErrorExample = (
    "Syncing is paused by a person in the portal.",
    {
        "code": "paused",
        "message": "Syncing of this project is paused in the portal. Resume it on the connection page first.",
        "details": {"connection_url": "https://portal.example.com/connect/PC-2024-017/connection/"},
    },
)


class LinkScopedView(ProjectScopedView):
    """A view about the connection of one of the firm's projects: an unconnected project is a 404 that says so."""

    not_connected = NO_CONNECTION[1]["message"]

    def link(self) -> ProjectLink:
        project = self.project()
        link = project_link_get(firm=self.firm, project_id=project.pk)
        if link is None:
            raise ApiError(
                status_code=status.HTTP_404_NOT_FOUND,
                code="not_connected",
                message=self.not_connected,
                details={"configure_url": portal_url("connect:configure", project.pc_project_id)},
            )
        return link


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
            OpenApiExample("Polling slowed by the account's budget", value=SLOWED_EXAMPLE, response_only=True),
            OpenApiExample("Not connected", value=NOT_CONNECTED_EXAMPLE, response_only=True),
        ],
        tags=["connection"],
    )
    def get(self, request: Request, pc_project_id: str) -> Response:
        project = self.project()
        context = run_context(request=request, pc_project_id=project.pc_project_id)
        return Response(ConnectionSerializer(connection_get(firm=self.firm, project=project), context=context).data)


class SyncNowView(LinkScopedView):
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
        link = self.link()
        try:
            run = link_sync_now(link=link, actor_user=acting_user(request), **audit_actor(request))
        except SyncRefused as exc:
            raise ApiError(
                status_code=status.HTTP_409_CONFLICT,
                code="paused",
                message=PAUSED[1]["message"],
                details={"connection_url": portal_url("connect:connection", link.project.pc_project_id)},
            ) from exc
        body = RunSerializer(run, context=run_context(request=request, pc_project_id=link.project.pc_project_id)).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})
