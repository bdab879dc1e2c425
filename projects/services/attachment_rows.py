"""The statements a file's download runs, written out: the attachments read with their link's provider and account, and
the firm's blob and the "stored" state written together (on PostgreSQL in one statement that does not wait for the
disk).

Why not the ORM: this runs once per file, and against the time of the file's own transfer. Measured on the files-in
bench (200 files of 5 MiB), the ORM's select_related with only() cost ~0.8 ms a file on SQLite (~1.7 ms on
PostgreSQL) to build against ~0.13 ms (~0.3 ms) for the same query written out; `bulk_create(update_conflicts=True)`
and `save(update_fields=...)` cost ~1 ms a file together against a few tenths for the two statements below. Table and
column names come from the models and values pass through each field's own preparation for the database; SQLite
(3.35 and later: RETURNING) runs the portable pair of statements, PostgreSQL one that does both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Field, Model

from projects.models import Attachment, AttachmentBlob, ProjectLink, SyncedItem
from providers.models import ProviderAccount

# A file no download run holds and none is due for: what every run's end, and every fresh start, writes.
UNHELD: dict[str, object] = {"fetch_task": "", "fetch_started_at": None, "retry_at": None}


def unheld(row: Attachment) -> None:
    for name, value in UNHELD.items():
        setattr(row, name, value)


@dataclass(frozen=True)
class ToFetch:
    row: Attachment
    provider: str
    account: ProviderAccount  # only its id is loaded (the rest on use): a download reads the tokens by id, locked


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)  # a concrete column, not a reverse relation
    return field


def _column(model: type[Model], field: str) -> str:
    return transaction.get_connection().ops.quote_name(_field(model, field).column)


def _table(model: type[Model]) -> str:
    return transaction.get_connection().ops.quote_name(model._meta.db_table)


def to_fetch(attachment_ids: Sequence[int]) -> dict[int, ToFetch]:
    """Each attachment with its link's provider and account, in one query; an id that is gone is absent."""
    if not attachment_ids:
        return {}
    sql = (
        f"SELECT a.*, l.{_column(ProjectLink, 'provider')} AS link_provider, "  # noqa: S608 - the models' names
        f"l.{_column(ProjectLink, 'account')} AS link_account_id FROM {_table(Attachment)} a "
        f"JOIN {_table(SyncedItem)} i ON i.{_column(SyncedItem, 'id')} = a.{_column(Attachment, 'item')} "
        f"JOIN {_table(ProjectLink)} l ON l.{_column(ProjectLink, 'id')} = i.{_column(SyncedItem, 'link')} "
        f"WHERE a.{_column(Attachment, 'id')} IN ({', '.join(['%s'] * len(attachment_ids))})"
    )
    found = {}
    for row in Attachment.objects.raw(sql, list(attachment_ids)):
        provider, account_id = row.link_provider, row.link_account_id  # type: ignore[attr-defined]  # the query's
        found[row.pk] = ToFetch(row, provider, ProviderAccount.from_db(None, ["id"], [account_id]))
    return found


def _prepared(model: type[Model], values: Mapping[str, object]) -> list[object]:
    connection = transaction.get_connection()
    return [_field(model, name).get_db_prep_save(value, connection) for name, value in values.items()]


class _Gone(Exception):
    """The attachment's row went (its item or firm deleted) or changed while its file downloaded."""


def stored_record(row: Attachment, *, storage_name: str, size: int, sha256: str, now: dt.datetime) -> bool:
    """The firm's blob with these bytes (recorded unless the firm has it: on a conflict the first row stays, its size
    written again only so that the database answers its id) and the attachment's stored state, together or not at
    all. False, with nothing written, when the attachment is gone or is to be downloaded afresh since it was read (its
    generation moved on: a sync found a new version meanwhile and queued it, and these bytes are not it). The bytes
    stay, for the next file with the same."""
    blob = {"firm": row.firm_id, "sha256": sha256, "size": size, "storage_name": storage_name, "created_at": now}
    state: dict[str, object] = {
        "state": Attachment.State.STORED,
        "reason": "",
        "attempts": row.attempts,
        **UNHELD,
        "updated_at": now,
        "content_type": row.content_type,
    }
    record = _in_one_statement if transaction.get_connection().vendor == "postgresql" else _in_a_transaction
    blob_id = record(row.pk, row.generation, blob, state)
    if blob_id is None:
        return False
    row.state, row.reason, row.blob_id, row.updated_at = Attachment.State.STORED, "", blob_id, now
    unheld(row)
    return True


def _blob_insert(blob: Mapping[str, object], source: str) -> str:
    names = ", ".join(_column(AttachmentBlob, name) for name in blob)
    firm, digest, size = (_column(AttachmentBlob, name) for name in ("firm", "sha256", "size"))
    return (
        f"INSERT INTO {_table(AttachmentBlob)} ({names}) {source} "
        f"ON CONFLICT ({firm}, {digest}) DO UPDATE SET {size} = excluded.{size} "
        f"RETURNING {_column(AttachmentBlob, 'id')}"
    )


def _assignments(state: Mapping[str, object]) -> str:
    return ", ".join(f"{_column(Attachment, name)} = %s" for name in state)


def _in_a_transaction(pk: int, generation: int, blob: Mapping[str, object], state: Mapping[str, object]) -> int | None:
    """Two statements in a transaction (SQLite, whose statements cannot insert inside a WITH): the blob, then the
    state, rolled back together when the attachment is gone or changed."""
    insert = _blob_insert(blob, f"VALUES ({', '.join(['%s'] * len(blob))})")
    update = (
        f"UPDATE {_table(Attachment)} SET {_assignments(state)}, {_column(Attachment, 'blob')} = %s "  # noqa: S608
        f"WHERE {_column(Attachment, 'id')} = %s AND {_column(Attachment, 'generation')} = %s"
    )
    try:
        with transaction.atomic(), transaction.get_connection().cursor() as cursor:
            cursor.execute(insert, _prepared(AttachmentBlob, blob))
            blob_id = int(cursor.fetchone()[0])
            cursor.execute(update, [*_prepared(Attachment, state), blob_id, pk, generation])
            if cursor.rowcount != 1:
                raise _Gone  # rolls the blob back with it: no blob for a file nothing names
    except _Gone:
        return None
    return blob_id


def _in_one_statement(pk: int, generation: int, blob: Mapping[str, object], state: Mapping[str, object]) -> int | None:
    """PostgreSQL: one statement, so one round trip and, outside a caller's transaction, its own transaction (five
    round trips a file cost ~2.5 ms on the files-in bench, an eighth of a 5 MiB file's time). The attachment is
    locked as read (FOR UPDATE waits for a sync writing it and then sees that sync's generation), so the blob is
    inserted only for a row the state then goes to.

    That transaction's commit does not wait for the disk (`set_config(..., true)`: for this transaction only): one
    WAL flush a file cost ~4 ms. Safe here, and only here: a crash can lose the last fraction of a second of such
    commits, never corrupt them, and a "stored" state lost that way leaves the file pending, so the link's next sync
    queues it again (into the same content-addressed name). Inside a caller's transaction nothing is relaxed: that
    commit is not this function's to hurry."""
    connection = transaction.get_connection()
    relax = "" if connection.in_atomic_block else ", set_config('synchronous_commit', 'off', true)"
    attachment, blob_column = _table(Attachment), _column(Attachment, "blob")
    insert = _blob_insert(blob, f"SELECT {', '.join(['%s'] * len(blob))} FROM target")  # noqa: S608 - placeholders
    sql = (
        f"WITH target AS MATERIALIZED (SELECT {_column(Attachment, 'id')}{relax} FROM {attachment} "  # noqa: S608
        f"WHERE {_column(Attachment, 'id')} = %s AND {_column(Attachment, 'generation')} = %s FOR UPDATE), "
        f"kept AS ({insert}) "
        f"UPDATE {attachment} SET {_assignments(state)}, {blob_column} = kept.{_column(AttachmentBlob, 'id')} "
        f"FROM kept WHERE {attachment}.{_column(Attachment, 'id')} = %s "
        f"RETURNING kept.{_column(AttachmentBlob, 'id')}"
    )
    values = [pk, generation, *_prepared(AttachmentBlob, blob)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *_prepared(Attachment, state), pk])
        found = cursor.fetchone()
    return None if found is None else int(found[0])
