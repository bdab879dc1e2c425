"""The per-link lease: at most one sync of a link runs at a time, and a dead worker's link is taken over within two
sweep ticks.

A sync renews its lease by heartbeat (`LeaseHeartbeat`) from two places: a daemon thread of its own that beats every
HEARTBEAT_EVERY while the sync waits on a slow provider (`heartbeat_thread`), and the sync itself after every page and
before every provider request. The thread dies with the process (SIGKILL included), so the lease can be shorter than
the longest request. When a renewal finds the lease taken over (the sync was stuck so long that its lease lapsed and
another worker started), the sync's next checkpoint raises LeaseLost and it stops before committing anything more.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import secrets
import threading
from collections.abc import Callable, Iterator

from django.db import DatabaseError, connections
from django.db.models import Q

from projects.constants import HEARTBEAT_EVERY, LEASE, SILENCE_LIMIT
from projects.models import ProjectLink, SyncRun

logger = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another worker holds the link's lease now: this sync must stop."""


def lease_acquire(*, link_id: int, now: dt.datetime) -> str | None:
    """Take the link's lease (one conditional UPDATE, atomic on every database); None when another run holds it.

    A lease holds until `lease_until`, that moment excluded: the sweep judges a link free by the same rule, so the sync
    it queues the moment a dead worker's lease ends does take it (else the link would wait out QUEUE_GRACE)."""
    owner = secrets.token_hex(8)
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


class LeaseHeartbeat:
    """Renews a sync's lease (and its run's heartbeat) at most every HEARTBEAT_EVERY; raises LeaseLost when the lease
    belongs to another worker now. Called by providers.http before every request, by the engine after each page, and
    by the heartbeat thread in between (`beat_in_background`)."""

    def __init__(self, *, link_id: int, owner: str, clock: Callable[[], dt.datetime]) -> None:
        self.link_id, self.owner, self.clock = link_id, owner, clock
        self.run_id: int | None = None
        self.last = clock()  # the lease was just taken
        self.progress_at = self.last  # the sync's last checkpoint: what shows the thread it is not stuck
        self.lost = False  # found taken over by the thread: the sync's next checkpoint stops it

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
        """One beat of the heartbeat thread. It never raises: a lease found lost is flagged for the sync to stop at
        its next checkpoint, and a database error waits for the next beat (the lease outlasts two missed ones)."""
        now = self.clock()
        if self.lost or now - self.progress_at > SILENCE_LIMIT:
            return  # a sync this silent is stuck: let the lease lapse so another worker takes the link over
        try:
            self._renew(now)
        except LeaseLost:
            self.lost = True
        except DatabaseError as exc:
            logger.warning("lease heartbeat of link %s missed a beat: %s", self.link_id, type(exc).__name__)

    def _stop_if_lost(self) -> None:
        if self.lost:
            raise LeaseLost(f"the lease of link {self.link_id} was taken over")

    def _renew(self, now: dt.datetime) -> None:
        if not lease_renew(link_id=self.link_id, owner=self.owner, now=now):
            self.lost = True
            raise LeaseLost(f"the lease of link {self.link_id} was taken over")
        if self.run_id is not None:
            SyncRun.objects.filter(pk=self.run_id).update(heartbeat_at=now)
        self.last = now


def heartbeat_loop(heartbeat: LeaseHeartbeat, *, wait: Callable[[float], bool]) -> None:
    """Beat every HEARTBEAT_EVERY until `wait` answers True (the sync ended) or the lease is lost."""
    while not heartbeat.lost and not wait(HEARTBEAT_EVERY.total_seconds()):
        heartbeat.beat_in_background()


@contextlib.contextmanager
def heartbeat_thread(
    heartbeat: LeaseHeartbeat, *, wait: Callable[[threading.Event, float], bool] | None = None
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

    thread = threading.Thread(target=run, name=f"lease-heartbeat-link-{heartbeat.link_id}", daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        # A beat in flight may wait for the page transaction this block just ended; it cannot wait longer.
        thread.join(timeout=HEARTBEAT_EVERY.total_seconds())
