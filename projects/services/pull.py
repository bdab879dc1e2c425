"""Pull: bring a link's submittals and RFIs in, page by page, one feed entry per real change."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from projects.constants import LOOKBACK, RECONCILE_INTERVAL, WEBHOOK_SAFETY_NET_INTERVAL
from projects.models import FeedEntry, ProjectLink, SyncedItem, SyncRun
from projects.ports import ProviderPort, held_kinds, provider_port_for
from projects.services.feed import feed_append
from projects.services.health import link_record_failure, link_record_success
from projects.services.lease import lease_acquire, lease_release, lease_renew
from providers.errors import ProviderError
from providers.types import ItemKind, ProviderItem

logger = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]

# What the portal's own response changes on a provider item. A change limited to these, right after the portal
# posted a response, is the echo of that response and not news for Project Center.
ECHO_FIELDS = frozenset({"ball_in_court"})
UPDATE_FIELDS = [
    "number",
    "revision",
    "title",
    "status",
    "due_date",
    "ball_in_court",
    "url",
    "closed",
    "removed",
    "provider_updated_at",
    "content_hash",
    "raw",
    "echo_pending",
    "changed_at",
    "unlisted_at",
]


def content_hash(item: ProviderItem) -> str:
    """What Project Center shows of an item; `updated_at` and the raw payload are left out on purpose."""
    visible = [
        item.number,
        item.revision,
        item.title,
        item.status,
        item.due_date.isoformat() if item.due_date else None,
        sorted(item.ball_in_court),
        item.url,
        item.closed,
        item.deleted,
    ]
    return hashlib.sha256(json.dumps(visible, separators=(",", ":")).encode()).hexdigest()


@dataclass
class PageCounts:
    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    not_for_user: int = 0
    changes: list[tuple[SyncedItem, str]] = field(default_factory=list)


def _apply(stored: SyncedItem, item: ProviderItem, digest: str, now: dt.datetime) -> None:
    stored.number = item.number
    stored.revision = item.revision
    stored.title = item.title[:500]
    stored.status = item.status
    stored.due_date = item.due_date
    stored.ball_in_court = list(item.ball_in_court)
    stored.url = item.url
    stored.closed = item.closed
    stored.removed = item.deleted
    stored.unlisted_at = None
    stored.provider_updated_at = item.updated_at
    stored.content_hash = digest
    stored.raw = item.raw
    stored.changed_at = now


def _differs_only_by_echo(stored: SyncedItem, item: ProviderItem) -> bool:
    before = {
        "number": stored.number,
        "revision": stored.revision,
        "title": stored.title,
        "status": stored.status,
        "due_date": stored.due_date,
        "url": stored.url,
        "closed": stored.closed,
        "deleted": stored.removed,
    }
    after = {
        "number": item.number,
        "revision": item.revision,
        "title": item.title[:500],
        "status": item.status,
        "due_date": item.due_date,
        "url": item.url,
        "closed": item.closed,
        "deleted": item.deleted,
    }
    return before == after


def _predecessors(link: ProjectLink, kind: str, items: Sequence[ProviderItem]) -> dict[str, SyncedItem]:
    """Earlier revisions by the provider's predecessor id, else by the same number (one query)."""
    wanted_ids = {i.predecessor_id for i in items if i.predecessor_id}
    numbers = {i.number for i in items if i.revision and not i.predecessor_id}
    if not wanted_ids and not numbers:
        return {}
    found: dict[str, SyncedItem] = {}
    rows = SyncedItem.objects.filter(link=link, kind=kind).filter(Q(provider_id__in=wanted_ids) | Q(number__in=numbers))
    for row in rows.order_by("provider_updated_at", "id"):
        found[row.provider_id] = row
        found.setdefault(f"number:{row.number}", row)
        latest = found[f"number:{row.number}"]
        if _revision_key(row.revision) >= _revision_key(latest.revision):
            found[f"number:{row.number}"] = row
    return found


def _revision_key(revision: str) -> tuple[int, str]:
    return (int(revision), "") if revision.isdigit() else (-1, revision)


def _predecessor_for(item: ProviderItem, found: dict[str, SyncedItem]) -> SyncedItem | None:
    if item.predecessor_id:
        return found.get(item.predecessor_id)
    earlier = found.get(f"number:{item.number}") if item.revision else None
    if (
        earlier
        and earlier.provider_id != item.provider_id
        and _revision_key(earlier.revision) < _revision_key(item.revision)
    ):
        return earlier
    return None


def _link_revisions(link: ProjectLink, kind: str, to_create: list[tuple[SyncedItem, ProviderItem]]) -> None:
    """Save the page's new items, each linked to its earlier revision: stored before, or new on this same page."""
    found = _predecessors(link, kind, [i for _, i in to_create])
    on_page: dict[str, SyncedItem] = {}
    later: list[tuple[SyncedItem, SyncedItem]] = []  # (item, predecessor saved in the same bulk insert)
    for new, item in sorted(to_create, key=lambda pair: _revision_key(pair[1].revision)):
        new.predecessor = _predecessor_for(item, found)
        earlier = None if new.predecessor else _predecessor_for(item, on_page)
        if earlier is not None:
            later.append((new, earlier))
        on_page[item.provider_id] = new
        if item.revision:
            on_page[f"number:{item.number}"] = new
    SyncedItem.objects.bulk_create([new for new, _ in to_create])
    for new, earlier in later:
        new.predecessor = earlier
    if later:
        SyncedItem.objects.bulk_update([new for new, _ in later], ["predecessor"])


def ingest_page(*, link: ProjectLink, kind: str, items: Sequence[ProviderItem], now: dt.datetime) -> PageCounts:
    """Upsert one page of items and append their real changes to the feed. Call inside a transaction."""
    counts = PageCounts(fetched=len(items))
    existing = {
        s.provider_id: s
        for s in SyncedItem.objects.filter(link=link, kind=kind, provider_id__in=[i.provider_id for i in items])
    }
    to_create: list[tuple[SyncedItem, ProviderItem]] = []
    to_update: list[SyncedItem] = []
    for item in items:
        digest = content_hash(item)
        stored = existing.get(item.provider_id)
        if stored is None:
            if item.deleted or not item.for_receiving_user:
                # Items for other users are never stored; once stored, an item is followed to the end (closing
                # happens after the ball has left the reviewer's court).
                counts.not_for_user += 0 if item.deleted else 1
                counts.unchanged += 1 if item.deleted else 0
                continue
            new = SyncedItem(firm_id=link.firm_id, link=link, kind=kind, provider_id=item.provider_id)
            new.first_seen_at = now
            _apply(new, item, digest, now)
            to_create.append((new, item))
            existing[item.provider_id] = new  # a provider repeating an item on two pages adds it once
            continue
        if stored.content_hash == digest:
            counts.unchanged += 1
            continue
        # The echo of the portal's own response, or more changes to an item already reported removed: not news.
        quiet = (stored.echo_pending and not item.deleted and _differs_only_by_echo(stored, item)) or (
            stored.removed and item.deleted
        )
        _apply(stored, item, digest, now)
        stored.echo_pending = False
        to_update.append(stored)
        if quiet:
            counts.unchanged += 1
        elif item.deleted:
            counts.removed += 1
            counts.changes.append((stored, FeedEntry.Change.REMOVED))
        else:
            counts.changed += 1
            counts.changes.append((stored, FeedEntry.Change.CHANGED))
    if to_create:
        _link_revisions(link, kind, to_create)
        counts.new += len(to_create)
        counts.changes[:0] = [(new, FeedEntry.Change.NEW) for new, _ in to_create]
    if to_update:
        SyncedItem.objects.bulk_update(to_update, UPDATE_FIELDS)
    feed_append(firm_id=link.firm_id, changes=counts.changes, now=now)
    return counts


def _record_page(run: SyncRun, counts: PageCounts, calls: int, total: int | None) -> None:
    updates = {
        "fetched": F("fetched") + counts.fetched,
        "new": F("new") + counts.new,
        "changed": F("changed") + counts.changed,
        "unchanged": F("unchanged") + counts.unchanged,
        "removed": F("removed") + counts.removed,
        "not_for_user": F("not_for_user") + counts.not_for_user,
        "provider_calls": F("provider_calls") + calls,
        "pages_done": F("pages_done") + 1,
    }
    SyncRun.objects.filter(pk=run.pk).update(**updates, heartbeat_at=timezone.now())
    for name in ("fetched", "new", "changed", "unchanged", "removed", "not_for_user", "pages_done"):
        setattr(run, name, getattr(run, name) + (1 if name == "pages_done" else getattr(counts, name)))
    run.provider_calls += calls


def pull_kind(
    *,
    link: ProjectLink,
    kind: ItemKind,
    port: ProviderPort,
    run: SyncRun,
    owner: str,
    clock: Clock,
    full: bool = False,
) -> None:
    """Every page of items of `kind` changed since the cursor (minus the look-back); with `full`, every item.

    Each page commits with its items and feed entries. The cursor moves only when every page is in: providers page
    in their own order, not by `updated_at`, so an earlier cursor is the only one that can never skip an item. A
    crashed run is therefore simply run again; re-read items match their stored hash and add nothing.
    A full listing also finds the stored items the provider no longer lists: they were deleted upstream.
    """
    cursor = link.cursor_for(kind)
    since = cursor - LOOKBACK if cursor and not full else None
    listed: set[str] = set()
    started = clock()
    newest = cursor
    first_page = True
    for page in port.pages(kind, since):
        now = clock()
        with transaction.atomic():
            counts = ingest_page(link=link, kind=kind, items=page.items, now=now)
            lease_renew(link_id=link.pk, owner=owner, now=now)
        if first_page and page.total is not None:
            run.expected_items = (run.expected_items or 0) + page.total
            SyncRun.objects.filter(pk=run.pk).update(expected_items=run.expected_items)
        first_page = False
        _record_page(run, counts, page.calls, page.total)
        listed.update(i.provider_id for i in page.items)
        seen = max((i.updated_at for i in page.items), default=None)
        if seen is not None and (newest is None or seen > newest):
            newest = seen
    if since is None:
        removed = _mark_unlisted_removed(link, kind, listed, clock())
        SyncRun.objects.filter(pk=run.pk).update(removed=F("removed") + removed)
        run.removed += removed
    if newest is not None and newest != cursor:
        # Never past the run's start: an item changed while we paged may have slipped between offset pages.
        new_cursor = min(newest, started)
        if cursor is not None:
            new_cursor = max(new_cursor, cursor)
        setattr(link, f"{kind}_cursor", new_cursor)
        ProjectLink.objects.filter(pk=link.pk).update(**{f"{kind}_cursor": new_cursor})


def _mark_unlisted_removed(link: ProjectLink, kind: str, listed: set[str], now: dt.datetime) -> int:
    """After a full listing: a stored item missing from two full listings in a row was deleted upstream.

    One miss is not enough: an offset-paged list can skip a row when another is deleted while we page.
    """
    with transaction.atomic():
        stored = SyncedItem.objects.filter(link=link, kind=kind, removed=False).only("id", "provider_id", "unlisted_at")
        back, first_miss, gone = [], [], []
        for item in stored.iterator(chunk_size=2000):
            if item.provider_id in listed:
                if item.unlisted_at is not None:
                    item.unlisted_at = None
                    back.append(item)
            elif item.unlisted_at is None:
                item.unlisted_at = now
                first_miss.append(item)
            else:
                item_mark_removed(item, now)
                gone.append(item)
        SyncedItem.objects.bulk_update(back + first_miss, ["unlisted_at"], batch_size=1000)
        SyncedItem.objects.bulk_update(gone, REMOVED_FIELDS, batch_size=1000)
        feed_append(firm_id=link.firm_id, changes=[(item, FeedEntry.Change.REMOVED) for item in gone], now=now)
    return len(gone)


REMOVED_FIELDS = ["removed", "content_hash", "changed_at"]


def item_mark_removed(item: SyncedItem, now: dt.datetime) -> None:
    """Deleted upstream. The hash is cleared so that, should the item come back, it reads as a change."""
    item.removed, item.content_hash, item.changed_at = True, "", now


def planned_interval(*, sync_interval: int, webhook_healthy: bool) -> int:
    """Seconds between planned polls. A link whose provider webhook works is polled only as a slow safety net."""
    if webhook_healthy:
        return max(sync_interval, WEBHOOK_SAFETY_NET_INTERVAL)
    return max(sync_interval, 1)


def poll_interval(link: ProjectLink) -> int:
    return planned_interval(sync_interval=link.sync_interval, webhook_healthy=link.webhook_healthy)


def _start_run(link: ProjectLink, now: dt.datetime) -> SyncRun:
    queued = SyncRun.objects.filter(link=link, status=SyncRun.Status.QUEUED).order_by("id").first()
    if queued is not None:
        queued.status = SyncRun.Status.RUNNING
        queued.started_at = now
        queued.heartbeat_at = now
        queued.save(update_fields=["status", "started_at", "heartbeat_at"])
        return queued
    return SyncRun.objects.create(firm_id=link.firm_id, link=link, started_at=now, heartbeat_at=now)


def _finish(run: SyncRun, status: str, message: str, now: dt.datetime) -> None:
    run.status = status
    run.message = message
    run.finished_at = now
    run.save(update_fields=["status", "message", "finished_at", "errors", "held_kinds"])


def link_is_syncable(link: ProjectLink) -> bool:
    paused_by_a_person = link.status == ProjectLink.Status.PAUSED and not link.auto_paused  # only they resume it
    return link.firm.is_active and not paused_by_a_person


def link_sync(*, link_id: int, clock: Clock = timezone.now, port: ProviderPort | None = None) -> SyncRun | None:
    """Sync one link now. Answers None at once when another sync of the link holds the lease (or it is paused)."""
    owner = lease_acquire(link_id=link_id, now=clock())
    if owner is None:
        return None
    try:
        link = ProjectLink.objects.select_related("firm", "account", "project").get(pk=link_id)
        if not link_is_syncable(link):
            SyncRun.objects.filter(link=link, status=SyncRun.Status.QUEUED).update(
                status=SyncRun.Status.RESCHEDULED, finished_at=clock(), message="Not run: syncing is paused."
            )
            return None
        return _sync(link, owner, clock, port)
    finally:
        lease_release(link_id=link_id, owner=owner)


def _sync(link: ProjectLink, owner: str, clock: Clock, port: ProviderPort | None) -> SyncRun:
    run = _start_run(link, clock())
    try:
        port = port or provider_port_for(link)
        held = held_kinds(link)
        run.held_kinds = sorted(k for k in link.kinds if k in held)
        full = link.reconciled_at is None or clock() - link.reconciled_at >= RECONCILE_INTERVAL
        for kind in link.kinds:
            if kind not in held:
                pull_kind(link=link, kind=kind, port=port, run=run, owner=owner, clock=clock, full=full)  # type: ignore[arg-type]
        if full:
            link.reconciled_at = clock()
            ProjectLink.objects.filter(pk=link.pk).update(reconciled_at=link.reconciled_at)
    except ProviderError as exc:
        now = clock()
        run.errors += 1
        link.last_run_calls = run.provider_calls
        status = link_record_failure(link=link, exc=exc, now=now)
        _finish(run, status, exc.message, now)
        logger.info("sync of link %s stopped: %s (%s)", link.pk, type(exc).__name__, exc.detail or exc.message)
        return run
    except Exception:
        run.errors += 1
        _finish(run, SyncRun.Status.FAILED, "The sync stopped on an unexpected error; support has been told.", clock())
        raise
    now = clock()
    link.last_run_calls = run.provider_calls
    link_record_success(link=link, now=now, interval=poll_interval(link))
    held_words = " ".join(held[k] for k in run.held_kinds)
    _finish(run, SyncRun.Status.SUCCEEDED, held_words, now)
    return run
