"""A download task takes a page's files (projects.services.attachments.attachments_fetch): FETCH_BATCH a task, the
rows read once, each provider's module bound once, no new file started after FETCH_SECONDS (the rest queued as a
task of their own), a file a sync finds a new version of during its download is not recorded with the old bytes
(while a poll that only lists it again changes nothing), and the sweep queues again the downloads that were lost."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import pytest
import responses
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connector_portal.models import Firm
from projects import services, tasks
from projects.models import Attachment, AttachmentBlob, ProjectLink
from projects.services import attachments
from projects.services.attachments import (
    FETCH_BATCH,
    FETCH_SECONDS,
    FETCH_TASK,
    MAX_RUNS,
    STALLED_AFTER,
    attachments_fetch,
)
from projects.services.sweep import sweep_run
from providers.models import ProviderApp
from providers.types import AttachmentRef
from tests.api.factories import item_add, linked_add
from tests.files.factories import attachment_add

PDF = b"%PDF-1.4 shop drawing"


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    calls: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr(attachments, "enqueue_many", calls.extend)
    return calls


def _pending(link: ProjectLink, count: int) -> list[Attachment]:
    return [
        attachment_add(item_add(link, f"7{n:03d}"), None, filename=f"A-{n:03d}.pdf", provider_id=f"90{n:02d}")
        for n in range(count)
    ]


def _served(mocked: responses.RequestsMock, rows: list[Attachment]) -> None:
    for row in rows:
        mocked.get(row.source_url, body=PDF + row.provider_id.encode())


def test_a_pages_files_are_queued_ten_a_task_once_the_page_commits(
    firm: Firm, queued: list[tuple[str, tuple[Any, ...]]], django_capture_on_commit_callbacks: Any
) -> None:
    ids = list(range(1, 2 * FETCH_BATCH + 6))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        attachments.attachments_queue_on_commit(ids)
        assert queued == []  # not before the rows are there for the worker to read

    assert queued == [
        (FETCH_TASK, (ids[:FETCH_BATCH],)),
        (FETCH_TASK, (ids[FETCH_BATCH : 2 * FETCH_BATCH],)),
        (FETCH_TASK, (ids[2 * FETCH_BATCH :],)),
    ]


def test_one_task_stores_every_file_reading_the_rows_and_the_providers_app_once(firm: Firm) -> None:
    link = linked_add(firm).link
    rows = _pending(link, FETCH_BATCH)
    with responses.RequestsMock() as mocked, CaptureQueriesContext(connection) as queries:
        _served(mocked, rows)
        summary = tasks.fetch_attachments([row.pk for row in rows])

    assert summary == f"{FETCH_BATCH} stored"
    stored = Attachment.objects.filter(pk__in=[row.pk for row in rows], state=Attachment.State.STORED)
    assert stored.count() == FETCH_BATCH
    assert AttachmentBlob.objects.filter(firm=firm).count() == FETCH_BATCH  # each file's own bytes
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    apps = [sql for sql in reads if ProviderApp._meta.db_table in sql.split(" WHERE ")[0]]
    assert len(apps) == 1, apps
    rows_read = [
        sql for sql in reads if sql.split(" FROM ")[1].startswith(connection.ops.quote_name("projects_attachment"))
    ]
    assert len(rows_read) == 1, rows_read


def test_a_task_past_its_time_starts_no_new_file_and_queues_the_rest(
    firm: Firm, queued: list[tuple[str, tuple[Any, ...]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _pending(linked_add(firm).link, 3)
    now = [timezone.now()]

    def slow_download(request: object) -> tuple[int, dict[str, str], bytes]:
        now[0] += dt.timedelta(seconds=FETCH_SECONDS * 2 / 3)  # each file takes two thirds of the task's time
        return 200, {}, PDF

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        for row in rows:
            mocked.add_callback(responses.GET, row.source_url, callback=slow_download)
        monkeypatch.setattr(services, "attachments_fetch", functools.partial(attachments_fetch, clock=lambda: now[0]))
        summary = tasks.fetch_attachments([row.pk for row in rows])

    # The second file started before the time was up; the third would have started after it.
    assert summary == "2 stored, 1 queued as a task of their own (time up)"
    assert Attachment.objects.get(pk=rows[2].pk).state == Attachment.State.PENDING
    assert queued == [(FETCH_TASK, ([rows[2].pk],))]


def test_files_gone_before_the_task_ran_are_skipped_and_the_others_stored(firm: Firm) -> None:
    rows = _pending(linked_add(firm).link, 3)
    gone = rows[1].pk
    Attachment.objects.filter(pk=gone).delete()
    with responses.RequestsMock() as mocked:
        _served(mocked, [rows[0], rows[2]])
        summary = tasks.fetch_attachments([row.pk for row in rows])

    assert summary == "1 gone or changed, 2 stored"


def test_a_task_queued_before_downloads_went_a_page_at_a_time_still_runs(firm: Firm) -> None:
    (row,) = _pending(linked_add(firm).link, 1)
    with responses.RequestsMock() as mocked:
        _served(mocked, [row])
        assert tasks.fetch_attachment(row.pk) == "1 stored"


def _listed(row: Attachment, *, version: str = "", refresh_only: bool = False) -> list[int]:
    """What a sync does when it lists the row's item again: the same file (its URL renewed), or a new version."""
    ref = AttachmentRef(
        provider_id=row.provider_id,
        filename=row.filename,
        url=f"{row.source_url}?renewed",
        version=version,
        content_type=row.content_type,
    )
    return attachments.attachments_record(items=[(row.item, [ref])], now=timezone.now(), refresh_only=refresh_only)


@pytest.mark.django_db(transaction=True)
def test_a_new_version_found_during_the_download_is_not_recorded_with_the_old_bytes(firm: Firm) -> None:
    (row,) = _pending(linked_add(firm).link, 1)

    def serve_while_a_sync_finds_a_new_version(request: object) -> tuple[int, dict[str, str], bytes]:
        _listed(row, version="2")
        return 200, {}, PDF + b" revision 1"

    with responses.RequestsMock() as mocked:
        mocked.add_callback(responses.GET, row.source_url, callback=serve_while_a_sync_finds_a_new_version)
        answer = attachments_fetch(attachment_ids=[row.pk])

    assert answer == [None]
    now = Attachment.objects.get(pk=row.pk)
    assert (now.state, now.version, now.blob_id) == (Attachment.State.PENDING, "2", None)  # left for its own task
    assert not AttachmentBlob.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_routine_poll_during_the_download_does_not_lose_it(firm: Firm) -> None:
    (row,) = _pending(linked_add(firm).link, 1)

    def serve_while_a_poll_renews_the_url(request: object) -> tuple[int, dict[str, str], bytes]:
        _listed(row, refresh_only=True)  # the same file, listed again: only its URL renewed
        return 200, {}, PDF

    with responses.RequestsMock() as mocked:
        mocked.add_callback(responses.GET, row.source_url, callback=serve_while_a_poll_renews_the_url)
        attachments_fetch(attachment_ids=[row.pk])

    now = Attachment.objects.get(pk=row.pk)
    assert now.source_url.endswith("?renewed")  # the poll did write the row
    assert now.state == Attachment.State.STORED and now.blob is not None and now.blob.size == len(PDF)


def test_a_new_version_found_during_a_refused_download_keeps_its_pending_state(firm: Firm) -> None:
    (row,) = _pending(linked_add(firm).link, 1)

    def refuse_while_a_sync_finds_a_new_version(request: object) -> tuple[int, dict[str, str], bytes]:
        _listed(row, version="2")
        return 404, {}, b"Not found"

    with responses.RequestsMock() as mocked:
        mocked.add_callback(responses.GET, row.source_url, callback=refuse_while_a_sync_finds_a_new_version)
        attachments_fetch(attachment_ids=[row.pk])

    now = Attachment.objects.get(pk=row.pk)
    assert (now.state, now.reason, now.version, now.attempts) == (Attachment.State.PENDING, "", "2", 0)


def test_an_unexpected_fault_with_one_file_holds_back_none_of_the_others(
    firm: Firm, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _pending(linked_add(firm).link, 3)
    save = attachments.spooled_save
    calls = iter(range(10))

    def disk_full_once(*args: Any, **kwargs: Any) -> str:
        if next(calls) == 0:
            raise OSError(28, "No space left on device")
        return save(*args, **kwargs)

    monkeypatch.setattr(attachments, "spooled_save", disk_full_once)
    with responses.RequestsMock() as mocked, pytest.raises(OSError, match="No space left"):
        _served(mocked, rows)
        tasks.fetch_attachments([row.pk for row in rows])  # the task ends failed, for support to see

    states = dict(Attachment.objects.filter(pk__in=[r.pk for r in rows]).values_list("pk", "state"))
    assert states == {
        rows[0].pk: Attachment.State.PENDING,  # queued again by the next sync
        rows[1].pk: Attachment.State.STORED,
        rows[2].pk: Attachment.State.STORED,
    }


def test_the_sweep_queues_again_only_a_download_lost_with_its_worker(firm: Firm) -> None:
    lost, recent, stored, removed = _pending(linked_add(firm).link, 4)
    now = timezone.now()
    long_ago = now - STALLED_AFTER - dt.timedelta(minutes=1)
    Attachment.objects.filter(pk__in=[lost.pk, stored.pk, removed.pk]).update(fetch_started_at=long_ago)
    Attachment.objects.filter(pk=recent.pk).update(fetch_started_at=now - dt.timedelta(minutes=1))  # at it still
    Attachment.objects.filter(pk=stored.pk).update(state=Attachment.State.STORED)
    Attachment.objects.filter(pk=removed.pk).update(removed=True)
    queued: list[Any] = []

    result = sweep_run(now=now, enqueue=queued.extend)
    again = sweep_run(now=now, enqueue=queued.extend)  # while that task waits for a worker

    assert result.files == [lost.pk] and again.files == []
    assert [call for call in queued if call[0] == FETCH_TASK] == [(FETCH_TASK, ([lost.pk],))]
    lost.refresh_from_db()
    assert (lost.fetch_started_at, lost.updated_at) == (None, now)  # queued anew: no task has it


def test_removal_and_download_again_each_start_the_file_afresh(firm: Firm) -> None:
    (row,) = _pending(linked_add(firm).link, 1)
    generations = [row.generation]
    attachments.attachments_record(items=[(row.item, [])], now=timezone.now())  # no longer listed
    row.refresh_from_db()
    generations.append(row.generation)
    assert row.removed
    _listed(row)  # listed again
    Attachment.objects.filter(pk=row.pk).update(state=Attachment.State.FAILED, attempts=MAX_RUNS)
    row.refresh_from_db()
    generations.append(row.generation)
    attachments.attachments_download_again(attachment_ids=[row.pk], now=timezone.now())
    row.refresh_from_db()
    generations.append(row.generation)

    assert generations == [0, 1, 2, 3]  # a download begun before any of these records nothing over it


def test_a_content_type_the_download_filled_in_is_no_new_version(firm: Firm) -> None:
    (row,) = _pending(linked_add(firm).link, 1)
    Attachment.objects.filter(pk=row.pk).update(content_type="")  # the provider gives none
    with responses.RequestsMock() as mocked:
        mocked.get(row.source_url, body=PDF, content_type="application/pdf")
        attachments_fetch(attachment_ids=[row.pk])
    row.refresh_from_db()
    assert (row.state, row.content_type) == (Attachment.State.STORED, "application/pdf")

    ref = AttachmentRef(provider_id=row.provider_id, filename=row.filename, url=row.source_url)
    due = attachments.attachments_record(items=[(row.item, [ref])], now=timezone.now())  # the next full sync

    assert due == []  # not downloaded again
    same = Attachment.objects.get(pk=row.pk)
    assert (same.state, same.generation, same.content_type) == (Attachment.State.STORED, 0, "application/pdf")

    given = AttachmentRef(
        provider_id=row.provider_id, filename=row.filename, url=row.source_url, content_type="image/png"
    )
    assert attachments.attachments_record(items=[(row.item, [given])], now=timezone.now()) == [row.pk]


def test_a_poll_listing_a_file_again_leaves_a_download_that_finished_meanwhile_stored(
    firm: Firm, monkeypatch: pytest.MonkeyPatch
) -> None:
    (row,) = _pending(linked_add(firm).link, 1)
    apply = attachments._apply

    def a_worker_stores_it_after_the_poll_read_it(*args: Any) -> None:
        with responses.RequestsMock() as mocked:
            _served(mocked, [row])
            attachments_fetch(attachment_ids=[row.pk])
        apply(*args)

    monkeypatch.setattr(attachments, "_apply", a_worker_stores_it_after_the_poll_read_it)
    _listed(row, refresh_only=True)

    now = Attachment.objects.get(pk=row.pk)
    assert now.source_url.endswith("?renewed")
    assert now.state == Attachment.State.STORED and now.blob is not None  # not written back as the poll read it


def test_a_removal_leaves_a_download_that_finished_meanwhile_as_it_was_stored(
    firm: Firm, monkeypatch: pytest.MonkeyPatch
) -> None:
    (row,) = _pending(linked_add(firm).link, 1)
    bulk_create = Attachment.objects.bulk_create

    def a_worker_stores_it_after_the_sync_read_it(*args: Any, **kwargs: Any) -> Any:
        with responses.RequestsMock() as mocked:
            _served(mocked, [row])
            attachments_fetch(attachment_ids=[row.pk])
        return bulk_create(*args, **kwargs)

    monkeypatch.setattr(Attachment.objects, "bulk_create", a_worker_stores_it_after_the_sync_read_it)
    attachments.attachments_record(items=[(row.item, [])], now=timezone.now())  # no longer listed

    now = Attachment.objects.get(pk=row.pk)
    assert now.removed and now.generation == 1
    assert now.state == Attachment.State.STORED and now.blob is not None  # its bytes still named, not orphaned


def test_a_failed_file_is_tried_again_by_the_next_poll_once_however_many_polls_list_it(firm: Firm) -> None:
    (row,) = _pending(linked_add(firm).link, 1)
    with responses.RequestsMock() as mocked:
        mocked.get(row.source_url, status=503, headers={"Retry-After": "0"})
        assert tasks.fetch_attachments([row.pk]) == "1 failed"
    assert _listed(row, refresh_only=True) == []  # the provider's wait is not over
    Attachment.objects.filter(pk=row.pk).update(retry_at=timezone.now() - dt.timedelta(seconds=1))
    first, second = _listed(row, refresh_only=True), _listed(row, refresh_only=True)

    assert (first, second) == ([row.pk], [])  # queued again once: pending now, its task to come
    row.refresh_from_db()
    assert (row.state, row.fetch_task) == (Attachment.State.PENDING, "")
    with responses.RequestsMock() as mocked:
        mocked.get(row.source_url, body=PDF)
        assert tasks.fetch_attachments([row.pk]) == "1 stored"  # given back when it failed: the next task takes it


def test_a_task_leaves_alone_a_failed_file_and_one_another_task_holds(firm: Firm) -> None:
    failed, held = _pending(linked_add(firm).link, 2)
    Attachment.objects.filter(pk=failed.pk).update(state=Attachment.State.FAILED, attempts=MAX_RUNS)
    Attachment.objects.filter(pk=held.pk).update(fetch_task="another", fetch_started_at=timezone.now())
    with responses.RequestsMock():  # no request at all
        summary = tasks.fetch_attachments([failed.pk, held.pk])

    assert summary == "1 failed, 1 held by another task"
    assert Attachment.objects.get(pk=failed.pk).attempts == MAX_RUNS
    assert _listed(failed) == []  # nor does a sync try it again: only a new version or a person's "download again"
    assert Attachment.objects.get(pk=failed.pk).state == Attachment.State.FAILED
