"""A stored file's state is recorded on PostgreSQL in one statement whose commit does not wait for the disk
(projects.services.attachment_rows): that statement's own transaction only, never the commit of a transaction it
runs inside."""

from __future__ import annotations

from typing import Any

import pytest
import responses
from django.db import connection, transaction

from connector_portal.models import Firm
from projects.models import Attachment, AttachmentBlob
from projects.services.attachments import attachment_fetch
from tests.api.factories import linked_add
from tests.files.factories import attachment_add

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's")
RELAX = "set_config('synchronous_commit', 'off', true)"


def _fetch(firm: Firm) -> list[tuple[str, bool]]:
    """Each statement the download sent, and whether it ran in autocommit (its own transaction, committed by itself):
    Django sends no BEGIN of its own to see, so the connection's state at the statement tells."""
    attachment = attachment_add(linked_add(firm).item, None, provider_id="9001")
    sent: list[tuple[str, bool]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append((sql, connection.get_autocommit() and not connection.in_atomic_block))
        return execute(sql, params, many, context)

    with responses.RequestsMock() as mocked, connection.execute_wrapper(record):
        mocked.get(attachment.source_url, body=b"%PDF-1.4 sketch")
        attachment_fetch(attachment_id=attachment.pk)
    stored = Attachment.objects.select_related("blob").get(pk=attachment.pk)
    assert stored.state == Attachment.State.STORED and stored.blob is not None
    return sent


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return str(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_a_worker_records_the_blob_and_the_state_in_one_statement_that_does_not_wait_for_the_disk(
    firm: Firm,
) -> None:
    sent = _fetch(firm)
    writes = [(sql, autocommit) for sql, autocommit in sent if AttachmentBlob._meta.db_table in sql]
    assert len(writes) == 1 and RELAX in writes[0][0], writes  # blob and state together: one round trip
    assert writes[0][1], "the write ran inside a transaction, so its commit is that transaction's, not its own"
    assert _synchronous_commit() == "on"  # for that statement's transaction only: the connection is as before


@pytest.mark.django_db(transaction=True)
def test_a_download_inside_a_callers_transaction_leaves_that_commit_alone(firm: Firm) -> None:
    with transaction.atomic():
        sent = _fetch(firm)
        assert _synchronous_commit() == "on"
    assert not any(RELAX in sql for sql, _ in sent)
    writes = [autocommit for sql, autocommit in sent if AttachmentBlob._meta.db_table in sql]
    assert writes and not any(writes)  # the caller's transaction, seen as such
