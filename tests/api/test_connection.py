"""A project's connection in the API: status and health in words, configure_url, Sync now and a run's progress."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.test import Client
from django_q.models import OrmQ

from connector_portal.models import AuditEvent, Firm, ProjectCenterProject
from mappings.models import KeywordEntry
from projects.models import ProjectLink, SyncRun
from tests.api.factories import T0, link_add


def test_a_project_without_a_connection_still_gets_its_configure_url(firm: Firm, api: Client) -> None:
    ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC 7.8", name="Annex")

    body = api.get("/api/v1/projects/PC%207.8/connection/").json()

    assert body["connected"] is False
    assert body["configure_url"] == f"{settings.PORTAL_BASE_URL}/connect/PC%207.8/"
    assert body["provider"] is None and body["receiving_user"] is None and body["connection_url"] is None
    assert "configure_url" in body["health"]


def test_a_connected_project_shows_provider_receiving_user_and_syncs(firm: Firm, api: Client, token: str) -> None:
    link = link_add(firm, "PC-1", last_synced_at=T0, next_sync_at=T0 + dt.timedelta(minutes=2))
    SyncRun.objects.create(firm=firm, link=link, started_at=T0, finished_at=T0, status="succeeded", fetched=12)

    body = api.get("/api/v1/projects/PC-1/connection/").json()

    assert body["connected"] is True
    assert body["configure_url"].endswith("/connect/PC-1/")
    assert body["connection_url"].endswith("/connect/PC-1/connection/")
    assert (body["provider"], body["provider_label"]) == ("procore", "Procore")
    assert body["provider_company"] == {"id": "4264", "name": "Acme Builders"}
    assert body["provider_project"] == {"id": "P-PC-1", "name": "Provider PC-1"}
    assert body["receiving_user"] == {
        "name": "Rita Reviewer",
        "email": "rita@builder.example.com",
        "account_status": "active",
    }
    assert (body["sync_submittals"], body["sync_rfis"]) == (True, True)
    assert (body["status"], body["healthy"], body["health"]) == ("active", True, "Syncing normally.")
    assert body["last_synced_at"] == "2026-03-02T09:00:00Z"
    assert body["next_sync_at"] == "2026-03-02T09:02:00Z"
    assert body["last_run"]["fetched"] == 12 and body["current_run"] is None
    assert "secret-a" not in str(body) and token not in str(body)


def test_the_health_says_what_is_wrong_and_which_kinds_are_held(firm: Firm, api: Client) -> None:
    link = link_add(firm, "PC-1")
    KeywordEntry.objects.filter(keyword_list__project=link.project, keyword_list__kind="rfi_action").delete()
    ProjectLink.objects.filter(pk=link.pk).update(
        status=ProjectLink.Status.CONNECTION_LOST,
        status_reason="The portal's access to your Procore account has expired. Reconnect your Procore account.",
    )

    body = api.get("/api/v1/projects/PC-1/connection/").json()

    assert body["status"] == "connection_lost" and body["healthy"] is False
    assert body["health"].startswith("The portal's access to your Procore account has expired")
    assert [held["kind"] for held in body["held_kinds"]] == ["rfi"]
    assert "Request for Information" in body["held_kinds"][0]["message"]


def test_sync_now_queues_a_run_and_answers_202_with_where_to_follow_it(firm: Firm, api: Client) -> None:
    link = link_add(firm, "PC-1")

    response = api.post("/api/v1/projects/PC-1/connection/sync/")
    again = api.post("/api/v1/projects/PC-1/connection/sync/")

    assert response.status_code == again.status_code == 202
    run = response.json()
    assert run["status"] == "queued" and run["pc_project_id"] == "PC-1"
    assert again.json()["id"] == run["id"]  # pressing it again while it waits answers the same run
    assert response["Location"] == run["url"]
    assert OrmQ.objects.exists()  # a sync task waits for a worker
    assert ProjectLink.objects.get(pk=link.pk).poked_at is not None
    assert AuditEvent.objects.filter(action="link.sync_now", actor_token__isnull=False).count() == 2

    progress = api.get(run["url"])

    assert progress.status_code == 200 and progress.json()["id"] == run["id"]


def test_sync_now_refuses_a_project_without_connection_or_paused_by_a_person(firm: Firm, api: Client) -> None:
    ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-none", name="Unconnected")
    link_add(firm, "PC-paused", status=ProjectLink.Status.PAUSED)

    unconnected = api.post("/api/v1/projects/PC-none/connection/sync/")
    paused = api.post("/api/v1/projects/PC-paused/connection/sync/")

    assert unconnected.status_code == 404 and unconnected.json()["code"] == "not_connected"
    assert unconnected.json()["details"]["configure_url"].endswith("/connect/PC-none/")
    assert paused.status_code == 409 and paused.json()["code"] == "paused"
    assert not SyncRun.objects.exists()


def test_a_run_shows_its_progress(firm: Firm, api: Client) -> None:
    link = link_add(firm, "PC-1")
    run = SyncRun.objects.create(
        firm=firm, link=link, started_at=T0, status="running", fetched=100, expected_items=250, new=3
    )

    body = api.get(f"/api/v1/runs/{run.pk}/").json()

    assert (body["status"], body["progress_percent"], body["fetched"], body["new"]) == ("running", 40, 100, 3)
    assert body["finished_at"] is None


def test_another_firms_run_and_an_id_too_large_for_the_database_are_not_found(
    firm: Firm, other_api: Client, api: Client
) -> None:
    run = SyncRun.objects.create(firm=firm, link=link_add(firm, "PC-1"), started_at=T0)

    assert other_api.get(f"/api/v1/runs/{run.pk}/").status_code == 404
    assert api.get("/api/v1/runs/99999999999999999999999/").status_code == 404


def test_every_receiving_user_is_listed_and_a_lost_one_is_named_in_the_health(firm: Firm, api: Client) -> None:
    from django.utils import timezone

    from projects.models import LinkReviewer
    from providers.models import ProviderAccount

    link = link_add(firm, "PC-1", last_synced_at=T0)
    oscar = ProviderAccount.objects.create(
        firm=firm, provider="procore", provider_user_id="o", name="Oscar Other", status="needs_reauth"
    )
    LinkReviewer.objects.create(firm=firm, link=link, account=oscar, created_at=timezone.now())

    body = api.get("/api/v1/projects/PC-1/connection/").json()

    assert [(u["name"], u["account_status"]) for u in body["receiving_users"]] == [
        ("Rita Reviewer", "active"),
        ("Oscar Other", "needs_reauth"),
    ]
    assert body["status"] == "active" and body["healthy"] is False
    assert body["health"].startswith("Oscar Other must sign in to Procore again")


def test_the_connection_says_when_polling_is_slowed_by_the_accounts_budget_and_how_often_it_polls(
    firm: Firm, api: Client
) -> None:
    from projects.models import AccountRateBudget

    # Given one connection: polled at its interval
    first = link_add(firm, "PC-1", sync_interval=30)
    body = api.get("/api/v1/projects/PC-1/connection/").json()
    assert (body["polling_every_seconds"], body["polling_slowed_by_budget"], body["polling_slowed"]) == (30, False, "")

    # When nine more connections share its account, whose budget is 1,000 requests an hour
    for n in range(2, 11):
        link_add(firm, f"PC-{n}", sync_interval=30)
    AccountRateBudget.objects.create(account=first.account, hourly_limit=1000, observed_at=T0)

    # Then 10 links x 2 kinds x 120 polls an hour = 2,400 planned against 60 % of 1,000: every 120 s, and it says so
    body = api.get("/api/v1/projects/PC-1/connection/").json()
    assert (body["polling_every_seconds"], body["polling_slowed_by_budget"]) == (120, True)
    assert body["polling_slowed"].startswith("Polled about every 120 s instead of every 30 s")
    assert "hourly request limit" in body["polling_slowed"]


def test_a_project_without_a_connection_has_no_polling_figures(firm: Firm, api: Client) -> None:
    ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-9", name="Annex")

    body = api.get("/api/v1/projects/PC-9/connection/").json()

    assert (body["polling_every_seconds"], body["polling_slowed_by_budget"], body["polling_slowed"]) == (
        None,
        None,
        None,
    )
