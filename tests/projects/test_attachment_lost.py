"""Downloads lost on the way (projects.services.attachments): a worker killed during a file, or an unexpected error,
leaves the file pending; the sweep queues it again, a task each, and a file that never finishes is failed in words
after MAX_RUNS runs instead of being queued for ever. A file waiting in a backlog, handed on by a task whose time was
up, or on a link that is paused is not queued a second time."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import responses

from connector_portal.models import Firm
from projects.models import Attachment, ProjectLink
from projects.services import attachments
from projects.services.attachments import (
    FETCH_SECONDS,
    FETCH_TASK,
    MAX_RUNS,
    STALLED_AFTER,
    UNTAKEN_AFTER,
    attachments_fetch,
)
from projects.services.sweep import sweep_run
from providers.types import AttachmentRef
from tests.api.factories import item_add, linked_add
from tests.files.factories import attachment_add

PDF = b"%PDF-1.4 shop drawing"
T0 = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


class WorkerKilled(BaseException):
    """What a worker killed at its time limit looks like to the task: it stops where it is, nothing caught."""


def _pending(link: ProjectLink, count: int) -> list[Attachment]:
    return [
        attachment_add(item_add(link, f"8{n:03d}"), None, filename=f"B-{n:03d}.pdf", provider_id=f"80{n:02d}")
        for n in range(count)
    ]


def _killed(request: object) -> tuple[int, dict[str, str], bytes]:
    raise WorkerKilled


def _run(ids: list[int], at: dt.datetime, serve: Callable[[responses.RequestsMock], object]) -> None:
    """One download task at `at`, as a worker runs it: killed, failed or done."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        serve(mocked)
        with contextlib.suppress(WorkerKilled, OSError):
            attachments_fetch(attachment_ids=ids, clock=lambda: at)


def _fetch_calls(sweep_at: dt.datetime) -> list[Any]:
    queued: list[Any] = []
    sweep_run(now=sweep_at, enqueue=queued.extend)
    return [args[0] for task, args in queued if task == FETCH_TASK]


def _state(row: Attachment) -> tuple[str, int]:
    row.refresh_from_db()
    return row.state, row.attempts


def test_a_file_that_kills_its_worker_every_time_ends_failed_in_words_and_the_others_are_stored(firm: Firm) -> None:
    culprit, innocent = _pending(linked_add(firm).link, 2)

    def kill_on_the_culprit(mocked: responses.RequestsMock) -> None:
        mocked.add_callback(responses.GET, culprit.source_url, callback=_killed)
        mocked.get(innocent.source_url, body=PDF)

    at = T0
    tasks = [[culprit.pk, innocent.pk]]  # the page's task: the culprit first, the innocent never started
    for run in range(1, MAX_RUNS + 1):
        for ids in tasks:
            _run(ids, at, kill_on_the_culprit)
        assert _state(culprit) == (Attachment.State.PENDING, run)  # the run it died in counted
        assert _fetch_calls(at + STALLED_AFTER - dt.timedelta(seconds=1)) == []  # its worker may still be at it
        at += STALLED_AFTER + dt.timedelta(seconds=1)
        tasks = _fetch_calls(at)
        assert [culprit.pk] in tasks and all(len(ids) == 1 for ids in tasks)  # a task each, none held back by it
        assert _fetch_calls(at) == []  # queued once while its task waits for a worker
    for ids in tasks:
        _run(ids, at, kill_on_the_culprit)

    culprit.refresh_from_db()
    assert (culprit.state, culprit.attempts) == (Attachment.State.FAILED, MAX_RUNS)
    assert f"tried {MAX_RUNS} times without storing it, and the last try never finished" in culprit.reason
    assert "5 minutes" in culprit.reason
    assert _state(innocent)[0] == Attachment.State.STORED
    assert _fetch_calls(at + 2 * UNTAKEN_AFTER) == []  # failed: queued no more, until a person asks again
    assert attachments.attachments_download_again(attachment_ids=[culprit.pk], now=at) == 1
    assert _state(culprit) == (Attachment.State.PENDING, 0)  # MAX_RUNS more runs
    assert culprit.fetch_started_at is None  # for the next task to take


def test_an_unexpected_error_every_time_ends_failed_after_max_runs(firm: Firm, monkeypatch: pytest.MonkeyPatch) -> None:
    (row,) = _pending(linked_add(firm).link, 1)

    def disk_full(*args: Any, **kwargs: Any) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(attachments, "spooled_save", disk_full)
    at = T0
    for _ in range(MAX_RUNS):
        _run([row.pk], at, lambda mocked: mocked.get(row.source_url, body=PDF))
        at += STALLED_AFTER + dt.timedelta(seconds=1)
        assert _fetch_calls(at) == [[row.pk]]
    _run([row.pk], at, lambda mocked: mocked.get(row.source_url, body=PDF))

    assert _state(row) == (Attachment.State.FAILED, MAX_RUNS)
    assert "an unexpected error ended it" in row.reason


def test_a_file_waiting_in_a_backlog_is_not_queued_a_second_time(firm: Firm) -> None:
    waiting, forgotten = _pending(linked_add(firm).link, 2)
    Attachment.objects.filter(pk=waiting.pk).update(updated_at=T0)
    Attachment.objects.filter(pk=forgotten.pk).update(updated_at=T0 - UNTAKEN_AFTER)

    # Queued an hour ago and no worker free since: its task is still to come.
    assert _fetch_calls(T0 + dt.timedelta(hours=1)) == [[forgotten.pk]]  # no task took this one in six hours
    assert _fetch_calls(T0 + dt.timedelta(hours=2)) == []
    assert Attachment.objects.get(pk=forgotten.pk).attempts == 0  # never taken, no run counted


def test_files_a_task_hands_on_when_its_time_is_up_are_neither_counted_nor_lost(
    firm: Firm, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _pending(linked_add(firm).link, 2)
    Attachment.objects.filter(pk=second.pk).update(updated_at=T0 - UNTAKEN_AFTER)  # waited hours in a backlog
    monkeypatch.setattr(attachments, "enqueue_many", lambda calls: None)  # the handed-on task waits in the queue
    at = [T0]

    def slow(request: object) -> tuple[int, dict[str, str], bytes]:
        at[0] += dt.timedelta(seconds=FETCH_SECONDS + 1)
        return 200, {}, PDF

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        mocked.add_callback(responses.GET, first.source_url, callback=slow)
        attachments_fetch(attachment_ids=[first.pk, second.pk], clock=lambda: at[0])

    second.refresh_from_db()
    assert (second.state, second.attempts, second.fetch_started_at) == (Attachment.State.PENDING, 0, None)
    assert second.updated_at == at[0]  # queued anew just now
    assert _fetch_calls(at[0] + STALLED_AFTER * 2) == []  # waiting for its own task, not lost


def test_a_file_queued_twice_is_downloaded_by_one_task_and_counted_once(firm: Firm) -> None:
    (row,) = _pending(linked_add(firm).link, 1)
    downloads: list[object] = []
    other: list[Attachment | None] = []

    def a_second_task_runs_meanwhile(request: object) -> tuple[int, dict[str, str], bytes]:
        downloads.append(request)
        other.extend(attachments_fetch(attachment_ids=[row.pk], clock=lambda: T0))  # even at the same instant
        return 200, {}, PDF

    with responses.RequestsMock() as mocked:
        mocked.add_callback(responses.GET, row.source_url, callback=a_second_task_runs_meanwhile)
        attachments_fetch(attachment_ids=[row.pk], clock=lambda: T0)

    assert len(downloads) == 1  # the second task found it taken and left it
    assert other[0] is not None and other[0].state == Attachment.State.PENDING
    row.refresh_from_db()
    assert (row.state, row.attempts, row.fetch_started_at) == (Attachment.State.STORED, 1, None)


def test_a_paused_links_lost_files_wait_until_it_runs_again(firm: Firm) -> None:
    link = linked_add(firm).link
    (row,) = _pending(link, 1)
    _run([row.pk], T0, lambda mocked: mocked.add_callback(responses.GET, row.source_url, callback=_killed))
    ProjectLink.objects.filter(pk=link.pk).update(status=ProjectLink.Status.PAUSED)
    later = T0 + STALLED_AFTER * 2

    assert _fetch_calls(later) == []
    assert _state(row) == (Attachment.State.PENDING, 1)  # not run to failure while nobody may download it

    ProjectLink.objects.filter(pk=link.pk).update(status=ProjectLink.Status.ACTIVE)
    assert _fetch_calls(later) == [[row.pk]]


def test_a_sync_finding_a_new_version_of_a_lost_file_gives_it_fresh_runs(firm: Firm) -> None:
    (row,) = _pending(linked_add(firm).link, 1)
    _run([row.pk], T0, lambda mocked: mocked.add_callback(responses.GET, row.source_url, callback=_killed))
    ref = AttachmentRef(provider_id=row.provider_id, filename=row.filename, url=row.source_url, version="2")

    due = attachments.attachments_record(items=[(row.item, [ref])], now=T0 + dt.timedelta(minutes=1))

    assert due == [row.pk]  # queued by the sync itself
    row.refresh_from_db()
    assert (row.attempts, row.fetch_started_at) == (0, None)
    assert _fetch_calls(T0 + STALLED_AFTER * 2) == []  # its new task is to come: not lost


def test_a_passing_fault_is_tried_again_by_the_sweep_after_the_providers_wait_then_left_failed_in_words(
    firm: Firm,
) -> None:
    (row,) = _pending(linked_add(firm).link, 1)

    def unavailable(mocked: responses.RequestsMock) -> None:
        mocked.get(row.source_url, status=429, headers={"Retry-After": "600"})

    at = T0
    for run in range(1, MAX_RUNS + 1):
        _run([row.pk], at, unavailable)
        row.refresh_from_db()
        assert (row.state, row.attempts) == (Attachment.State.FAILED, run)
        if run == MAX_RUNS:
            break
        assert row.retry_at == at + dt.timedelta(seconds=600) and "tries again" in row.reason
        assert _fetch_calls(at + dt.timedelta(seconds=599)) == []  # the provider's Retry-After honoured
        at += dt.timedelta(seconds=600)
        assert _fetch_calls(at) == [[row.pk]]
        assert _state(row)[0] == Attachment.State.PENDING  # waiting for its task: queued once
        assert _fetch_calls(at) == []

    assert row.retry_at is None and f"failed {MAX_RUNS} times on a passing fault" in row.reason
    assert _fetch_calls(at + 2 * UNTAKEN_AFTER) == []


def test_an_expired_signed_url_is_a_passing_fault_tried_again_from_the_providers_url(firm: Firm) -> None:
    (row,) = _pending(linked_add(firm).link, 1)
    signed = "https://files.storage.example.net/B-000.pdf?X-Amz-Expires=300&X-Amz-Signature=stale"

    def expired(mocked: responses.RequestsMock) -> None:
        mocked.get(row.source_url, status=302, headers={"Location": signed})
        mocked.get(signed.split("?")[0], status=403, body="<Error><Code>AccessDenied</Code></Error>")

    _run([row.pk], T0, expired)

    row.refresh_from_db()
    assert (row.state, row.attempts) == (Attachment.State.FAILED, 1)  # runs left: not refused for good
    assert "file storage refused" in row.reason and row.retry_at is not None
    assert _fetch_calls(row.retry_at) == [[row.pk]]
