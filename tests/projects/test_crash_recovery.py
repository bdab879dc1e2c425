"""Crash recovery by itself, in about a minute: a worker that dies mid-sync or mid-delivery leaves nothing that needs a
person. Its lease lapses within LEASE (renewed by heartbeat while it lived), the sweep's next tick takes the link over
and closes the dead run as interrupted; a response it was sending is resumed, and sent again only after reading."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import responses
from django.template.loader import render_to_string

from projects.constants import DELIVERY_LEASE, LEASE, SWEEP_EVERY
from projects.models import ItemResponse, ProjectLink, SyncedItem, SyncRun
from projects.selectors import sync_status
from projects.services import link_sync, response_deliver, response_record, sweep_run
from projects.services.lease import LeaseHeartbeat, lease_acquire
from projects.services.mapping import mapping_table_create_for_link
from providers import http
from providers.errors import UnexpectedAnswer
from tests.projects.test_sweep import Recorder


@pytest.fixture
def item(link, provider, clock) -> SyncedItem:
    mapping_table_create_for_link(link=link, options=provider.options)
    provider.put("submittal", "42", title="Curtain wall shop drawings")
    link_sync(link_id=link.pk, clock=clock, port=provider)
    return SyncedItem.objects.get(provider_id="42")


class WorkerKilled(BaseException):
    """What the engine sees of a killed process: nothing it can catch, nothing it can clean up."""


def kill_mid_sync(link: ProjectLink, provider: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sync the link and kill its worker on the second page: nothing is released, the run stays "running"."""
    provider.seed("submittal", 6)

    def die(number: int) -> None:
        if number == 2:
            raise WorkerKilled

    provider.on_page = die
    with monkeypatch.context() as dying:
        dying.setattr("projects.services.pull.lease_release", lambda **kw: None)  # a killed process releases nothing
        with pytest.raises(WorkerKilled):
            link_sync(link_id=link.pk, clock=provider.clock, port=provider)
    provider.on_page = None


def test_a_dead_workers_link_is_taken_over_by_the_first_sweep_tick_after_its_lease_lapses(
    link, provider, clock, monkeypatch
):
    kill_mid_sync(link, provider, monkeypatch)

    assert sweep_run(now=clock(), enqueue=Recorder()).links == []  # the lease still holds ...
    clock.advance(seconds=LEASE.total_seconds() + 1)  # ... for 45 s, not 10 minutes
    assert sweep_run(now=clock(), enqueue=Recorder()).links == [link.pk]
    assert dt.timedelta(seconds=75) >= LEASE + SWEEP_EVERY  # the longest a dead worker stops a link


def test_a_run_whose_worker_died_is_closed_as_interrupted_with_the_reason_and_never_shown_as_current(
    link, provider, clock, monkeypatch
):
    kill_mid_sync(link, provider, monkeypatch)
    dead = SyncRun.objects.get(link=link)
    assert dead.status == SyncRun.Status.RUNNING and dead.pages_done == 1

    clock.advance(seconds=LEASE.total_seconds() + 1)
    status = sync_status(link=link, now=clock())  # before any sweep: the page already says it is not running
    html = render_to_string("projects/_sync_status.html", {"sync_status": status})
    assert status.running is None and status.state != "Syncing now" and "Syncing now" not in html

    sweep_run(now=clock(), enqueue=Recorder())
    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.INTERRUPTED and dead.finished_at == clock()
    assert "worker running this sync stopped" in dead.message and "nothing needs doing" in dead.message

    rerun = link_sync(link_id=link.pk, clock=clock, port=provider)
    assert rerun is not None and rerun.status == SyncRun.Status.SUCCEEDED
    assert sorted(SyncRun.objects.filter(link=link).values_list("status", flat=True)) == ["interrupted", "succeeded"]


def test_a_slow_sync_keeps_its_lease_by_heartbeat(link, provider, clock):
    provider.seed("submittal", 9)  # three pages
    provider.on_page = lambda number: clock.advance(seconds=40) and None  # each page takes 40 s: 120 s in all

    run = link_sync(link_id=link.pk, clock=clock, port=provider)

    assert run is not None and run.status == SyncRun.Status.SUCCEEDED and run.new == 9


def test_every_provider_request_beats_the_heartbeat(link, clock):
    owner = lease_acquire(link_id=link.pk, now=clock())
    assert owner is not None
    beat = LeaseHeartbeat(link_id=link.pk, owner=owner, clock=clock)
    client = http.HttpClient(sleep=lambda seconds: clock.advance(seconds=seconds) and None)
    with responses.RequestsMock() as mocked:
        mocked.get("https://provider.test/a", status=503, headers={"Retry-After": "1"})
        mocked.get("https://provider.test/a", json={})
        clock.advance(seconds=30)
        with http.on_each_attempt(beat):
            client.send("GET", "https://provider.test/a", classify=lambda r, a: UnexpectedAnswer("no"))

    link.refresh_from_db()
    assert link.lease_until == clock() - dt.timedelta(seconds=1) + LEASE  # renewed before the first attempt


def test_a_sync_whose_lease_was_taken_over_stops_without_committing_its_page(link, provider, clock):
    provider.seed("submittal", 6)

    def taken_over(number: int) -> None:
        if number == 2:  # this sync stalled past its lease, and another worker took the link
            clock.advance(seconds=LEASE.total_seconds() + 1)
            assert lease_acquire(link_id=link.pk, now=clock()) is not None

    provider.on_page = taken_over
    run = link_sync(link_id=link.pk, clock=clock, port=provider)

    assert run is not None and run.status == SyncRun.Status.INTERRUPTED
    assert "another worker took the connection over" in run.message
    assert run.pages_done == 1 and link.items.count() == 3  # the second page was not committed


def test_a_response_whose_sender_died_is_read_back_and_sent_once_more_by_itself(item, provider, clock, monkeypatch):
    response, _ = response_record(
        firm=item.firm, item=item, keyword="Approved as Noted", comment="See notes", idempotency_key="k"
    )

    def killed(*args: Any) -> str:
        raise WorkerKilled

    with monkeypatch.context() as dying:
        dying.setattr(provider, "post_response", killed)
        with pytest.raises(WorkerKilled):
            response_deliver(response_id=response.pk, clock=clock, port=provider)
    response.refresh_from_db()
    assert response.status == ItemResponse.Status.DELIVERING

    assert sweep_run(now=clock(), enqueue=Recorder()).responses == []  # its delivery lease still holds
    clock.advance(seconds=DELIVERY_LEASE.total_seconds() + 1)
    assert sweep_run(now=clock(), enqueue=Recorder()).responses == [response.pk]
    response.refresh_from_db()
    assert (response.status, response.attempts) == (ItemResponse.Status.PENDING, 0)
    assert "read back from the provider first" in response.provider_answer

    response_deliver(response_id=response.pk, clock=clock, port=provider)
    response.refresh_from_db()
    assert response.status == ItemResponse.Status.DELIVERED and len(provider.posts) == 1
