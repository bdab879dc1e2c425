"""A response upload's bytes PUT twice at once (a client retrying before the first answer came) are stored once, on
the file system (each save gets a name of its own) and on S3 (file_overwrite: both saves write the same key)."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.storage import storages

from connector_portal.models import Firm
from projects.models import ResponseUpload
from projects.services.uploads import upload_declare, upload_store_content
from tests.files.storage import moto_s3, storage_backend

__all__ = ["moto_s3", "storage_backend"]  # fixtures: every test runs on the file system and on S3
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("storage_backend")]

PDF = b"%PDF-1.4 markup " + b"2" * 300


class Stream:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def read(self, size: int, /) -> bytes:
        chunk = self.data[self.at : self.at + size]
        self.at += len(chunk)
        return chunk


def test_the_losing_put_of_the_same_bytes_leaves_the_stored_file_in_place_and_nothing_else(firm: Firm) -> None:
    upload, _ = upload_declare(
        firm=firm,
        filename="S-201 markup.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256=hashlib.sha256(PDF).hexdigest(),
        idempotency_key="up-1",
        body_hash="h",
    )
    # Both PUTs read the upload while it still waited for its content; the first one stores it.
    first, second = ResponseUpload.objects.get(pk=upload.pk), ResponseUpload.objects.get(pk=upload.pk)
    assert upload_store_content(upload=first, stream=Stream(PDF)) is True

    assert upload_store_content(upload=second, stream=Stream(PDF)) is False

    stored = ResponseUpload.objects.get(pk=upload.pk)
    storage = storages["attachments"]
    with storage.open(stored.storage_name, "rb") as handle:
        assert handle.read() == PDF
    folder = f"responses/{firm.pk}/{upload.pk}"
    assert storage.listdir(folder)[1] == [stored.storage_name.rsplit("/", 1)[1]]
