"""The per-link lease: at most one sync of a link runs at a time, and a dead worker's lease expires."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db.models import Q

from projects.constants import LEASE
from projects.models import ProjectLink


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
