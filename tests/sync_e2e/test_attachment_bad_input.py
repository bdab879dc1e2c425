"""Bad files against the sandbox over real HTTP: each gets a clear state in words, nothing else of the item is lost,
and the rest of the sync goes on (the other files of the same item are stored)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from projects.models import Attachment, FeedEntry, ProjectLink, SyncedItem, SyncRun
from projects.services.attachments import RETRY_CUT_SHORT
from sandbox.files import small_pdf
from sandbox.testing import RunningSandbox
from tests.sync_e2e.conftest import CASES, Case, EngineClock

pytestmark = pytest.mark.django_db
GOOD = small_pdf("The good drawing")


@pytest.fixture(params=["procore", "constructex"])
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]


@pytest.fixture
def synced(sync: Callable[[], SyncRun], django_capture_on_commit_callbacks: Any) -> Callable[[], SyncRun]:
    def run() -> SyncRun:
        with django_capture_on_commit_callbacks(execute=True):
            return sync()

    return run


def _attach(sandbox: RunningSandbox, case: Case, name: str, data: bytes | None = None, **extra: Any) -> None:
    given = {"attach_b64": base64.b64encode(data).decode()} if data is not None else {}
    sandbox.scenario("attach_file", item_id=case.item_row("submittal", 1), attach_name=name, **given, **extra)


def _files(link: ProjectLink, case: Case) -> dict[str, Attachment]:
    """The files of the submittal the tests attach to (the seed's demo files hang on other items)."""
    return {a.filename: a for a in Attachment.objects.filter(item=_submittal(link, case)).select_related("blob")}


def _submittal(link: ProjectLink, case: Case) -> SyncedItem:
    return SyncedItem.objects.get(link=link, provider_id=case.provider_id("submittal", case.item_row("submittal", 1)))


def test_a_download_cut_short_every_time_fails_in_words_and_the_items_other_file_is_stored(
    link: ProjectLink, case: Case, sandbox: RunningSandbox, synced: Callable[[], SyncRun], sleeps: list[float]
) -> None:
    _attach(sandbox, case, "cut.pdf", small_pdf("A file the network cuts"), fault="truncate")
    _attach(sandbox, case, "good.pdf", GOOD)

    run = synced()

    files = _files(link, case)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert files["cut.pdf"].state == Attachment.State.FAILED
    assert "stopped sending this file before its end" in files["cut.pdf"].reason
    assert len(sleeps) >= 2  # tried again with the HTTP policy's backoff, never slept for real
    assert files["good.pdf"].state == Attachment.State.STORED
    assert files["good.pdf"].blob is not None and files["good.pdf"].blob.sha256 == hashlib.sha256(GOOD).hexdigest()
    assert _submittal(link, case).title  # the item itself arrived whole
    assert FeedEntry.objects.filter(item=_submittal(link, case)).exists()


def test_a_file_over_the_limit_is_too_large_and_never_read_to_the_end(
    link: ProjectLink,
    case: Case,
    sandbox: RunningSandbox,
    synced: Callable[[], SyncRun],
    settings: Settings,
) -> None:
    settings.ATTACHMENT_MAX_BYTES = 100_000
    _attach(sandbox, case, "huge.bin", size=300_000)
    _attach(sandbox, case, "good.pdf", GOOD)

    synced()

    files = _files(link, case)
    assert files["huge.bin"].state == Attachment.State.TOO_LARGE
    assert "larger than the portal's limit" in files["huge.bin"].reason
    assert files["huge.bin"].blob is None
    assert files["good.pdf"].state == Attachment.State.STORED


def test_names_with_folders_control_characters_or_300_characters_are_stored_under_safe_names(
    link: ProjectLink, case: Case, sandbox: RunningSandbox, synced: Callable[[], SyncRun]
) -> None:
    _attach(sandbox, case, "../../etc/passwd", b"root")
    _attach(sandbox, case, "C:\\Users\\gc\\sketch\x07\x1b[31m.png", b"png")
    _attach(sandbox, case, "x" * 300 + ".pdf", GOOD)

    synced()

    names = sorted(_files(link, case))
    assert names == sorted(["passwd", "sketch_[31m.png", "x" * 251 + ".pdf"])
    assert all(a.state == Attachment.State.STORED for a in _files(link, case).values())


# Only ConstructEx declares a file's SHA-256; Procore's and Autodesk's lists give none.
@pytest.mark.parametrize("case", [CASES["constructex"]], ids=["constructex"])
def test_a_file_that_does_not_match_the_providers_checksum_is_refused_in_words(
    link: ProjectLink, case: Case, sandbox: RunningSandbox, synced: Callable[[], SyncRun]
) -> None:
    _attach(sandbox, case, "damaged.pdf", small_pdf("Damaged on the way"), fault="corrupt")
    _attach(sandbox, case, "good.pdf", GOOD)

    synced()

    files = _files(link, case)
    assert files["damaged.pdf"].state == Attachment.State.FAILED
    assert "does not match the SHA-256 checksum" in files["damaged.pdf"].reason
    assert files["damaged.pdf"].blob is None
    assert files["good.pdf"].state == Attachment.State.STORED


def test_a_file_that_failed_on_a_passing_fault_is_fetched_by_the_first_sync_after_its_wait_with_a_fresh_signed_url(
    link: ProjectLink, case: Case, sandbox: RunningSandbox, synced: Callable[[], SyncRun], clock: EngineClock
) -> None:
    _attach(sandbox, case, "flaky.pdf", GOOD)
    sandbox.app.store.conn().execute("UPDATE files SET fault = 'truncate'")
    synced()
    failed = _files(link, case)["flaky.pdf"]
    assert failed.state == Attachment.State.FAILED and "tries again in about 5 minutes" in failed.reason

    sandbox.app.store.conn().execute("UPDATE files SET fault = ''")
    synced()  # a minute later: its wait is not over
    assert _files(link, case)["flaky.pdf"].state == Attachment.State.FAILED
    clock.advance(RETRY_CUT_SHORT.total_seconds())
    synced()

    assert _files(link, case)["flaky.pdf"].state == Attachment.State.STORED
