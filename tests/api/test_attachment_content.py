"""GET /api/v1/attachments/{id}/content/: what Project Center gets when it downloads a file, on both storages."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.files.storage import storages
from django.test import Client

from connector_portal.models import Firm
from projects.models import Attachment
from tests.api.factories import linked_add
from tests.files.factories import attachment_add
from tests.files.storage import moto_s3, storage_backend

__all__ = ["moto_s3", "storage_backend"]  # fixtures

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("storage_backend")]
DATA = bytes(range(256)) * 4096 + b"tail"  # 1 MiB and a bit: more than one chunk


def _url(attachment: Attachment) -> str:
    return f"/api/v1/attachments/{attachment.pk}/content/"


def _body(answer: Any) -> bytes:
    return b"".join(answer.streaming_content) if answer.streaming else answer.content


@pytest.fixture
def stored(firm: Firm) -> Attachment:
    return attachment_add(linked_add(firm).item, DATA, filename="A-501 Curtain wall.pdf")


def test_it_streams_the_whole_file_with_its_length_etag_and_a_safe_attachment_name(
    api: Client, stored: Attachment
) -> None:
    answer = api.get(_url(stored))

    assert answer.status_code == 200
    assert answer.streaming
    assert _body(answer) == DATA
    assert answer["Content-Length"] == str(len(DATA))
    assert answer["ETag"] == f'"{hashlib.sha256(DATA).hexdigest()}"'
    assert answer["Content-Type"] == "application/pdf"
    assert answer["Content-Disposition"] == (
        "attachment; filename=\"A-501 Curtain wall.pdf\"; filename*=UTF-8''A-501%20Curtain%20wall.pdf"
    )
    assert answer["Accept-Ranges"] == "bytes"


def test_a_range_resumes_a_download_with_206_and_the_rest_of_the_bytes(api: Client, stored: Attachment) -> None:
    answer = api.get(_url(stored), headers={"Range": "bytes=1000000-"})

    assert answer.status_code == 206
    assert _body(answer) == DATA[1_000_000:]
    assert answer["Content-Range"] == f"bytes 1000000-{len(DATA) - 1}/{len(DATA)}"
    assert answer["Content-Length"] == str(len(DATA) - 1_000_000)


def test_a_suffix_range_gives_the_last_bytes(api: Client, stored: Attachment) -> None:
    answer = api.get(_url(stored), headers={"Range": "bytes=-4"})

    assert (answer.status_code, _body(answer)) == (206, b"tail")


def test_a_range_past_the_end_is_416_in_the_error_shape(api: Client, stored: Attachment) -> None:
    answer = api.get(_url(stored), headers={"Range": f"bytes={len(DATA)}-"})

    assert answer.status_code == 416
    assert answer["Content-Range"] == f"bytes */{len(DATA)}"
    assert answer.json()["code"] == "range_not_satisfiable"


def test_the_etag_it_holds_answers_304_without_the_bytes(api: Client, stored: Attachment) -> None:
    etag = api.get(_url(stored))["ETag"]

    answer = api.get(_url(stored), headers={"If-None-Match": etag})

    assert answer.status_code == 304
    assert _body(answer) == b""


def test_a_file_not_downloaded_yet_says_so_in_the_error_shape(api: Client, firm: Firm) -> None:
    pending = attachment_add(linked_add(firm).item, None)

    answer = api.get(_url(pending))

    assert answer.status_code == 409
    assert answer.json()["code"] == "attachment_pending"
    assert answer.json()["details"] == {"state": "pending", "retry_after_seconds": 60}
    assert answer["Retry-After"] == "60"


def test_a_file_too_large_to_keep_says_why(api: Client, firm: Firm) -> None:
    big = attachment_add(linked_add(firm).item, None)
    big.state, big.reason = Attachment.State.TOO_LARGE, "This file is larger than the portal's limit of 2,048 MB."
    big.save()

    answer = api.get(_url(big))

    assert answer.status_code == 409
    assert answer.json()["code"] == "attachment_not_stored"
    assert "larger than the portal's limit" in answer.json()["message"]


def test_it_rejects_other_firms_attachment_like_a_missing_one(
    other_api: Client, api: Client, stored: Attachment
) -> None:
    foreign = other_api.get(_url(stored))
    missing = api.get("/api/v1/attachments/987654321/content/")

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


def test_the_same_bytes_are_kept_once_per_firm_and_apart_for_each_firm(firm: Firm, other_firm: Firm) -> None:
    first = attachment_add(linked_add(firm).item, DATA, provider_id="1")
    second = attachment_add(first.item, DATA, provider_id="2")
    theirs = attachment_add(linked_add(other_firm).item, DATA)

    assert first.blob_id == second.blob_id != theirs.blob_id
    assert first.blob is not None and theirs.blob is not None
    assert first.blob.storage_name != theirs.blob.storage_name
    assert storages["attachments"].exists(first.blob.storage_name)
