"""A response with a marked-up file, delivered to the provider sandbox over real HTTP: the file arrives attached to the
response, byte for byte; a lost answer during the upload or the attaching never attaches it twice."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from connector_portal.dates import at_time
from connector_portal.models import Firm
from projects.constants import GIVE_UP_AFTER
from projects.models import ItemResponse, ResponseFile, ResponseUpload, SyncedItem, SyncRun
from projects.services import response_deliver, response_record
from sandbox.testing import RunningSandbox
from tests.sync_e2e.conftest import REVIEWER_ID, AnswerLoser, Case, EngineClock

pytestmark = pytest.mark.sandbox
Sync = Callable[[], SyncRun]
MARKUP = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% clouded revisions on S-201\n" + bytes(range(256)) * 40
# Per provider: the requests that put a response's file in place, in order (method, path ending), and the one that
# attaches it with the response, per kind.
ATTACHING = {
    ("procore", "submittal"): ("PATCH", ""),
    ("procore", "rfi"): ("POST", "/replies"),
    ("constructex", "submittal"): ("POST", "/reviews"),
    ("constructex", "rfi"): ("POST", "/answers"),
    ("autodesk", "submittal"): ("POST", ":close"),  # publishes the task's draft attachments with the review
    ("autodesk", "rfi"): ("POST", "/responses"),
}
# The request that sends the file's bytes, and how often its answer must be lost for the attempt to fail (the HTTP
# layer sends an idempotent PUT again by itself, up to its four attempts).
UPLOADING = {
    "procore": ("POST", "/procore-storage/uploads", 1),
    "constructex": ("PUT", "/content", 4),
    "autodesk": ("PUT", "", 4),  # the signed S3 URL of the OSS upload session (the flow's only PUT)
}


def stored_upload(firm: Firm, name: str = "S-201 markup.pdf", content: bytes = MARKUP) -> ResponseUpload:
    sha256 = hashlib.sha256(content).hexdigest()
    storage_name = storages["attachments"].save(f"responses/{firm.pk}/{sha256}", ContentFile(content))
    return ResponseUpload.objects.create(
        firm=firm,
        filename=name,
        content_type="application/pdf",
        size=len(content),
        sha256=sha256,
        state=ResponseUpload.State.STORED,
        storage_name=storage_name,
        idempotency_key=f"upload-{name}",
        request_hash="",
        created_at=timezone.now(),
    )


def item(case: Case, kind: str, n: int = 1) -> SyncedItem:
    return SyncedItem.objects.get(kind=kind, provider_id=case.provider_id(kind, case.item_row(kind, n)))


def respond(item: SyncedItem, kind: str, upload: ResponseUpload) -> ItemResponse:
    keyword = "Approved as Noted" if kind == "submittal" else ""
    response, _ = response_record(
        firm=item.firm,
        item=item,
        keyword=keyword,
        comment="See the clouded revisions.",
        idempotency_key=f"files-{kind}",
        attachments=[upload.pk],
    )
    return response


def attached(sandbox: RunningSandbox, case: Case, kind: str) -> list[tuple[str, str, bytes]]:
    """(filename, sha256, bytes) of the files attached to the reviewer's response on the item, at the provider."""
    rows = sandbox.app.store.all(
        "SELECT f.filename, f.sha256, u.content FROM response_files f JOIN out_uploads u ON u.id = f.upload_id"
        " LEFT JOIN approvers a ON a.id = f.approver_id LEFT JOIN posts p ON p.id = f.post_id"
        " WHERE f.item_id = ? AND COALESCE(a.user_id, p.created_by) = ? ORDER BY f.id",
        (case.item_row(kind, 1), REVIEWER_ID),
    )
    return [(r["filename"], r["sha256"], bytes(r["content"])) for r in rows]


@pytest.mark.parametrize("kind", ["submittal", "rfi"])
def test_a_response_with_a_marked_up_file_arrives_with_the_file_attached(
    case: Case, kind: str, sync: Sync, sandbox: RunningSandbox, clock: EngineClock, recorded: list[SimpleNamespace]
) -> None:
    sync()
    target = item(case, kind)
    response = respond(target, kind, stored_upload(target.firm))

    response_deliver(response_id=response.pk, clock=clock)

    response.refresh_from_db()
    assert response.status == ItemResponse.Status.DELIVERED, response.provider_answer
    assert attached(sandbox, case, kind) == [("S-201 markup.pdf", hashlib.sha256(MARKUP).hexdigest(), MARKUP)]
    assert [(f.state, bool(f.provider_file_id)) for f in ResponseFile.objects.filter(response=response)] == [
        (ResponseFile.State.ATTACHED, True)
    ]


@pytest.mark.parametrize("kind", ["submittal", "rfi"])
def test_a_lost_answer_when_attaching_does_not_attach_the_file_twice(
    case: Case,
    kind: str,
    sync: Sync,
    sandbox: RunningSandbox,
    clock: EngineClock,
    lose_answers: AnswerLoser,
    recorded: list[SimpleNamespace],
) -> None:
    sync()
    target = item(case, kind)
    response = respond(target, kind, stored_upload(target.firm))
    lose_answers.lose(*ATTACHING[(case.provider, kind)])

    response_deliver(response_id=response.pk, clock=clock)
    first = ItemResponse.objects.get(pk=response.pk)
    clock.advance(600)
    response_deliver(response_id=response.pk, clock=clock)

    final = ItemResponse.objects.get(pk=response.pk)
    assert lose_answers.lost and first.status == ItemResponse.Status.PENDING
    assert final.status == ItemResponse.Status.DELIVERED, final.provider_answer
    assert [name for name, _, _ in attached(sandbox, case, kind)] == ["S-201 markup.pdf"]


def test_a_lost_answer_of_the_file_upload_is_uploaded_again_and_attached_once(
    case: Case,
    sync: Sync,
    sandbox: RunningSandbox,
    clock: EngineClock,
    lose_answers: AnswerLoser,
    recorded: list[SimpleNamespace],
) -> None:
    sync()
    target = item(case, "submittal")
    response = respond(target, "submittal", stored_upload(target.firm))
    method, path_end, times = UPLOADING[case.provider]
    lose_answers.lose(method, path_end, times)

    response_deliver(response_id=response.pk, clock=clock)
    midway = ResponseFile.objects.get(response=response)
    clock.advance(600)
    response_deliver(response_id=response.pk, clock=clock)

    final = ItemResponse.objects.get(pk=response.pk)
    assert midway.state == ResponseFile.State.STARTED  # the provider knew of it; its bytes were not confirmed
    assert final.status == ItemResponse.Status.DELIVERED, final.provider_answer
    assert [name for name, _, _ in attached(sandbox, case, "submittal")] == ["S-201 markup.pdf"]


# Autodesk's flow has more steps whose answer can be lost: the draft attachment of a review task (read back before
# another is made), the OSS completion (the object is filled again), an RFI file's storage object (a new one is made;
# an object never named by a response shows nowhere).
AUTODESK_LOSSES = [
    ("submittal", "POST", "/attachments"),
    ("submittal", "POST", "/signeds3upload"),
    ("rfi", "POST", "/storage"),
    ("rfi", "POST", "/signeds3upload"),
]


@pytest.mark.parametrize("case", ["autodesk"], indirect=True)
@pytest.mark.parametrize(("kind", "method", "path_end"), AUTODESK_LOSSES)
def test_autodesk_a_lost_answer_at_any_step_of_the_upload_still_attaches_the_file_once(
    case: Case,
    kind: str,
    method: str,
    path_end: str,
    sync: Sync,
    sandbox: RunningSandbox,
    clock: EngineClock,
    lose_answers: AnswerLoser,
    recorded: list[SimpleNamespace],
) -> None:
    sync()
    target = item(case, kind)
    response = respond(target, kind, stored_upload(target.firm))
    lose_answers.lose(method, path_end)

    response_deliver(response_id=response.pk, clock=clock)
    first = ItemResponse.objects.get(pk=response.pk)
    clock.advance(600)
    response_deliver(response_id=response.pk, clock=clock)

    final = ItemResponse.objects.get(pk=response.pk)
    assert lose_answers.lost and first.status == ItemResponse.Status.PENDING
    assert final.status == ItemResponse.Status.DELIVERED, final.provider_answer
    assert attached(sandbox, case, kind) == [("S-201 markup.pdf", hashlib.sha256(MARKUP).hexdigest(), MARKUP)]
    drafts = sandbox.app.store.all("SELECT name FROM acc_attachments WHERE item_id = ?", (case.item_row(kind, 1),))
    assert [d["name"] for d in drafts] == (["S-201 markup.pdf"] if kind == "submittal" else [])


@pytest.mark.parametrize("case", ["autodesk"], indirect=True)
def test_autodesk_an_rfi_whose_folder_is_not_made_yet_waits_then_gets_its_answer_and_file_once(
    case: Case, sync: Sync, sandbox: RunningSandbox, clock: EngineClock, recorded: list[SimpleNamespace]
) -> None:
    sync()
    target = item(case, "rfi")
    response = respond(target, "rfi", stored_upload(target.firm))
    sandbox.scenario("rfi_folder", item_id=case.item_row("rfi", 1), ready=False)  # Autodesk still making it

    response_deliver(response_id=response.pk, clock=clock)
    waiting = ItemResponse.objects.get(pk=response.pk)
    posted = [str(c.request.url).split("?")[0] for c in recorded if c.request.method == "POST"]
    sandbox.scenario("rfi_folder", item_id=case.item_row("rfi", 1), ready=True)
    clock.advance(600)
    response_deliver(response_id=response.pk, clock=clock)

    final = ItemResponse.objects.get(pk=response.pk)
    assert waiting.status == ItemResponse.Status.PENDING
    assert "still preparing the RFI's folder" in waiting.provider_answer
    assert not [url for url in posted if url.endswith(("/storage", "/signeds3upload", "/responses"))]  # nothing sent
    assert final.status == ItemResponse.Status.DELIVERED, final.provider_answer
    assert attached(sandbox, case, "rfi") == [("S-201 markup.pdf", hashlib.sha256(MARKUP).hexdigest(), MARKUP)]
    answers = sandbox.app.store.all(
        "SELECT id FROM posts WHERE item_id = ? AND kind = 'answer' AND created_by = ?",
        (case.item_row("rfi", 1), REVIEWER_ID),
    )
    assert len(answers) == 1


@pytest.mark.parametrize("case", ["autodesk"], indirect=True)
def test_autodesk_a_waiting_rfi_answer_says_when_it_goes_again_and_after_a_day_what_to_check(
    case: Case, sync: Sync, sandbox: RunningSandbox, clock: EngineClock, recorded: list[SimpleNamespace]
) -> None:
    sync()
    target = item(case, "rfi")
    response = respond(target, "rfi", stored_upload(target.firm))
    sandbox.scenario("rfi_folder", item_id=case.item_row("rfi", 1), ready=False)  # and Autodesk never makes it

    response_deliver(response_id=response.pk, clock=clock)
    clock.advance(600)
    response_deliver(response_id=response.pk, clock=clock)
    second = ItemResponse.objects.get(pk=response.pk)
    assert second.status == ItemResponse.Status.PENDING and second.next_attempt_at is not None
    assert "still preparing the RFI's folder" in second.provider_answer
    assert "in a minute" not in second.provider_answer  # the second wait is longer than the first
    assert f"at {at_time(second.next_attempt_at)} UTC" in second.provider_answer

    ItemResponse.objects.filter(pk=response.pk).update(created_at=clock() - GIVE_UP_AFTER - dt.timedelta(seconds=1))
    clock.advance(3600)
    response_deliver(response_id=response.pk, clock=clock)

    final = ItemResponse.objects.get(pk=response.pk)
    assert final.status == ItemResponse.Status.FAILED
    assert "never made this RFI's folder" in final.provider_answer
    assert "Check in Autodesk Construction Cloud that the RFI" in final.provider_answer
    assert "retry" in final.provider_answer and "Support can retry" not in final.provider_answer


@pytest.mark.parametrize("case", ["autodesk"], indirect=True)
def test_autodesk_a_review_file_whose_name_autodesk_does_not_support_arrives_under_a_cleaned_name(
    case: Case, sync: Sync, sandbox: RunningSandbox, clock: EngineClock, recorded: list[SimpleNamespace]
) -> None:
    sync()
    target = item(case, "submittal")
    response = respond(target, "submittal", stored_upload(target.firm, name="Detail 5: revised?.pdf"))

    response_deliver(response_id=response.pk, clock=clock)

    response.refresh_from_db()
    assert response.status == ItemResponse.Status.DELIVERED, response.provider_answer
    sha256 = hashlib.sha256(MARKUP).hexdigest()
    assert attached(sandbox, case, "submittal") == [("Detail 5_ revised_.pdf", sha256, MARKUP)]
    assert [f.state for f in ResponseFile.objects.filter(response=response)] == [ResponseFile.State.ATTACHED]
