"""Crash recovery by itself, in about a minute: a worker that dies mid-sync or mid-delivery leaves nothing that needs a
person. Its lease lapses within LEASE (renewed by heartbeat while it lived), the sweep's next tick takes the link over
and closes the dead run as interrupted; a response it was sending is resumed, and sent again only after reading."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import responses
from django.db import InterfaceError, connection
from django.template.loader import render_to_string
from django.utils import timezone

from projects.constants import DELIVERY_LEASE, HEARTBEAT_EVERY, LEASE, SILENCE_LIMIT, SWEEP_EVERY
from projects.models import ItemResponse, ProjectLink, SyncedItem, SyncRun
from projects.selectors import sync_status
from projects.services import lease, link_sync, response_deliver, response_record, sweep_run
from projects.services.lease import (
    LeaseHeartbeat,
    LeaseLost,
    heartbeat_loop,
    heartbeat_thread,
    keep_alive_for,
    lease_acquire,
)
from projects.services.mapping import mapping_table_create_for_link
from providers import http
from providers.errors import UnexpectedAnswer
from tests.projects.conftest import T0
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
    clock.advance(seconds=LEASE.total_seconds() + 1)  # ... for 30 s, not 10 minutes
    assert sweep_run(now=clock(), enqueue=Recorder()).links == [link.pk]
    assert LEASE + SWEEP_EVERY <= 2 * SWEEP_EVERY == dt.timedelta(seconds=60)  # the longest a dead worker stops it


def test_a_dead_workers_link_is_never_stopped_longer_than_two_sweep_ticks(link, clock):
    # Given a worker killed right after its heartbeat renewed the lease (the latest a lease can lapse) ...
    for phase in range(0, int(SWEEP_EVERY.total_seconds()), 5):  # ... and the sweep ticking at any moment after
        owner = lease_acquire(link_id=link.pk, now=clock())
        assert owner is not None
        died = clock()
        clock.advance(seconds=phase)
        # When the sweep ticks every SWEEP_EVERY
        while link.pk not in sweep_run(now=clock(), enqueue=Recorder()).links:
            clock.advance(seconds=SWEEP_EVERY.total_seconds())
        # Then the link was handed to a worker again within two ticks (60 s) of the death, and that worker takes it
        assert clock() - died <= 2 * SWEEP_EVERY, f"stopped {clock() - died} with the ticks {phase} s after the death"
        assert lease_acquire(link_id=link.pk, now=clock()) is not None, f"not taken with the ticks {phase} s after"
        ProjectLink.objects.filter(pk=link.pk).update(queued_at=None, lease_owner="", lease_until=None)


class Waits:
    """The heartbeat thread's wait between beats: each moves the test's clock instead of sleeping; True ends it."""

    def __init__(self, clock: Any, *, beats: int, each: float = HEARTBEAT_EVERY.total_seconds()) -> None:
        self.clock, self.beats, self.each = clock, beats, each

    def __call__(self, seconds: float) -> bool:
        assert seconds == HEARTBEAT_EVERY.total_seconds()
        if self.beats == 0:
            return True
        self.beats -= 1
        self.clock.advance(seconds=self.each)
        return False


def test_the_heartbeat_thread_keeps_the_lease_while_one_provider_request_outlasts_it(link, clock):
    # Given a sync waiting 40 s on one provider request (5 s connect, 30 s read, 5 s retry wait): no checkpoint
    owner = lease_acquire(link_id=link.pk, now=clock())
    assert owner is not None
    heartbeat = LeaseHeartbeat(link_id=link.pk, owner=owner, clock=clock)
    run = SyncRun.objects.create(firm=link.firm, link=link, started_at=clock(), heartbeat_at=clock())
    heartbeat.run_id = run.pk

    # When its heartbeat thread beats meanwhile (every 10 s)
    heartbeat_loop(heartbeat, wait=Waits(clock, beats=4))

    # Then the lease holds longer than the request, and the run is shown as running
    assert clock() - T0 == dt.timedelta(seconds=40) > LEASE
    assert sweep_run(now=clock(), enqueue=Recorder()).links == []
    run.refresh_from_db()
    assert run.status == SyncRun.Status.RUNNING and run.heartbeat_at == clock()
    assert sync_status(link=link, now=clock()).running is not None


def test_the_heartbeat_thread_lets_a_stuck_syncs_lease_lapse(link, clock):
    # Given a sync that has shown no progress (no page, no request) for longer than SILENCE_LIMIT
    owner = lease_acquire(link_id=link.pk, now=clock())
    assert owner is not None
    heartbeat = LeaseHeartbeat(link_id=link.pk, owner=owner, clock=clock)
    seconds = (SILENCE_LIMIT + LEASE).total_seconds()

    # When its heartbeat thread goes on beating
    heartbeat_loop(heartbeat, wait=Waits(clock, beats=int(seconds // HEARTBEAT_EVERY.total_seconds()) + 1))

    # Then it stopped renewing after SILENCE_LIMIT: the sweep takes the link over; the stuck sync stops when it wakes
    assert sweep_run(now=clock(), enqueue=Recorder()).links == [link.pk]
    assert lease_acquire(link_id=link.pk, now=clock()) is not None
    with pytest.raises(LeaseLost):
        heartbeat()


def test_a_lease_taken_over_under_the_heartbeat_thread_stops_the_sync_at_its_next_checkpoint(link, clock):
    owner = lease_acquire(link_id=link.pk, now=clock())
    assert owner is not None
    heartbeat = LeaseHeartbeat(link_id=link.pk, owner=owner, clock=clock)
    ProjectLink.objects.filter(pk=link.pk).update(lease_owner="another-worker")

    heartbeat_loop(heartbeat, wait=Waits(clock, beats=5))  # the thread never raises ...

    assert heartbeat.lost and clock() - T0 == HEARTBEAT_EVERY  # ... it stops at its first beat, and flags it
    with pytest.raises(LeaseLost):
        heartbeat()  # the sync's next request
    with pytest.raises(LeaseLost):
        heartbeat.beat(clock())  # or its next page


class DroppedConnection:
    """A database connection the server dropped: every query fails until Django closes it (then it reconnects)."""

    def __init__(self) -> None:
        self.broken, self.failures = True, 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if self.broken:
            self.failures += 1
            raise InterfaceError("connection already closed")
        return execute(sql, params, many, context)

    def close(self) -> None:
        self.broken = False


@pytest.mark.django_db(transaction=True)  # the heartbeat closes its connection, as its thread does outside a test
def test_the_heartbeat_thread_reconnects_after_its_database_connection_broke(link, clock, monkeypatch, caplog):
    owner = lease_acquire(link_id=link.pk, now=clock())
    assert owner is not None
    heartbeat = LeaseHeartbeat(link_id=link.pk, owner=owner, clock=clock)
    dropped = DroppedConnection()
    real_close = connection.close

    def close() -> None:
        dropped.close()
        real_close()

    monkeypatch.setattr(connection, "close", close)

    with connection.execute_wrapper(dropped):
        heartbeat_loop(heartbeat, wait=Waits(clock, beats=2))  # the first beat fails, the thread lives on

    assert dropped.failures == 1  # the next beat did not find the connection still broken
    link.refresh_from_db()
    assert link.lease_until == T0 + 2 * HEARTBEAT_EVERY + LEASE and not heartbeat.lost  # the second beat renewed it
    assert "missed a beat: InterfaceError" in caplog.text and owner not in caplog.text


def test_a_sync_on_the_wall_clock_runs_the_heartbeat_thread_and_one_on_an_injected_clock_does_not():
    assert keep_alive_for(timezone.now) is heartbeat_thread
    assert keep_alive_for(lambda: T0) is not heartbeat_thread


def test_a_sync_keeps_its_lease_alive_while_it_runs(link, provider, clock):
    provider.seed("submittal", 3)
    kept: list[int] = []

    @contextlib.contextmanager
    def keep_alive(heartbeat: LeaseHeartbeat) -> Iterator[None]:
        kept.append(heartbeat.link_id)
        yield

    run = link_sync(link_id=link.pk, clock=clock, port=provider, keep_alive=keep_alive)

    assert run is not None and run.status == SyncRun.Status.SUCCEEDED and kept == [link.pk]


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_is_a_daemon_with_its_own_connection_that_stops_with_the_sync(link, clock, monkeypatch):
    owner = lease_acquire(link_id=link.pk, now=clock())
    assert owner is not None
    heartbeat = LeaseHeartbeat(link_id=link.pk, owner=owner, clock=clock)
    beaten, closed = threading.Event(), []
    real_close = lease.connections.close_all

    def close_all() -> None:
        closed.append(threading.current_thread())
        real_close()

    monkeypatch.setattr(lease.connections, "close_all", close_all)

    def wait(stop: threading.Event, seconds: float) -> bool:
        if not beaten.is_set() and heartbeat.last == T0:
            clock.advance(seconds=seconds)
            return False  # beat once, on the moved clock
        beaten.set()
        return stop.wait()  # then until the sync ends

    with heartbeat_thread(heartbeat, wait=wait) as thread:
        assert thread.daemon  # dies with its process: a killed worker's lease lapses
        assert beaten.wait(timeout=30)  # not a sleep: the thread has beaten once (it sets this right after)
    assert not thread.is_alive()  # stopped when the sync ended
    assert closed == [thread]  # its own connection, closed in it (never the sync's)
    link.refresh_from_db()
    assert link.lease_until == T0 + HEARTBEAT_EVERY + LEASE


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


def test_a_delivery_lease_ends_at_its_time_as_a_link_lease_does(item, provider, clock, monkeypatch):
    response, _ = response_record(firm=item.firm, item=item, keyword="Approved", comment="", idempotency_key="k")

    def killed(*args: Any) -> str:
        raise WorkerKilled

    with monkeypatch.context() as dying:
        dying.setattr(provider, "post_response", killed)
        with pytest.raises(WorkerKilled):
            response_deliver(response_id=response.pk, clock=clock, port=provider)
    response.refresh_from_db()
    clock.advance(seconds=(response.next_attempt_at - clock()).total_seconds())  # a sweep tick exactly at the lapse

    assert sweep_run(now=clock(), enqueue=Recorder()).responses == [response.pk]
