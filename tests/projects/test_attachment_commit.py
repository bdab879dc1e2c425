"""A stored file's state is recorded on PostgreSQL in one statement whose commit does not wait for the disk
(projects.services.attachment_rows): that statement's own transaction only, never the commit of a transaction it
runs inside."""

from __future__ import annotations

import pytest
import responses
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from connector_portal.models import Firm
from projects.models import Attachment, AttachmentBlob
from projects.services.attachments import attachment_fetch
from tests.api.factories import linked_add
from tests.files.factories import attachment_add

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's")
RELAX = "set_config('synchronous_commit', 'off', true)"


def _fetch(firm: Firm) -> list[str]:
    attachment = attachment_add(linked_add(firm).item, None, provider_id="9001")
    with responses.RequestsMock() as mocked, CaptureQueriesContext(connection) as queries:
        mocked.get(attachment.source_url, body=b"%PDF-1.4 sketch")
        attachment_fetch(attachment_id=attachment.pk)
    stored = Attachment.objects.select_related("blob").get(pk=attachment.pk)
    assert stored.state == Attachment.State.STORED and stored.blob is not None
    return [query["sql"] for query in queries.captured_queries]


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return str(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_a_worker_records_the_blob_and_the_state_in_one_statement_that_does_not_wait_for_the_disk(
    firm: Firm,
) -> None:
    sent = _fetch(firm)
    writes = [sql for sql in sent if AttachmentBlob._meta.db_table in sql]
    assert len(writes) == 1 and RELAX in writes[0], writes  # blob and state together: one round trip
    assert not any(sql.startswith(("BEGIN", "SAVEPOINT")) for sql in sent)  # autocommit: the statement's own
    assert _synchronous_commit() == "on"  # for that statement's transaction only: the connection is as before


@pytest.mark.django_db(transaction=True)
def test_a_download_inside_a_callers_transaction_leaves_that_commit_alone(firm: Firm) -> None:
    with transaction.atomic():
        sent = _fetch(firm)
        assert _synchronous_commit() == "on"
    assert not any(RELAX in sql for sql in sent)
