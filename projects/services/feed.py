"""Appending to and acknowledging the change feed that Project Center reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from django.db import connection, transaction

from connector_portal.models import Firm
from projects.models import FeedEntry, FeedSequence, SyncedItem
from projects.services.outbound import feed_grew
from projects.services.rows import rows_insert

SNAPSHOT_FIELDS = ("kind", "provider_id", "number", "revision", "title", "status", "closed", "removed", "url")


def item_snapshot(item: SyncedItem) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(item, name) for name in SNAPSHOT_FIELDS}
    data["due_date"] = item.due_date.isoformat() if item.due_date else None
    data["ball_in_court"] = list(item.ball_in_court)
    data["predecessor_id"] = item.predecessor_id
    data["reviewer_id"] = item.reviewer_id  # whose item it was at this change (their account)
    data["content"] = item.content
    return data


def _positions_claim(firm_id: int, count: int) -> int:
    """Move the firm's counter on by `count` and answer the new last position, in one statement.

    The upsert creates the counter on the firm's first append and otherwise locks its row until the transaction
    commits (PostgreSQL; SQLite holds its one writer lock), exactly as SELECT … FOR UPDATE did, in one round trip."""
    table, quote = FeedSequence._meta.db_table, connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(table)} (firm_id, last_position) VALUES (%s, %s) "  # noqa: S608
        f"ON CONFLICT (firm_id) DO UPDATE SET last_position = {quote(table)}.last_position + excluded.last_position "
        "RETURNING last_position"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [firm_id, count])
        (last,) = cursor.fetchone()
    return int(last)


def feed_append(
    *,
    firm_id: int,
    changes: Sequence[tuple[SyncedItem, str]],
    now: dt.datetime,
    portal_own: Collection[int] = (),
) -> list[FeedEntry]:
    """Append one entry per (item, change) at the next positions of the firm's feed; the changes of the items whose
    ids are in `portal_own` are the result of the portal's own response (FeedEntry.Origin.PORTAL_RESPONSE).

    Must run inside the transaction that wrote the items. The counter row stays locked until that transaction
    commits, so positions become visible to readers strictly in order: a cursor can never jump over a row that
    commits later (which plain autoincrement ids allow on PostgreSQL). Taken last, to hold the lock briefly.
    """
    if not changes:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("feed_append must run inside the transaction that changed the items.")
    first = _positions_claim(firm_id, len(changes)) - len(changes) + 1
    entries = [
        FeedEntry(
            firm_id=firm_id,
            position=first + offset,
            link_id=item.link_id,
            item=item,
            change=change,
            origin=FeedEntry.Origin.PORTAL_RESPONSE if item.pk in portal_own else FeedEntry.Origin.PROVIDER,
            content_hash=item.content_hash,
            snapshot=item_snapshot(item),
            created_at=now,
        )
        for offset, (item, change) in enumerate(changes)
    ]
    rows_insert(entries)
    feed_grew(firm_id=firm_id)
    return entries


def feed_entry_acknowledge(*, firm: Firm, position: int, pc_item_id: str, now: dt.datetime) -> FeedEntry:
    """Record that Project Center logged the entry, under its own item id.

    The first acknowledgement's time is kept, also when several arrive at once; a later one may correct the item id.
    """
    entries = FeedEntry.objects.filter(firm=firm, position=position)
    entries.filter(acknowledged_at__isnull=True).update(acknowledged_at=now)
    entries.exclude(pc_item_id=pc_item_id).update(pc_item_id=pc_item_id)
    return entries.get()
