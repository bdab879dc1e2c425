"""A stored file's state is committed on PostgreSQL without waiting for the disk (projects.services.attachments):
its own transaction only, never the commit of a transaction it runs inside."""

from __future__ import annotations

import pytest
import responses
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from connector_portal.models import Firm
from projects.models import Attachment
from projects.services import attachment_rows
from projects.services.attachments import attachment_fetch
from tests.api.factories import linked_add
from tests.files.factories import attachment_add

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's")
RELAX = "SET LOCAL synchronous_commit TO OFF"


def _fetch(firm: Firm) -> list[str]:
    attachment = attachment_add(linked_add(firm).item, None, provider_id="9001")
    with responses.RequestsMock() as mocked, CaptureQueriesContext(connection) as queries:
        mocked.get(attachment.source_url, body=b"%PDF-1.4 sketch")
        attachment_fetch(attachment_id=attachment.pk)
    assert Attachment.objects.get(pk=attachment.pk).state == Attachment.State.STORED
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.django_db(transaction=True)
def test_a_worker_commits_the_stored_state_without_waiting_for_the_disk(
    firm: Firm, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    relax = attachment_rows._commit_without_waiting_for_the_disk

    def relax_and_look() -> None:  # what the transaction that writes the stored state runs with
        relax()
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            seen.append(cursor.fetchone()[0])

    monkeypatch.setattr(attachment_rows, "_commit_without_waiting_for_the_disk", relax_and_look)
    assert RELAX in _fetch(firm)
    assert seen == ["off"]  # SET LOCAL outside a transaction would change nothing, silently
    # The setting lasted for that transaction only.
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


@pytest.mark.django_db(transaction=True)
def test_a_download_inside_a_callers_transaction_leaves_that_commit_alone(firm: Firm) -> None:
    with transaction.atomic():
        sent = _fetch(firm)
    assert RELAX not in sent
