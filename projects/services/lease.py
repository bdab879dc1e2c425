"""The per-link lease: at most one sync of a link runs at a time, and a dead worker's lease lapses within a minute.

A sync renews its lease by heartbeat (`LeaseHeartbeat`): after every page and before every provider request. When a
renewal finds the lease taken over (the sync was so slow that its lease lapsed and another worker started), the
heartbeat raises LeaseLost and the slow sync stops before committing anything more.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable

from django.db.models import Q

from projects.constants import HEARTBEAT_EVERY, LEASE
from projects.models import ProjectLink, SyncRun


class LeaseLost(Exception):
    """Another worker holds the link's lease now: this sync must stop."""


def lease_acquire(*, link_id: int, now: dt.datetime) -> str | None:
    """Take the link's lease (one conditional UPDATE, atomic on every database); None when another run holds it."""
    owner = secrets.token_hex(8)
    taken = (
        ProjectLink.objects.filter(pk=link_id)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_owner=owner, lease_until=now + LEASE, poked_at=None, queued_at=None)
    )
    return owner if taken else None


def lease_renew(*, link_id: int, owner: str, now: dt.datetime) -> bool:
    return bool(ProjectLink.objects.filter(pk=link_id, lease_owner=owner).update(lease_until=now + LEASE))


def lease_release(*, link_id: int, owner: str) -> None:
    ProjectLink.objects.filter(pk=link_id, lease_owner=owner).update(lease_owner="", lease_until=None)


class LeaseHeartbeat:
    """Renews a sync's lease (and its run's heartbeat) at most every HEARTBEAT_EVERY; raises LeaseLost when the lease
    belongs to another worker now. Called by providers.http before every request, and by the engine after each page."""

    def __init__(self, *, link_id: int, owner: str, clock: Callable[[], dt.datetime]) -> None:
        self.link_id, self.owner, self.clock = link_id, owner, clock
        self.run_id: int | None = None
        self.last = clock()  # the lease was just taken

    def __call__(self) -> None:
        now = self.clock()
        if now - self.last < HEARTBEAT_EVERY:
            return
        self.beat(now)

    def beat(self, now: dt.datetime) -> None:
        if not lease_renew(link_id=self.link_id, owner=self.owner, now=now):
            raise LeaseLost(f"the lease of link {self.link_id} was taken over")
        if self.run_id is not None:
            SyncRun.objects.filter(pk=self.run_id).update(heartbeat_at=now)
        self.last = now
