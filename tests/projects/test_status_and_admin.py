"""What people see: the sync status partial and the support admin."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.template.loader import render_to_string
from django.test import Client

from connector_portal.models import AuditEvent, User
from projects.models import ItemResponse, SyncRun
from projects.selectors import sync_status
from projects.services import link_sync, response_deliver, response_record
from providers.errors import UnexpectedAnswer


def test_a_running_sync_shows_a_progress_bar_that_refreshes_itself(link, clock):
    SyncRun.objects.create(firm=link.firm, link=link, started_at=clock(), fetched=40, expected_items=160)

    context = {"sync_status": sync_status(link=link, now=clock())}
    html = render_to_string("projects/_sync_status.html", context)
    head = render_to_string("projects/_sync_refresh.html", context)

    assert "Syncing now" in html
    assert '<progress id="sync-progress" max="100" value="25">' in html
    assert 'http-equiv="refresh"' in head


def test_finished_runs_are_listed_and_charted_with_their_errors(link, provider, clock):
    provider.seed("submittal", 4)
    link_sync(link_id=link.pk, clock=clock, port=provider)
    SyncRun.objects.create(
        firm=link.firm, link=link, started_at=clock() + dt.timedelta(minutes=2), status="failed", errors=1
    )

    status = sync_status(link=link)
    html = render_to_string("projects/_sync_status.html", {"sync_status": status})

    assert "http-equiv" not in render_to_string("projects/_sync_refresh.html", {"sync_status": status})
    assert status.chart is not None
    assert [slot.errors is not None for slot in status.chart.slots] == [False, True]
    assert "4 items, 0 errors" in html and "<svg" in html


@pytest.fixture
def staff_client(db) -> Client:
    user = User.objects.create_superuser(email="support@example.com", password="x")
    TOTP.activate(user, generate_totp_secret())  # admin admits only staff with two-factor authentication
    client = Client()
    client.force_login(user)
    return client


def test_support_retries_a_failed_response_from_admin_and_it_is_audited(
    link, provider, clock, staff_client, monkeypatch
):
    from projects.services.mapping import mapping_table_create_for_link

    monkeypatch.setattr("projects.services.push._queue_delivery", lambda response_id: None)
    mapping_table_create_for_link(link=link, options=provider.options)
    provider.put("submittal", "1")
    link_sync(link_id=link.pk, clock=clock, port=provider)
    response, _ = response_record(
        firm=link.firm, item=link.items.get(), keyword="Approved", comment="", idempotency_key="k"
    )
    provider.post_errors = [UnexpectedAnswer("Refused.")]
    response_deliver(response_id=response.pk, clock=clock, port=provider)

    page = staff_client.post(
        "/admin/projects/itemresponse/", {"action": "retry", "_selected_action": [response.pk]}, follow=True
    )

    assert page.redirect_chain[-1][0] == "/admin/projects/itemresponse/"
    response.refresh_from_db()
    assert response.status == ItemResponse.Status.PENDING
    assert AuditEvent.objects.filter(action="admin.itemresponse.retry").count() == 1


@pytest.mark.parametrize("model", ["projectlink", "synceditem", "feedentry", "itemresponse", "syncrun"])
def test_every_sync_admin_list_opens(model, link, provider, clock, staff_client):
    provider.seed("submittal", 2)
    link_sync(link_id=link.pk, clock=clock, port=provider)

    page = staff_client.get(f"/admin/projects/{model}/")

    assert page.status_code == 200
    assert b"Project 1" in page.content or b"#" in page.content
