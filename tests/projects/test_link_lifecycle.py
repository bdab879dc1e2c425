"""A link's lifecycle: support acts through the services, and “Sync now” is one rule with one audit action wherever
it is pressed (portal, admin, API)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.messages import get_messages
from django.test import Client

from connector_portal.models import AuditEvent, Firm, User
from connector_portal.services import service_token_create
from projects.models import ProjectLink, SyncRun
from projects.services import link_pause
from tests.api.factories import link_add

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse  # what the test client's calls answer


@pytest.fixture(autouse=True)
def queued(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """A queued sync only waits in the queue: no provider is reached from these tests."""
    calls: list[object] = []
    monkeypatch.setattr("projects.services.sweep.enqueue_many", calls.extend)
    return calls


@pytest.fixture
def staff(db: None) -> User:
    user = User.objects.create_superuser(email="support@example.com", password="a-long-test-password")
    TOTP.activate(user, generate_totp_secret())  # admin admits only staff with two-factor authentication
    return user


@pytest.fixture
def staff_client(staff: User) -> Client:
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def api(firm: Firm) -> Client:
    token = service_token_create(firm=firm, name="Project Center")[1]
    return Client(headers={"Authorization": f"Bearer {token}"})


def said(response: _MonkeyPatchedWSGIResponse) -> str:
    return " ".join(str(message) for message in get_messages(response.wsgi_request))


def test_support_pauses_and_resumes_through_the_services(firm: Firm, staff: User, staff_client: Client) -> None:
    link = link_add(firm, "PC-1")

    staff_client.post("/admin/projects/projectlink/", {"action": "pause", "_selected_action": [link.pk]})
    paused = ProjectLink.objects.get(pk=link.pk).status
    staff_client.post("/admin/projects/projectlink/", {"action": "resume", "_selected_action": [link.pk]})

    assert paused == ProjectLink.Status.PAUSED
    assert ProjectLink.objects.get(pk=link.pk).status == ProjectLink.Status.ACTIVE
    assert list(AuditEvent.objects.filter(actor_user=staff).values_list("action", flat=True).order_by("id")) == [
        "link.pause",
        "link.resume",
    ]


def test_resuming_in_admin_leaves_a_lost_connection_and_its_reason_as_they_are(
    firm: Firm, staff: User, staff_client: Client
) -> None:
    link = link_add(firm, "PC-1")
    reason = "Procore no longer accepts the portal's sign-in. Reconnect on the connection page."
    ProjectLink.objects.filter(pk=link.pk).update(status=ProjectLink.Status.CONNECTION_LOST, status_reason=reason)

    response = staff_client.post(
        "/admin/projects/projectlink/", {"action": "resume", "_selected_action": [link.pk]}, follow=True
    )

    lost = ProjectLink.objects.get(pk=link.pk)
    assert (lost.status, lost.status_reason) == (ProjectLink.Status.CONNECTION_LOST, reason)
    assert "1 were not paused and stay as they are" in said(response)
    assert not AuditEvent.objects.filter(action="link.resume").exists()


def press_sync_now_everywhere(member_client: Client, staff_client: Client, api: Client, link: ProjectLink) -> dict:
    return {
        "portal": member_client.post("/connect/PC-1/connection/sync/"),
        "admin": staff_client.post(
            "/admin/projects/projectlink/", {"action": "sync_now", "_selected_action": [link.pk]}
        ),
        "api": api.post("/api/v1/projects/PC-1/connection/sync/"),
    }


def test_sync_now_while_paused_is_refused_alike_in_the_portal_admin_and_api(
    firm: Firm, member: User, member_client: Client, staff_client: Client, api: Client, queued: list[object]
) -> None:
    link = link_add(firm, "PC-1")
    link_pause(link=link, actor=member)

    pressed = press_sync_now_everywhere(member_client, staff_client, api, link)

    assert "Nothing was queued: syncing is paused. Resume it on the connection page first." in said(pressed["portal"])
    assert "Nothing was queued: syncing is paused." in said(pressed["admin"])
    assert pressed["api"].status_code == 409 and pressed["api"].json()["code"] == "paused"
    assert not SyncRun.objects.exists() and not queued
    assert not AuditEvent.objects.filter(action="link.sync_now").exists()


def test_sync_now_records_one_audit_action_with_the_actor_in_the_portal_admin_and_api(
    firm: Firm, member: User, member_client: Client, staff: User, staff_client: Client, api: Client
) -> None:
    link = link_add(firm, "PC-1")

    pressed = press_sync_now_everywhere(member_client, staff_client, api, link)

    assert "A sync has been queued" in said(pressed["portal"])
    assert "Queued a sync of 1 connection(s)." in said(pressed["admin"])
    assert pressed["api"].status_code == 202
    events = AuditEvent.objects.filter(target_type="projects.ProjectLink", target_id=str(link.pk)).order_by("id")
    assert [(e.action, e.actor_user, e.actor_token is not None) for e in events] == [
        ("link.sync_now", member, False),
        ("link.sync_now", staff, False),
        ("link.sync_now", None, True),
    ]
    assert SyncRun.objects.filter(link=link, status=SyncRun.Status.QUEUED).count() == 1  # one run answers all three
