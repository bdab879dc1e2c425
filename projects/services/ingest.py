"""Ingest: store one page of provider items and append each real change to the feed, in the caller's transaction."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from projects.models import FeedEntry, ProjectLink, SyncedItem
from projects.services.attachments import attachments_queue_on_commit, attachments_record
from projects.services.feed import feed_append
from projects.services.rows import rows_insert, rows_update
from providers.types import ProviderItem, Reviewer

# What the portal's own response changes on a provider item. A change limited to these, right after the portal
# posted a response, is the echo of that response: in the feed as the portal's own (FeedEntry.Origin).
ECHO_FIELDS = frozenset({"ball_in_court", "status"})  # closing is the manager's act, never the reviewer's
# The parts of an item's content the portal's own response changes too: the reviewer's response, comment and
# returned date, or the answer it posted to an RFI (with the date that answer returned the RFI).
ECHO_CONTENT = frozenset({"reviewers", "answers"})
ECHO_DATES = frozenset({"returned"})
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
    "content",
    "raw",
    "echo_pending",
    "changed_at",
    "unlisted_at",
    "reviewer",
]


# What a page compares and reports of the rows it already has, found by the unique index: never `raw` (the provider's
# JSON, kilobytes an item). _apply sets every UPDATE_FIELDS value, so a deferred one is never read before it is written.
COMPARED_FIELDS = (
    "id",
    "firm_id",
    "link_id",
    "kind",
    "provider_id",
    "number",
    "revision",
    "title",
    "status",
    "due_date",
    "ball_in_court",
    "url",
    "closed",
    "removed",
    "content_hash",
    "echo_pending",
    "predecessor_id",
    "reviewer_id",  # _reviewer_of reads it: deferred, each changed item would load it with a query of its own
)


def content_hash(item: ProviderItem) -> str:
    """What Project Center shows of an item, its content included; `updated_at` and the raw payload are left out on
    purpose (a provider touching an item without changing what a reviewer reads is not news)."""
    visible: list[Any] = [
        item.content.as_json(),
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
    if item.attachments:  # only then: the hash of an item without files stays what it was before files were read
        visible.append(sorted([a.key, a.version, a.filename, a.size, a.sha256] for a in item.attachments))
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
    portal_own: set[int] = field(default_factory=set)  # ids of items whose change is the portal's own response's


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
    stored.content = item.content.as_json()
    stored.raw = item.raw
    stored.changed_at = now


def _differs_only_by_echo(stored: SyncedItem, item: ProviderItem) -> bool:
    """Whether the change is limited to ECHO_FIELDS (what a reviewer's response moves)."""
    before = {
        "number": stored.number,
        "revision": stored.revision,
        "title": stored.title,
        "due_date": stored.due_date,
        "url": stored.url,
        "closed": stored.closed,
        "deleted": stored.removed,
        "content": _without_echo(stored.content),
    }
    after = {
        "number": item.number,
        "revision": item.revision,
        "title": item.title[:500],
        "due_date": item.due_date,
        "url": item.url,
        "closed": item.closed,
        "deleted": item.deleted,
        "content": _without_echo(item.content.as_json()),
    }
    return before == after


def _without_echo(content: dict[str, Any]) -> dict[str, Any]:
    """The content but for what the portal's own response changes in it (ECHO_CONTENT, ECHO_DATES)."""
    dates = {k: v for k, v in (content.get("dates") or {}).items() if k not in ECHO_DATES}
    return {**{k: v for k, v in content.items() if k not in ECHO_CONTENT}, "dates": dates}


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
    rows_insert([new for new, _ in to_create])
    for new, earlier in later:
        new.predecessor = earlier
    rows_update([new for new, _ in later], ["predecessor"])


def _reviewer_of(stored: SyncedItem, item: ProviderItem, reviewers: Mapping[str, int]) -> None:
    """Whose item it is: it stays its reviewer's while they hold it, else the first receiving user who does."""
    holding = [reviewers[user_id] for user_id in item.receivers if user_id in reviewers]
    if holding and stored.reviewer_id not in holding:
        stored.reviewer_id = holding[0]
    elif stored.reviewer_id is None and reviewers:
        stored.reviewer_id = next(iter(reviewers.values()))  # a provider that does not tell: the first


def _with_stored_reviewers(link: ProjectLink, kind: str, items: Sequence[ProviderItem]) -> Sequence[ProviderItem]:
    """Items whose provider did not read their reviewers this time (unchanged since it did) carry the stored ones."""
    unread = [i.provider_id for i in items if i.reviewers_unread]
    if not unread:
        return items
    rows = SyncedItem.objects.filter(link=link, kind=kind, provider_id__in=unread)
    stored: dict[str, Any] = dict(rows.values_list("provider_id", "content__reviewers"))

    def kept(item: ProviderItem) -> ProviderItem:
        found = stored.get(item.provider_id) if item.reviewers_unread else None
        if isinstance(found, str):  # a database that hands JSON back as text
            found = json.loads(found)
        if not isinstance(found, list):
            return item
        reviewers = tuple(Reviewer.from_json(r) for r in found if isinstance(r, dict))
        return dataclasses.replace(item, content=dataclasses.replace(item.content, reviewers=reviewers))

    return [kept(item) for item in items]


def ingest_page(
    *,
    link: ProjectLink,
    kind: str,
    items: Sequence[ProviderItem],
    now: dt.datetime,
    reviewers: Mapping[str, int] | None = None,
) -> PageCounts:
    """Upsert one page of items and append their real changes to the feed. Call inside a transaction.

    `reviewers` (provider user id -> account id of each receiving user) says whose item each one is.
    """
    counts = PageCounts(fetched=len(items))
    items = _with_stored_reviewers(link, kind, items)
    existing = {
        s.provider_id: s
        for s in SyncedItem.objects.filter(link=link, kind=kind, provider_id__in=[i.provider_id for i in items]).only(
            *COMPARED_FIELDS
        )
    }
    to_create: list[tuple[SyncedItem, ProviderItem]] = []
    to_update: list[SyncedItem] = []
    files: list[tuple[SyncedItem, ProviderItem]] = []  # changed items: their files are recorded
    unchanged_files: list[tuple[SyncedItem, ProviderItem]] = []  # their files not yet stored get fresh URLs
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
            _reviewer_of(new, item, reviewers or {})
            to_create.append((new, item))
            existing[item.provider_id] = new  # a provider repeating an item on two pages adds it once
            continue
        if stored.content_hash == digest:
            counts.unchanged += 1
            if item.attachments:
                unchanged_files.append((stored, item))
            continue
        # More changes to an item already reported removed are not news. The echo of the portal's own response
        # (only the ball in court moved) is: Project Center learns the state its response led to, marked as the
        # portal's own so that it is never taken for a new request to review.
        quiet = stored.removed and item.deleted
        own = stored.echo_pending and not item.deleted and _differs_only_by_echo(stored, item)
        _apply(stored, item, digest, now)
        _reviewer_of(stored, item, reviewers or {})
        stored.echo_pending = False
        to_update.append(stored)
        files.append((stored, item))
        if own:
            counts.portal_own.add(stored.pk)
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
    rows_update(to_update, UPDATE_FIELDS)
    feed_append(firm_id=link.firm_id, changes=counts.changes, now=now, portal_own=counts.portal_own)
    # A new item listing no files has none stored to compare with: it costs no look-up.
    _record_files([*((new, item) for new, item in to_create if item.attachments), *files], unchanged_files, now)
    return counts


def _record_files(
    changed: list[tuple[SyncedItem, ProviderItem]], unchanged: list[tuple[SyncedItem, ProviderItem]], now: dt.datetime
) -> None:
    """Each item's files, downloaded by tasks queued once the page commits (an item deleted upstream keeps its own)."""
    live = [(stored, item.attachments) for stored, item in changed if not item.deleted]
    due = attachments_record(items=live, now=now)
    due += attachments_record(items=[(s, i.attachments) for s, i in unchanged], now=now, refresh_only=True)
    attachments_queue_on_commit(due)


REMOVED_FIELDS = ["removed", "content_hash", "changed_at"]


def item_mark_removed(item: SyncedItem, now: dt.datetime) -> None:
    """Deleted upstream. The hash is cleared so that, should the item come back, it reads as a change."""
    item.removed, item.content_hash, item.changed_at = True, "", now
