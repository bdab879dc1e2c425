"""What support sees on the metrics for links, runs, responses and webhooks (read from the database at each scrape)."""

from __future__ import annotations

import datetime as dt

from connector_portal.metrics import PROCESS_REGISTRY
from projects import metrics
from projects.models import ItemResponse, ProjectLink, SyncRun
from projects.services import link_sync, response_deliver, response_record
from projects.services.mapping import mapping_table_create_for_link
from projects.services.webhooks import webhook_authorize
from providers.errors import NeedsReauthorization
from tests.ops.metrics_helpers import samples_of, value
from tests.projects.conftest import T0


def scrape_at(now: dt.datetime) -> dict:
    return samples_of(metrics.collect(clock=lambda: now))


def counter(name: str, **labels: str) -> float:
    return PROCESS_REGISTRY.get_sample_value(name, labels) or 0.0


def test_each_links_lag_since_its_last_good_sync_is_exposed_and_paused_links_have_none(firm, make_link):
    synced = make_link(firm, last_synced_at=T0 - dt.timedelta(minutes=3))
    paused = make_link(firm, status=ProjectLink.Status.PAUSED, last_synced_at=T0 - dt.timedelta(days=3))

    samples = scrape_at(T0)

    labels = {"link": str(synced.pk), "firm": firm.slug, "provider": "procore"}
    assert value(samples, "portal_link_sync_lag_seconds", **labels) == 180
    assert value(samples, "portal_link_status", **labels, status="active") == 1
    paused_labels = {"link": str(paused.pk), "firm": firm.slug, "provider": "procore"}
    assert value(samples, "portal_link_sync_lag_seconds", **paused_labels) is None
    assert value(samples, "portal_link_status", **paused_labels, status="paused") == 1


def test_a_failing_link_shows_how_long_it_has_failed(firm, make_link):
    link = make_link(firm, status=ProjectLink.Status.FAILING, failing_since=T0 - dt.timedelta(hours=2))

    samples = scrape_at(T0)

    labels = {"link": str(link.pk), "firm": firm.slug, "provider": "procore"}
    assert value(samples, "portal_link_failing_seconds", **labels) == 7200
    assert value(samples, "portal_link_status", **labels, status="failing") == 1


def test_runs_are_counted_by_outcome_as_they_finish(link, provider, clock):
    succeeded = counter("portal_sync_runs_total", provider="procore", outcome="succeeded")
    provider.seed("submittal", 2)
    link_sync(link_id=link.pk, clock=clock, port=provider)
    provider.page_errors[1] = NeedsReauthorization("Sign in to Procore again.")
    lost_before = counter("portal_sync_runs_total", provider="procore", outcome=SyncRun.Status.FAILED)

    run = link_sync(link_id=link.pk, clock=clock, port=provider)

    assert run is not None
    assert counter("portal_sync_runs_total", provider="procore", outcome="succeeded") == succeeded + 1
    assert counter("portal_sync_runs_total", provider="procore", outcome=run.status) == lost_before + 1
    link.refresh_from_db()
    samples = scrape_at(clock())
    connection_lost = {"link": str(link.pk), "firm": link.firm.slug, "provider": "procore"}
    assert value(samples, "portal_link_status", **connection_lost, status=link.status) == 1


def test_responses_are_counted_by_state_with_the_oldest_waiting_one(link, provider, clock):
    mapping_table_create_for_link(link=link, options=provider.options)
    provider.put("submittal", "42")
    link_sync(link_id=link.pk, clock=clock, port=provider)
    item = link.items.get(provider_id="42")
    sent, _ = response_record(firm=link.firm, item=item, keyword="Approved", comment="", idempotency_key="k1")
    response_deliver(response_id=sent.pk, clock=clock, port=provider)
    waiting, _ = response_record(firm=link.firm, item=item, keyword="Rejected", comment="", idempotency_key="k2")

    samples = scrape_at(waiting.created_at + dt.timedelta(minutes=10))

    assert value(samples, "portal_responses", status=ItemResponse.Status.DELIVERED) == 1
    assert value(samples, "portal_responses", status=ItemResponse.Status.PENDING) == 1
    assert value(samples, "portal_responses", status=ItemResponse.Status.FAILED) == 0
    assert value(samples, "portal_response_oldest_pending_seconds") == 600


def test_incoming_webhook_deliveries_are_counted_by_outcome(db):
    labels = {"provider": "procore", "outcome": "unknown link"}
    before = counter("portal_provider_webhook_deliveries_total", **labels)

    webhook_authorize(token="no-such-hook", authorization="Bearer x")

    assert counter("portal_provider_webhook_deliveries_total", **labels) == before + 1


def test_rows_counted_by_state_are_left_out_while_their_model_does_not_exist(link, provider, clock, monkeypatch):
    provider.seed("submittal", 1)
    link_sync(link_id=link.pk, clock=clock, port=provider)
    monkeypatch.setattr(
        metrics,
        "STATE_GAUGES",
        [("portal_things", "projects.NoSuchModel", "status"), ("portal_runs", "projects.SyncRun", "status")],
    )

    samples = scrape_at(T0)

    assert "portal_things" not in {name for name, _ in samples}
    assert value(samples, "portal_runs", status="succeeded") == 1
