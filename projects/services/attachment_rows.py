"""The statements a file's download runs, written out: the attachments read with their link's provider and account, and
the firm's blob and the "stored" state written in one transaction that, on PostgreSQL, does not wait for the disk.

Why not the ORM: this runs once per file, and against the time of the file's own transfer. Measured on the files-in
bench (200 files of 5 MiB), the ORM's select_related with only() cost ~0.8 ms a file on SQLite (~1.7 ms on
PostgreSQL) to build against ~0.13 ms (~0.3 ms) for the same query written out; `bulk_create(update_conflicts=True)`
and `save(update_fields=...)` cost ~1 ms a file together against a few tenths for the two statements below. Table and
column names come from the models, values pass through each field's own preparation for the database, and the
statements are those both SQLite (3.35 and later: RETURNING) and PostgreSQL accept.
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


def stored_record(
    row: Attachment, *, storage_name: str, size: int, sha256: str, now: dt.datetime, seen: dt.datetime
) -> bool:
    """The firm's blob with these bytes (recorded unless the firm has it: on a conflict the first row stays, its size
    written again only so that the database answers its id) and the attachment's stored state, in one transaction.
    False, with nothing written, when the attachment is gone or changed since it was read at `seen` (its updated_at
    then): a sync that found a new version meanwhile queued that one, and these bytes are not it. The bytes stay, for
    the next file with the same."""
    blob_values = {"firm": row.firm_id, "sha256": sha256, "size": size, "storage_name": storage_name, "created_at": now}
    names = ", ".join(_column(AttachmentBlob, name) for name in blob_values)
    firm, digest, size_column = (_column(AttachmentBlob, name) for name in ("firm", "sha256", "size"))
    insert = (
        f"INSERT INTO {_table(AttachmentBlob)} ({names}) VALUES ({', '.join(['%s'] * len(blob_values))}) "  # noqa: S608
        f"ON CONFLICT ({firm}, {digest}) DO UPDATE SET {size_column} = excluded.{size_column} "
        f"RETURNING {_column(AttachmentBlob, 'id')}"
    )
    state: dict[str, object] = {
        "state": Attachment.State.STORED,
        "reason": "",
        "blob": None,  # the blob's id, once the insert answers it
        "attempts": row.attempts,
        "updated_at": now,
        "content_type": row.content_type,
    }
    assignments = ", ".join(f"{_column(Attachment, name)} = %s" for name in state)
    update = (
        f"UPDATE {_table(Attachment)} SET {assignments} "  # noqa: S608 - the models' names
        f"WHERE {_column(Attachment, 'id')} = %s AND {_column(Attachment, 'updated_at')} = %s"
    )
    try:
        with transaction.atomic(), transaction.get_connection().cursor() as cursor:
            _commit_without_waiting_for_the_disk()
            cursor.execute(insert, _prepared(AttachmentBlob, blob_values))
            blob_id = state["blob"] = int(cursor.fetchone()[0])
            as_read = _prepared(Attachment, {"updated_at": seen})
            cursor.execute(update, [*_prepared(Attachment, state), row.pk, *as_read])
            if cursor.rowcount != 1:
                raise _Gone  # rolls the blob back with it: no blob for a file nothing names
    except _Gone:
        return False
    row.state, row.reason, row.blob_id, row.updated_at = Attachment.State.STORED, "", blob_id, now
    return True


def _commit_without_waiting_for_the_disk() -> None:
    """On PostgreSQL, let this transaction's commit return before its WAL reaches the disk (one flush a file cost
    ~4 ms, a fifth of a 5 MiB download from the bench's sandbox). Safe here, and only here: a crash can lose the last
    fraction of a second of such commits, never corrupt them, and a "stored" state lost that way leaves the file
    pending, so the link's next sync queues it again (into the same content-addressed name). Within an outer
    transaction nothing changes: that transaction's commit is not this function's to relax."""
    connection = transaction.get_connection()
    if connection.vendor == "postgresql" and not connection.savepoint_ids:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
