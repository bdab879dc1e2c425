"""Support staff see every firm's attachments in admin (filtered by state and firm, searched by filename or provider
id), never their download URLs, and queue failed ones to download again; firm users are kept out."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from connector_portal.models import AuditEvent, Firm, User
from projects.models import Attachment
from tests.api.factories import item_add, linked_add
from tests.files.factories import attachment_add

CHANGELIST = "/admin/projects/attachment/"


@pytest.fixture
def support(db: None) -> Client:
    staff = User.objects.create_user(
        email="support@example.com", password="a-long-password", is_staff=True, is_superuser=True
    )
    TOTP.activate(staff, generate_totp_secret())  # admin admits only staff with two-factor authentication
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    calls: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr("projects.services.attachments.enqueue_many", calls.extend)
    return calls


def _staff(email: str, *codenames: str) -> Client:
    """Support staff who are not superusers, holding only the given permissions on attachments."""
    staff = User.objects.create_user(email=email, password="a-long-password", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="projects", codename__in=codenames))
    TOTP.activate(staff, generate_totp_secret())
    client = Client()
    client.force_login(staff)
    return client


def _failed(firm: Firm, filename: str, provider_id: str) -> Attachment:
    row = attachment_add(linked_add(firm).item, None, filename=filename, provider_id=provider_id)
    Attachment.objects.filter(pk=row.pk).update(
        state=Attachment.State.FAILED, reason="Procore stopped sending this file before its end.", attempts=3
    )
    return row


def _messages(page: Any) -> list[str]:
    return [str(m) for m in page.context["messages"]]


def test_support_lists_every_firms_files_filters_by_state_and_searches_by_provider_id(
    support: Client, firm: Firm, other_firm: Firm
) -> None:
    _failed(firm, "A-501.pdf", "9001")
    attachment_add(linked_add(other_firm).item, filename="S-201.pdf", provider_id="7777")

    everything = support.get(CHANGELIST).content.decode()
    failed = support.get(CHANGELIST, {"state__exact": "failed"}).content.decode()
    found = support.get(CHANGELIST, {"q": "7777"}).content.decode()

    assert "A-501.pdf" in everything and "S-201.pdf" in everything
    assert "A-501.pdf" in failed and "S-201.pdf" not in failed
    assert "S-201.pdf" in found and "A-501.pdf" not in found
    assert "stopped sending this file" in everything


def test_the_change_page_never_shows_the_download_url(support: Client, firm: Firm) -> None:
    row = _failed(firm, "A-501.pdf", "9001")

    page = support.get(f"{CHANGELIST}{row.pk}/change/")

    assert page.status_code == 200 and "A-501.pdf" in page.content.decode()
    assert row.source_url not in page.content.decode()
    for label in ("Fetch task", "Fetch started at", "Retry at"):  # where its download stands, for support
        assert label in page.content.decode()


def test_download_again_queues_failed_files_once_and_leaves_stored_ones(
    support: Client,
    firm: Firm,
    queued: list[tuple[str, tuple[Any, ...]]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    failed = _failed(firm, "A-501.pdf", "9001")
    stored = attachment_add(item_add(failed.item.link, "502"), filename="S-201.pdf", provider_id="9002")
    action = {"action": "download_again", "_selected_action": [failed.pk, stored.pk]}

    with django_capture_on_commit_callbacks(execute=True):
        page = support.post(CHANGELIST, action, follow=True)
        again = support.post(CHANGELIST, action, follow=True)

    failed.refresh_from_db()
    assert (failed.state, failed.attempts, failed.reason) == (Attachment.State.PENDING, 0, "")
    assert queued == [("projects.tasks.fetch_attachments", ([failed.pk],))]  # the second press queued nothing
    assert any("Queued 1 file(s)" in m and "1 were not failed" in m for m in _messages(page))
    assert any("Queued 0 file(s)" in m for m in _messages(again))
    assert Attachment.objects.get(pk=stored.pk).state == Attachment.State.STORED
    assert AuditEvent.objects.filter(action="attachment.download_again", firm=firm).count() == 1


def test_a_firm_user_is_kept_out_of_the_attachments_admin(member_client: Client, firm: Firm) -> None:
    _failed(firm, "A-501.pdf", "9001")

    listing = member_client.get(CHANGELIST)
    action = member_client.post(CHANGELIST, {"action": "download_again", "_selected_action": [1]})

    assert listing.status_code == 302 and action.status_code == 302
    assert not listing["Location"].startswith(CHANGELIST)
    assert Attachment.objects.get().state == Attachment.State.FAILED


def test_view_only_staff_see_the_files_but_neither_see_nor_run_download_again(
    db: None, firm: Firm, queued: list[tuple[str, tuple[Any, ...]]], django_capture_on_commit_callbacks: Any
) -> None:
    failed = _failed(firm, "A-501.pdf", "9001")
    viewer = _staff("viewer@example.com", "view_attachment")

    listing = viewer.get(CHANGELIST)
    with django_capture_on_commit_callbacks(execute=True):
        viewer.post(CHANGELIST, {"action": "download_again", "_selected_action": [failed.pk]}, follow=True)

    assert listing.status_code == 200 and "A-501.pdf" in listing.content.decode()
    assert "Download again" not in listing.content.decode()
    assert queued == [] and Attachment.objects.get(pk=failed.pk).state == Attachment.State.FAILED


def test_staff_allowed_to_change_attachments_get_download_again(
    db: None, firm: Firm, queued: list[tuple[str, tuple[Any, ...]]], django_capture_on_commit_callbacks: Any
) -> None:
    failed = _failed(firm, "A-501.pdf", "9001")
    operator = _staff("operator@example.com", "view_attachment", "change_attachment")

    listing = operator.get(CHANGELIST)
    with django_capture_on_commit_callbacks(execute=True):
        operator.post(CHANGELIST, {"action": "download_again", "_selected_action": [failed.pk]}, follow=True)

    assert "Download again" in listing.content.decode()
    assert queued == [("projects.tasks.fetch_attachments", ([failed.pk],))]


def test_the_list_never_reads_the_items_json(support: Client, firm: Firm) -> None:
    linked = linked_add(firm)
    for n in range(3):
        attachment_add(item_add(linked.link, f"50{n}"), filename=f"A-50{n}.pdf", provider_id=f"900{n}")
    item_table = connection.ops.quote_name("projects_synceditem")

    with CaptureQueriesContext(connection) as queries:
        page = support.get(CHANGELIST)

    assert page.status_code == 200 and "A-502.pdf" in page.content.decode()
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert item_table in read  # the item's number and title are read, in the same query as the files
    for column in ("raw", "content", "ball_in_court"):
        assert f"{item_table}.{connection.ops.quote_name(column)}" not in read
