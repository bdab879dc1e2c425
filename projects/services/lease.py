"""Leases: at most one sync of a link runs at a time, and at most one worker sends a response; a dead worker's link
is taken over within two sweep ticks, and its response is settled by the sweep once its delivery lease lapses.

The work renews its lease by heartbeat (`Heartbeat`) from two places: a daemon thread of its own that beats every
HEARTBEAT_EVERY while the work waits on a slow provider (`heartbeat_thread`: a page, a big file's upload), and the work
itself at its checkpoints and before every provider request. The thread dies with the process (SIGKILL included), so
the lease can be shorter than the longest request. When a renewal finds the lease taken over (the work was stuck so
long that its lease lapsed and another worker started), the work's next checkpoint raises LeaseLost and it stops
before writing anything more.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import TypeVar

from django import db
from django.db import connections
from django.db.models import Q
from django.utils import timezone

from projects.constants import DELIVERY_LEASE, DELIVERY_SILENCE_LIMIT, HEARTBEAT_EVERY, LEASE, SILENCE_LIMIT
from projects.models import ItemResponse, ProjectLink, SyncRun

logger = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another worker holds the lease now (of a link, or of a response's delivery): this work must stop."""


def lease_owner_new() -> str:
    """A worker's token for one lease it takes: a renewal or a settle that does not find it is no longer its own."""
    return secrets.token_hex(8)


def lease_acquire(*, link_id: int, now: dt.datetime) -> str | None:
    """Take the link's lease (one conditional UPDATE, atomic on every database); None when another run holds it.

    A lease holds until `lease_until`, that moment excluded: the sweep judges a link free by the same rule, so the sync
    it queues the moment a dead worker's lease ends does take it (else the link would wait out QUEUE_GRACE)."""
    owner = lease_owner_new()
    taken = (
        ProjectLink.objects.filter(pk=link_id)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .update(lease_owner=owner, lease_until=now + LEASE, poked_at=None, queued_at=None)
    )
    return owner if taken else None


def lease_renew(*, link_id: int, owner: str, now: dt.datetime) -> bool:
    return bool(ProjectLink.objects.filter(pk=link_id, lease_owner=owner).update(lease_until=now + LEASE))


def lease_release(*, link_id: int, owner: str) -> None:
    ProjectLink.objects.filter(pk=link_id, lease_owner=owner).update(lease_owner="", lease_until=None)


class Heartbeat:
    """Renews a lease at most every HEARTBEAT_EVERY; raises LeaseLost once the lease belongs to another worker.

    Called before every provider request (providers.http.on_each_attempt), by the work at its own checkpoints, and by
    the heartbeat thread in between (`beat_in_background`). Subclasses say which lease (`_renew_lease`)."""

    # After this long with no checkpoint the thread stops renewing: the work is stuck, another worker takes it over.
    silence_limit: dt.timedelta = SILENCE_LIMIT

    def __init__(self, *, name: str, clock: Callable[[], dt.datetime]) -> None:
        self.name, self.clock = name, clock
        self.last = clock()  # the lease was just taken
        self.progress_at = self.last  # the work's last checkpoint: what shows the thread it is not stuck
        self.lost = False  # found taken over by the thread: the work's next checkpoint stops it

    def __call__(self) -> None:
        now = self.clock()
        self._stop_if_lost()
        self.progress_at = now
        if now - self.last < HEARTBEAT_EVERY:
            return
        self.beat(now)

    def beat(self, now: dt.datetime) -> None:
        self._stop_if_lost()
        self.progress_at = now
        self._renew(now)

    def beat_in_background(self) -> None:
        """One beat of the heartbeat thread. It never raises: a lease found lost is flagged for the work to stop at
        its next checkpoint, and a database error waits for the next beat (the lease outlasts two missed ones).

        After a database error the thread's connection is closed, so the next beat opens a new one: a connection the
        server dropped (a restart, a failover, an idle timeout) stays broken in Django until it is closed."""
        now = self.clock()
        if self.lost or now - self.progress_at > self.silence_limit:
            return  # work this silent is stuck: let the lease lapse so another worker takes it over
        try:
            self._renew(now)
        except LeaseLost:
            self.lost = True
        except db.Error as exc:  # InterfaceError (a closed connection) included
            logger.warning("lease heartbeat of %s missed a beat: %s; reconnecting", self.name, type(exc).__name__)
            with contextlib.suppress(db.Error):
                db.connection.close()

    def _stop_if_lost(self) -> None:
        if self.lost:
            raise LeaseLost(f"the lease of {self.name} was taken over")

    def _renew(self, now: dt.datetime) -> None:
        if not self._renew_lease(now):
            self.lost = True
            raise LeaseLost(f"the lease of {self.name} was taken over")
        self.last = now

    def _renew_lease(self, now: dt.datetime) -> bool:
        """Extend the lease from `now`; False when it is not this worker's any more."""
        raise NotImplementedError


class LeaseHeartbeat(Heartbeat):
    """A sync's: renews the link's lease, and its run's heartbeat (what shows the run as running)."""

    def __init__(self, *, link_id: int, owner: str, clock: Callable[[], dt.datetime]) -> None:
        super().__init__(name=f"link {link_id}", clock=clock)
        self.link_id, self.owner = link_id, owner
        self.run_id: int | None = None

    def _renew_lease(self, now: dt.datetime) -> bool:
        if not lease_renew(link_id=self.link_id, owner=self.owner, now=now):
            return False
        if self.run_id is not None:
            SyncRun.objects.filter(pk=self.run_id).update(heartbeat_at=now)
        return True


class DeliveryHeartbeat(Heartbeat):
    """A response's delivery: renews its lease (`next_attempt_at` while it is being sent) as long as it is still this
    worker's. The sweep settles a delivery whose lease lapsed and another worker may claim it; this one then stops
    before its next provider request, so the response is never sent by two workers at once."""

    silence_limit = DELIVERY_SILENCE_LIMIT

    def __init__(self, *, response_id: int, owner: str, clock: Callable[[], dt.datetime]) -> None:
        super().__init__(name=f"the delivery of response {response_id}", clock=clock)
        self.response_id, self.owner = response_id, owner

    def _renew_lease(self, now: dt.datetime) -> bool:
        return delivery_lease_renew(response_id=self.response_id, owner=self.owner, now=now)


def delivery_lease_renew(*, response_id: int, owner: str, now: dt.datetime) -> bool:
    mine = ItemResponse.objects.filter(pk=response_id, delivery_owner=owner, status=ItemResponse.Status.DELIVERING)
    return bool(mine.update(next_attempt_at=now + DELIVERY_LEASE))


def heartbeat_loop(heartbeat: Heartbeat, *, wait: Callable[[float], bool]) -> None:
    """Beat every HEARTBEAT_EVERY until `wait` answers True (the work ended) or the lease is lost."""
    while not heartbeat.lost and not wait(HEARTBEAT_EVERY.total_seconds()):
        heartbeat.beat_in_background()


@contextlib.contextmanager
def heartbeat_thread(
    heartbeat: Heartbeat, *, wait: Callable[[threading.Event, float], bool] | None = None
) -> Iterator[threading.Thread]:
    """Keep the lease alive from a daemon thread while the block runs; the thread stops when the block ends.

    A daemon, so a worker shutting down does not wait for it, and it dies with its process: a killed worker's lease
    lapses. It queries through a database connection of its own (Django's are per thread), closed when it stops.
    `wait(stop, seconds)` is how it waits between beats (tests pass one that moves their clock instead)."""
    stop = threading.Event()
    waiting = wait or (lambda event, seconds: event.wait(seconds))

    def run() -> None:
        try:
            heartbeat_loop(heartbeat, wait=lambda seconds: waiting(stop, seconds))
        finally:
            connections.close_all()  # this thread's own connections only

    thread = threading.Thread(target=run, name=f"lease heartbeat of {heartbeat.name}", daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        # A beat in flight may wait for the page transaction this block just ended; it cannot wait longer.
        thread.join(timeout=HEARTBEAT_EVERY.total_seconds())


H = TypeVar("H", bound=Heartbeat)
# What keeps a lease alive while a block of work runs: the heartbeat thread, or nothing (see keep_alive_for).
KeepAlive = Callable[[H], AbstractContextManager[object]]


def keep_alive_for(clock: Callable[[], dt.datetime]) -> KeepAlive[Heartbeat]:
    """The heartbeat thread beats on the wall clock, so it runs when the work does; work on an injected clock
    (tests, the fault storm) is driven by whoever moves that clock, and beats at its own checkpoints only."""
    return heartbeat_thread if clock is timezone.now else (lambda heartbeat: contextlib.nullcontext())
