"""Uploads Project Center declared but never named by a response are deleted, with their bytes, after a while (an
hourly django-q schedule); one a response names is never touched. Time is injected: `now` is given to the service."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import cast

import pytest
from django.core.files.storage import FileSystemStorage, storages
from django.test import override_settings
from django_q.models import Schedule

from connector_portal.models import Firm
from projects.models import ResponseFile, ResponseUpload
from projects.services.uploads import (
    UploadRefused,
    response_files_add,
    upload_declare,
    upload_store_content,
    uploads_delete_unused,
)
from projects.tasks import UNUSED_UPLOADS_SCHEDULE_NAME, delete_unused_uploads
from tests.api.factories import linked_add
from tests.files.storage import moto_s3, storage_backend

__all__ = ["moto_s3", "storage_backend"]  # fixtures: the tests that name storage_backend run on S3 as well

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.4 markup " + b"1" * 100


class Stream:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def read(self, size: int, /) -> bytes:
        chunk = self.data[self.at : self.at + size]
        self.at += len(chunk)
        return chunk


def _declared(firm: Firm, key: str, *, at: dt.datetime, store: bool = True) -> ResponseUpload:
    upload, _ = upload_declare(
        firm=firm,
        filename=f"{key}.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256=hashlib.sha256(PDF).hexdigest(),
        idempotency_key=key,
        body_hash=key,
        now=at,
    )
    if store:
        upload_store_content(upload=upload, stream=Stream(PDF), now=at)
    return upload


def _stored_path(upload: ResponseUpload) -> Path:
    return Path(cast(FileSystemStorage, storages["attachments"]).path(upload.storage_name))


def test_an_upload_no_response_named_for_a_day_is_deleted_with_its_bytes(firm: Firm) -> None:
    old = _declared(firm, "old", at=T0)
    path = _stored_path(old)
    assert path.exists()

    deleted = uploads_delete_unused(now=T0 + dt.timedelta(hours=24, minutes=1))

    assert deleted == 1
    assert not ResponseUpload.objects.filter(pk=old.pk).exists()
    assert not path.exists()


def test_an_upload_younger_than_the_age_and_one_a_response_names_are_kept(firm: Firm) -> None:
    linked = linked_add(firm)
    young = _declared(firm, "young", at=T0 + dt.timedelta(hours=2))
    used = _declared(firm, "used", at=T0)
    response_files_add(response=linked.response, uploads=[used])

    deleted = uploads_delete_unused(now=T0 + dt.timedelta(hours=25))

    assert deleted == 0
    assert set(ResponseUpload.objects.values_list("pk", flat=True)) == {young.pk, used.pk}
    assert _stored_path(used).exists() and _stored_path(young).exists()
    assert ResponseFile.objects.filter(upload=used).exists()


def test_the_age_counts_from_when_the_bytes_came_not_from_the_declaration(firm: Firm) -> None:
    upload = _declared(firm, "late", at=T0, store=False)
    upload_store_content(upload=upload, stream=Stream(PDF), now=T0 + dt.timedelta(hours=23))

    assert uploads_delete_unused(now=T0 + dt.timedelta(hours=25)) == 0
    assert uploads_delete_unused(now=T0 + dt.timedelta(hours=47, minutes=1)) == 1


def test_a_declared_upload_whose_bytes_never_came_is_deleted_too(firm: Firm, other_firm: Firm) -> None:
    _declared(firm, "never", at=T0, store=False)
    _declared(other_firm, "never", at=T0, store=False)  # every firm's: the clean-up is the portal's, not a firm's

    assert uploads_delete_unused(now=T0 + dt.timedelta(days=2)) == 2
    assert not ResponseUpload.objects.exists()


def test_running_the_clean_up_twice_deletes_nothing_the_second_time(firm: Firm) -> None:
    _declared(firm, "old", at=T0)
    later = T0 + dt.timedelta(days=3)

    assert uploads_delete_unused(now=later) == 1
    assert uploads_delete_unused(now=later) == 0


@override_settings(RESPONSE_UPLOAD_UNUSED_HOURS=2)
def test_the_age_is_a_setting(firm: Firm) -> None:
    _declared(firm, "old", at=T0)

    assert uploads_delete_unused(now=T0 + dt.timedelta(hours=1)) == 0
    assert uploads_delete_unused(now=T0 + dt.timedelta(hours=2, minutes=1)) == 1


@override_settings(RESPONSE_UPLOAD_UNUSED_HOURS=0)
def test_an_age_below_an_hour_is_refused_in_words(firm: Firm) -> None:
    _declared(firm, "old", at=T0)

    with pytest.raises(ValueError, match="RESPONSE_UPLOAD_UNUSED_HOURS must be at least 1 hour"):
        uploads_delete_unused(now=T0 + dt.timedelta(days=3))
    assert ResponseUpload.objects.count() == 1


def test_bytes_arriving_for_an_upload_the_clean_up_deleted_are_refused_and_not_kept(firm: Firm) -> None:
    upload = _declared(firm, "slow", at=T0, store=False)
    uploads_delete_unused(now=T0 + dt.timedelta(days=2))

    with pytest.raises(UploadRefused) as refused:
        upload_store_content(upload=upload, stream=Stream(PDF), now=T0 + dt.timedelta(days=2))

    assert refused.value.code == "upload_expired" and "Declare the file again" in refused.value.message
    location = Path(cast(FileSystemStorage, storages["attachments"]).location)
    assert not [p for p in location.rglob("*") if p.is_file() and "responses" in p.parts]


def test_the_hourly_schedule_exists_once_by_name_and_its_task_cleans_up(firm: Firm) -> None:
    schedule = Schedule.objects.get(name=UNUSED_UPLOADS_SCHEDULE_NAME)
    assert (schedule.func, schedule.schedule_type, schedule.repeats) == (
        "projects.tasks.delete_unused_uploads",
        Schedule.HOURLY,
        -1,
    )
    _declared(firm, "ancient", at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))

    assert delete_unused_uploads() == 1


@pytest.mark.usefixtures("storage_backend")
def test_bytes_the_storage_will_not_delete_keep_their_upload_for_the_next_run_and_the_others_still_go(
    firm: Firm, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    stuck, freed = _declared(firm, "stuck", at=T0), _declared(firm, "freed", at=T0)
    storage = storages["attachments"]
    delete = storage.delete

    def refusing(name: str) -> None:
        if name == stuck.storage_name:  # any failure, not only OSError: S3 answers botocore's own errors
            raise RuntimeError("AccessDenied for https://bucket.example/x?X-Amz-Signature=secret-signature")
        delete(name)

    monkeypatch.setattr(storage, "delete", refusing)
    later = T0 + dt.timedelta(days=2)

    assert uploads_delete_unused(now=later) == 1

    assert list(ResponseUpload.objects.values_list("pk", flat=True)) == [stuck.pk]
    assert storage.exists(stuck.storage_name) and not storage.exists(freed.storage_name)
    assert f"unused upload {stuck.pk} (RuntimeError)" in caplog.text and "secret-signature" not in caplog.text

    monkeypatch.setattr(storage, "delete", delete)
    assert uploads_delete_unused(now=later) == 1
    assert not ResponseUpload.objects.exists() and not storage.exists(stuck.storage_name)
