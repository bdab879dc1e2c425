"""Files in, for each provider against the sandbox over real HTTP: an item with files arrives, every file is
downloaded through the signed storage redirect, and Project Center downloads each through the API with its SHA-256."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from connector_portal.models import Firm
from connector_portal.services import service_token_create
from projects.models import Attachment, FeedEntry, ProjectLink, SyncRun
from sandbox.files import small_pdf
from sandbox.testing import RunningSandbox
from tests.files.storage import moto_s3, storage_backend
from tests.sync_e2e.conftest import Case

__all__ = ["moto_s3", "storage_backend"]  # fixtures: every test runs on the file system and on S3
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("storage_backend")]

DRAWING = small_pdf("Curtain wall shop drawings, sheet A-501")


def _attach(sandbox: RunningSandbox, item_row: int, name: str, data: bytes, **extra: Any) -> dict[str, Any]:
    encoded = base64.b64encode(data).decode()
    return sandbox.scenario("attach_file", item_id=item_row, attach_name=name, attach_b64=encoded, **extra)


def _feed(firm: Firm) -> dict[str, Any]:
    client = Client(headers={"Authorization": f"Bearer {service_token_create(firm=firm)[1]}"})
    return client.get("/api/v1/feed/").json() | {"client": client}


@pytest.fixture
def synced(sync: Callable[[], SyncRun], django_capture_on_commit_callbacks: Any) -> Callable[[], SyncRun]:
    """A sync whose download tasks run (tasks run at once under tests; they are queued when the page commits)."""

    def run() -> SyncRun:
        with django_capture_on_commit_callbacks(execute=True):
            return sync()

    return run


def test_an_item_with_files_arrives_and_every_file_downloads_through_the_api_with_its_sha256(
    firm: Firm, link: ProjectLink, case: Case, sandbox: RunningSandbox, synced: Callable[[], SyncRun]
) -> None:
    submittal = case.item_row("submittal", 1)
    rfi = case.item_row("rfi", 1)
    sketch = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    _attach(sandbox, submittal, "A-501 Curtain wall.pdf", DRAWING)
    _attach(sandbox, submittal, "Product data.pdf", small_pdf("Mullion product data"))
    _attach(sandbox, rfi, "sketch.png", sketch, on="question")

    run = synced()

    assert run.status == SyncRun.Status.SUCCEEDED
    feed = _feed(firm)
    files = {
        a["filename"]: a
        for entry in feed["entries"]
        if entry["item"]["provider_id"] in (case.provider_id("submittal", submittal), case.provider_id("rfi", rfi))
        for a in entry["item"]["attachments"]
    }
    assert sorted(files) == ["A-501 Curtain wall.pdf", "Product data.pdf", "sketch.png"]
    expected = {"A-501 Curtain wall.pdf": DRAWING, "sketch.png": sketch}
    for name, data in expected.items():
        listed = files[name]
        assert listed["state"] == "stored", listed["reason"]
        assert listed["sha256"] == hashlib.sha256(data).hexdigest()
        answer = feed["client"].get(listed["download_url"])
        body = b"".join(answer.streaming_content)
        assert answer.status_code == 200
        assert hashlib.sha256(body).hexdigest() == listed["sha256"]
        assert answer["Content-Length"] == str(len(data))
        assert answer["ETag"] == f'"{listed["sha256"]}"'
    assert files["sketch.png"]["attached_to"] == "question"


def test_a_file_attached_later_is_a_change_in_the_feed_and_the_same_bytes_are_stored_once(
    firm: Firm, link: ProjectLink, case: Case, sandbox: RunningSandbox, synced: Callable[[], SyncRun]
) -> None:
    submittal = case.item_row("submittal", 1)
    synced()
    before = FeedEntry.objects.filter(firm=firm).count()

    _attach(sandbox, submittal, "A-501.pdf", DRAWING)
    _attach(sandbox, case.item_row("rfi", 1), "A-501 again.pdf", DRAWING)
    synced()

    changed = FeedEntry.objects.filter(firm=firm, position__gt=before).values_list("change", flat=True)
    assert list(changed) == ["changed", "changed"]
    stored = Attachment.objects.filter(firm=firm, state=Attachment.State.STORED, filename__startswith="A-501")
    assert stored.count() == 2
    assert len({a.blob_id for a in stored}) == 1  # one blob for both

    synced()  # nothing changed upstream: nothing new, nothing downloaded again
    assert FeedEntry.objects.filter(firm=firm).count() == before + 2
