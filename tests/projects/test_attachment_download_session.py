"""The download session a worker thread shares across every firm's files keeps the connection, never a cookie: a
storage host that sets one for a firm's file does not see it again with another firm's."""

from __future__ import annotations

import threading

import pytest
import responses

from connector_portal.models import Firm
from projects.models import Attachment
from projects.services import attachments
from projects.services.attachments import attachment_fetch
from tests.api.factories import linked_add
from tests.files.factories import attachment_add

PDF = b"%PDF-1.4 shop drawing"


@pytest.fixture(autouse=True)
def fresh_thread_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attachments, "_local", threading.local())  # the test's own, not an earlier test's


def test_a_cookie_one_firms_storage_sets_is_not_sent_with_another_firms_download(firm: Firm, other_firm: Firm) -> None:
    ours = attachment_add(linked_add(firm).item, None, provider_id="9001")
    theirs = attachment_add(linked_add(other_firm).item, None, provider_id="9002")
    with responses.RequestsMock() as mocked:
        mocked.get(ours.source_url, body=PDF, headers={"Set-Cookie": "session=firm-one; Path=/"})
        mocked.get(theirs.source_url, body=PDF)

        attachment_fetch(attachment_id=ours.pk)
        attachment_fetch(attachment_id=theirs.pk)

        assert "Cookie" not in mocked.calls[1].request.headers
    assert set(Attachment.objects.values_list("state", flat=True)) == {Attachment.State.STORED}
    assert not attachments._download_session().cookies
