"""Autodesk's file flows with mocked HTTP: an RFI answer's file is a Data Management storage object in the RFI's own
folder, filled through an OSS signed upload and named in the response's `attachments`; while the RFI has no folder yet
the answer waits; a submittal review's file is a draft attachment of the reviewer's task, filled the same way,
confirmed, and published by the close; a retry reuses what Autodesk holds and never attaches twice; a file in is
downloaded through OSS's signed download URL. Every Autodesk request is checked
against its published operations (tests/conftest.py)."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
import responses

from providers.autodesk.attachments import item_attachments
from providers.errors import Retryable
from providers.models import ProviderAccount
from providers.registry import get_provider
from providers.types import AttachmentRef
from providers.uploads import PENDING, STARTED, UPLOADED, OutgoingFile
from tests.providers.conftest import AUTODESK, sent_body
from tests.providers.test_sync_autodesk import ACC, HUB, ITEMS, ME, PROJECT, page, rfi

MARKUP = b"%PDF-1.4 clouded revisions " * 500
RFI_1 = f"{AUTODESK}/construction/rfis/v3/projects/proj-1/rfis/rfi-1"
FOLDER = "urn:adsk.wipprod:fs.folder:co.rfi-1-files"
STORAGE = f"{AUTODESK}/data/v1/projects/{PROJECT}/storage"
URN = "urn:adsk.objects:os.object:wip.dm.prod/obj-1.pdf"
ENTRY = {"attachmentType": "rfiResponse", "displayName": "S-201 markup.pdf", "fileName": "obj-1.pdf", "storageUrn": URN}
OSS = f"{AUTODESK}/oss/v2/buckets/wip.dm.prod/objects/obj-1.pdf/signeds3upload"
S3 = "https://s3.example.com/upload/obj-1?X-Amz-Signature=abc"
ITEM = f"{ITEMS}/item-1"
CLOSE = f"{ITEM}/steps/s1/tasks/t-mine:close"
UNSENT: dict[str, Any] = {"isFileUploaded": False}  # a draft whose file is not confirmed yet


@pytest.fixture
def account(make_account: Callable[..., ProviderAccount]) -> ProviderAccount:
    return make_account("autodesk", provider_user_id=ME)


def markup(filename: str = "S-201 markup.pdf", **fields: Any) -> tuple[OutgoingFile, list[tuple[str, str]]]:
    noted: list[tuple[str, str]] = []
    file = OutgoingFile(
        filename=filename,
        content_type="application/pdf",
        size=len(MARKUP),
        sha256=hashlib.sha256(MARKUP).hexdigest(),
        opener=lambda: io.BytesIO(MARKUP),
        recorder=lambda f: noted.append((f.state, f.provider_file_id)),
        **fields,
    )
    return file, noted


def post(account: ProviderAccount, file: OutgoingFile, kind: str = "rfi", *more: OutgoingFile) -> None:
    get_provider("autodesk").post_response(
        facts=ACC,
        account=account,
        company_id=HUB,
        project_id=PROJECT,
        kind=kind,  # type: ignore[arg-type]
        item_id="rfi-1" if kind == "rfi" else "item-1",
        receiving_user_id=ME,
        option_id="r2",
        comment="See the clouded revisions.",
        files=[file, *more],
    )


def oss_flow(mocked: responses.RequestsMock) -> None:
    mocked.get(OSS, json={"uploadKey": "key-1", "urls": [S3], "urlExpiration": "2026-03-02T10:00:00Z"})
    mocked.put(S3, status=200, headers={"ETag": '"e1"'})
    mocked.post(OSS, json={"objectId": URN, "size": len(MARKUP)})


def sent(mocked: responses.RequestsMock, method: str, url: str) -> list[Any]:
    return [c.request for c in mocked.calls if c.request.method == method and str(c.request.url).split("?")[0] == url]


def test_an_rfi_answers_file_is_stored_uploaded_through_oss_and_named_in_the_responses_attachments(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(RFI_1, json=rfi(1, virtualFolderUrn=FOLDER))
    mocked.post(STORAGE, json={"data": {"type": "objects", "id": URN}}, status=201)
    oss_flow(mocked)
    mocked.post(f"{RFI_1}/responses", json={"id": "resp-1"}, status=201)
    file, noted = markup()

    post(account, file)

    storage = json.loads(sent_body(sent(mocked, "POST", STORAGE)[0]))
    assert storage["data"]["attributes"] == {"name": "S-201 markup.pdf"}
    assert storage["data"]["relationships"]["target"]["data"] == {"type": "folders", "id": FOLDER}
    [put] = sent(mocked, "PUT", S3.split("?")[0])
    assert "Authorization" not in put.headers  # S3's signed URL is the credential
    body = put.body if isinstance(put.body, bytes) else put.body.read()  # a streamed body, as requests reads it
    assert body == MARKUP and put.headers["Content-Length"] == str(len(MARKUP))
    assert json.loads(sent_body(sent(mocked, "POST", OSS)[0])) == {"uploadKey": "key-1", "size": len(MARKUP)}
    answer = json.loads(sent_body(sent(mocked, "POST", f"{RFI_1}/responses")[0]))
    assert answer == {
        "text": "See the clouded revisions.",
        "status": "answered",
        "attachments": [ENTRY],
    }
    assert noted == [(STARTED, URN), (UPLOADED, URN)]
    assert file.provider_state == {"urn": URN, "folder": FOLDER}  # a retry knows which folder holds the object
    assert [c.request.method for c in mocked.calls] == ["GET", "POST", "GET", "PUT", "POST", "POST"]  # no topFolders


def test_an_rfi_whose_folder_autodesk_has_not_made_yet_waits_with_nothing_sent(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(RFI_1, json=rfi(1))  # no virtualFolderUrn yet
    file, noted = markup()

    with pytest.raises(Retryable) as raised:
        post(account, file)

    assert raised.value.retry_after == 60
    assert "still preparing the RFI's folder" in raised.value.message
    assert "in a minute" not in raised.value.message  # the wait grows: push.py says when it goes again
    # Once the portal stops waiting, the user is told what to check and what to do.
    assert "check in autodesk construction cloud that the rfi" in raised.value.gave_up.lower()
    assert "retry" in raised.value.gave_up
    assert [c.request.method for c in mocked.calls] == ["GET"] and noted == []


def test_a_file_whose_upload_completed_is_named_again_without_uploading_it_again(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(RFI_1, json=rfi(1, virtualFolderUrn=FOLDER))
    mocked.post(f"{RFI_1}/responses", json={"id": "resp-1"}, status=201)
    file, _ = markup(state=UPLOADED, provider_file_id=URN, provider_state={"urn": URN, "folder": FOLDER})

    post(account, file)

    assert [c.request.method for c in mocked.calls] == ["GET", "POST"]
    assert json.loads(sent_body(mocked.calls[-1].request))["attachments"] == [ENTRY]


@pytest.mark.parametrize(
    ("state", "provider_state"),
    [
        (STARTED, {"urn": "urn:adsk.objects:os.object:wip.dm.prod/old.pdf"}),  # the earlier release's Project Files
        (UPLOADED, {"urn": "urn:adsk.objects:os.object:wip.dm.prod/old.pdf"}),
        (UPLOADED, {"urn": "urn:adsk.objects:os.object:wip.dm.prod/old.pdf", "folder": "urn:adsk.wipprod:fs.folder:x"}),
    ],
    ids=["started-no-folder", "uploaded-no-folder", "uploaded-another-folder"],
)
def test_a_file_stored_outside_the_rfis_folder_is_stored_again_in_it(
    mocked: responses.RequestsMock, account: ProviderAccount, state: str, provider_state: dict[str, str]
) -> None:
    mocked.get(RFI_1, json=rfi(1, virtualFolderUrn=FOLDER))
    mocked.post(STORAGE, json={"data": {"type": "objects", "id": URN}}, status=201)
    oss_flow(mocked)
    mocked.post(f"{RFI_1}/responses", json={"id": "resp-1"}, status=201)
    old = provider_state["urn"]
    file, noted = markup(state=state, provider_file_id=old, provider_state=dict(provider_state))

    post(account, file)

    [storage] = sent(mocked, "POST", STORAGE)
    assert json.loads(sent_body(storage))["data"]["relationships"]["target"]["data"]["id"] == FOLDER
    assert len(sent(mocked, "PUT", S3.split("?")[0])) == 1  # into the new object, not the old one
    assert json.loads(sent_body(sent(mocked, "POST", f"{RFI_1}/responses")[0]))["attachments"] == [ENTRY]
    assert noted == [(STARTED, URN), (UPLOADED, URN)] and file.provider_state == {"urn": URN, "folder": FOLDER}


def test_a_storage_object_whose_upload_was_cut_short_is_filled_again_not_created_again(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(RFI_1, json=rfi(1, virtualFolderUrn=FOLDER))
    oss_flow(mocked)
    mocked.post(f"{RFI_1}/responses", json={"id": "resp-1"}, status=201)
    file, noted = markup(state=STARTED, provider_file_id=URN, provider_state={"urn": URN, "folder": FOLDER})

    post(account, file)

    assert not sent(mocked, "POST", STORAGE) and len(sent(mocked, "PUT", S3.split("?")[0])) == 1
    assert noted == [(UPLOADED, URN)]


def test_an_rfi_already_holding_the_answer_is_not_answered_again_nor_its_file_uploaded(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    held = {"id": "resp-0", "text": "See the clouded revisions.", "status": "answered", "createdBy": ME}
    mocked.get(RFI_1, json=rfi(1, responses=[held]))
    file, _ = markup()

    post(account, file)

    assert [c.request.method for c in mocked.calls] == ["GET"]


def steps(mocked: responses.RequestsMock) -> None:
    tasks = [{"id": "t-mine", "assignedTo": ME, "status": "in-progress"}]
    mocked.get(f"{ITEM}/steps", json=page([{"id": "s1", "status": "in-progress", "tasks": tasks}], 0, 1, 1))


def review_flow(
    mocked: responses.RequestsMock,
    *,
    name: str = "S-201 markup.pdf",
    draft_id: str = "att-1",
    listed: list[dict[str, Any]] | None = None,
    made: bool = True,
    confirmed: object = True,
) -> dict[str, Any]:
    """The mocks of a review with one file: the reviewer's task; the item's attachments as `listed` (not mocked when
    None); the draft the POST makes (when `made`); the OSS flow into it, its confirmation (answering `confirmed`)
    and the close. Answers the draft."""
    steps(mocked)
    draft = {"id": draft_id, "name": name, "taskId": "t-mine", "uploadUrn": URN, "urn": None, **UNSENT}
    if listed is not None:
        mocked.get(f"{ITEM}/attachments", json=page(listed, 0, len(listed), len(listed)))
    if made:
        mocked.post(f"{ITEM}/attachments", json=draft, status=201)
    oss_flow(mocked)
    mocked.patch(f"{ITEM}/attachments/{draft_id}", json={**draft, "isFileUploaded": confirmed})
    mocked.post(CLOSE, json={"id": "t-mine", "status": "completed"})
    return draft


def test_a_reviews_file_is_a_draft_attachment_of_the_task_filled_confirmed_and_published_by_the_close(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    review_flow(mocked)
    file, noted = markup()

    post(account, file, kind="submittal")

    created = json.loads(sent_body(sent(mocked, "POST", f"{ITEM}/attachments")[0]))
    assert created == {"name": "S-201 markup.pdf", "urnTypeId": "2", "taskId": "t-mine"}
    assert len(sent(mocked, "PUT", S3.split("?")[0])) == 1  # into the object the answer's uploadUrn names
    assert json.loads(sent_body(sent(mocked, "PATCH", f"{ITEM}/attachments/att-1")[0])) == {"isFileUploaded": True}
    assert json.loads(sent_body(mocked.calls[-1].request)) == {
        "responseId": "r2",
        "responseComment": "See the clouded revisions.",
    }  # no saveAttachmentDrafts: documented as an array of strings, "Not relevant"; the close publishes the drafts
    assert noted == [(PENDING, ""), (STARTED, "att-1"), (UPLOADED, "att-1")]  # POST noted first


def test_a_draft_made_by_an_attempt_whose_answer_was_lost_is_found_and_filled_not_made_twice(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    draft = review_flow(mocked, made=False)
    mocked.get(f"{ITEM}/attachments", json=page([draft], 0, 1, 1))
    file, noted = markup(provider_state={"draft_posted": True})  # its POST went out, unanswered

    post(account, file, kind="submittal")

    assert not sent(mocked, "POST", f"{ITEM}/attachments")
    assert len(sent(mocked, "PUT", S3.split("?")[0])) == 1  # the listed draft's uploadUrn is filled
    assert noted == [(STARTED, "att-1"), (UPLOADED, "att-1")]


def test_a_new_file_makes_its_own_draft_even_beside_a_draft_of_the_same_name(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    review_flow(mocked, draft_id="att-2")  # the reviewer attached "S-201 markup.pdf" in ACC by hand: another file
    file, noted = markup()

    post(account, file, kind="submittal")

    assert not sent(mocked, "GET", f"{ITEM}/attachments")  # nothing to look for: its POST never went out before
    assert len(sent(mocked, "POST", f"{ITEM}/attachments")) == 1
    assert noted[-1] == (UPLOADED, "att-2")


def test_a_retry_never_takes_the_draft_another_file_of_the_response_holds(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    # "A:1.pdf" went up as att-1; the answer to "A?1.pdf"'s POST was lost: both clean to "A_1.pdf"
    first = {"id": "att-1", "name": "A_1.pdf", "taskId": "t-mine", "uploadUrn": URN, "urn": None}
    review_flow(mocked, name="A_1.pdf", draft_id="att-2", listed=[{**first, "isFileUploaded": "true"}])
    done, _ = markup("A:1.pdf", state=UPLOADED, provider_file_id="att-1", provider_state={"urn": URN})
    lost, noted = markup("A?1.pdf", provider_state={"draft_posted": True})

    post(account, done, "submittal", lost)

    assert len(sent(mocked, "POST", f"{ITEM}/attachments")) == 1  # its own draft, not att-1
    assert len(sent(mocked, "PUT", S3.split("?")[0])) == 1  # and its own bytes went up
    assert lost.provider_file_id == "att-2" and noted[-1] == (UPLOADED, "att-2")


def test_a_retry_finds_its_draft_when_the_name_ends_in_a_space_autodesk_does_not_keep(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    draft = review_flow(mocked, made=False)
    mocked.get(f"{ITEM}/attachments", json=page([draft], 0, 1, 1))
    file, _ = markup("S-201 markup.pdf ", provider_state={"draft_posted": True})

    post(account, file, kind="submittal")

    assert not sent(mocked, "POST", f"{ITEM}/attachments") and file.provider_file_id == "att-1"


def test_a_reviews_file_whose_name_holds_characters_autodesk_does_not_support_is_sent_under_a_cleaned_name(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    review_flow(mocked, name="A_1_ x_y_.pdf", confirmed="true")
    file, noted = markup("A:1? x|y*.pdf")

    post(account, file, kind="submittal")

    created = json.loads(sent_body(sent(mocked, "POST", f"{ITEM}/attachments")[0]))
    assert created == {"name": "A_1_ x_y_.pdf", "urnTypeId": "2", "taskId": "t-mine"}  # the extension kept
    assert noted == [(PENDING, ""), (STARTED, "att-1"), (UPLOADED, "att-1")]


def test_a_retry_finds_the_draft_it_made_under_the_cleaned_name_and_does_not_make_another(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    draft = review_flow(mocked, name="A_1_.pdf", made=False, confirmed="true")
    mocked.get(f"{ITEM}/attachments", json=page([draft], 0, 1, 1))
    file, noted = markup("A:1?.pdf", provider_state={"draft_posted": True})

    post(account, file, kind="submittal")

    assert not sent(mocked, "POST", f"{ITEM}/attachments")
    assert len(sent(mocked, "PUT", S3.split("?")[0])) == 1
    assert noted == [(STARTED, "att-1"), (UPLOADED, "att-1")]


@pytest.mark.parametrize("flag", ["true", "TRUE", True], ids=["string", "upper-case-string", "boolean"])
def test_a_listed_draft_already_confirmed_is_not_uploaded_nor_confirmed_again(
    mocked: responses.RequestsMock, account: ProviderAccount, flag: object
) -> None:
    steps(mocked)
    draft = {"id": "att-1", "name": "S-201 markup.pdf", "taskId": "t-mine", "uploadUrn": URN, "urn": None}
    mocked.get(f"{ITEM}/attachments", json=page([{**draft, "isFileUploaded": flag}], 0, 1, 1))
    mocked.post(CLOSE, json={"id": "t-mine", "status": "completed"})
    file, noted = markup(provider_state={"draft_posted": True})

    post(account, file, kind="submittal")

    assert not sent(mocked, "PUT", S3.split("?")[0]) and not sent(mocked, "PATCH", f"{ITEM}/attachments/att-1")
    assert not sent(mocked, "POST", f"{ITEM}/attachments")
    assert noted == [(UPLOADED, "att-1")] and file.provider_state["urn"] == URN


def test_a_file_in_with_an_oss_urn_downloads_through_the_signed_url_signeds3download_gives(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    download = f"{AUTODESK}/oss/v2/buckets/wip.dm.prod/objects/f1.pdf/signeds3download"
    signed = "https://s3.example.com/download/f1.pdf?X-Amz-Signature=xyz"
    mocked.get(download, json={"status": "complete", "url": signed})
    mocked.get(signed, body=MARKUP)
    ref = AttachmentRef(provider_id="f1", filename="A-501.pdf", url=download, authenticated=True)

    answer = get_provider("autodesk").open_attachment(account=account, ref=ref)

    assert answer.content == MARKUP
    assert mocked.calls[0].request.headers["Authorization"].startswith("Bearer ")
    assert "Authorization" not in mocked.calls[1].request.headers


@pytest.mark.parametrize(
    ("url", "authenticated"),
    [
        ("https://files.example.com/oss/v2/buckets/b/objects/f1.pdf/signeds3download", False),
        ("https://files.example.com/oss/v2/buckets/b/objects/f1.pdf/signeds3download", True),
        (f"{AUTODESK}/oss/v2/buckets/b/objects/f1.pdf/signeds3download", False),
    ],
    ids=["plain-url-named-like-oss", "flagged-but-another-host", "api-host-but-not-flagged"],
)
def test_a_file_url_the_portal_did_not_build_for_the_api_host_is_fetched_without_the_token(
    mocked: responses.RequestsMock, account: ProviderAccount, url: str, authenticated: bool
) -> None:
    mocked.get(url, body=MARKUP)
    ref = AttachmentRef(provider_id="f1", filename="A-501.pdf", url=url, authenticated=authenticated)

    answer = get_provider("autodesk").open_attachment(account=account, ref=ref)

    assert answer.content == MARKUP
    assert len(mocked.calls) == 1
    assert "Authorization" not in mocked.calls[0].request.headers


def test_an_rfi_responses_file_named_by_its_storage_urn_is_read_as_an_oss_download() -> None:
    entry: dict[str, Any] = {"attachmentId": "a-1", "attachmentType": "rfiResponse", "displayName": "S-201 markup.pdf"}
    entry |= {"fileName": "obj-1.pdf", "storageUrn": URN, "fileSize": len(MARKUP)}

    [ref] = item_attachments("rfi", {"responses": [{"id": "resp-1", "attachments": [entry]}]}, api=AUTODESK)

    assert (ref.provider_id, ref.filename, ref.place, ref.owner_id) == ("a-1", "S-201 markup.pdf", "answer", "resp-1")
    assert ref.url == f"{AUTODESK}/oss/v2/buckets/wip.dm.prod/objects/obj-1.pdf/signeds3download"
    assert ref.authenticated and ref.size == len(MARKUP)


def test_a_submittal_attachment_in_apss_shape_is_read_from_its_upload_urn() -> None:
    entry = {"id": "a", "name": "x.pdf", "urn": "urn:adsk.wipprod:fs.file:vf.X?version=1", "uploadUrn": URN}

    [ref] = item_attachments("submittal", {"attachments": [entry]}, api=AUTODESK)

    assert (ref.provider_id, ref.filename, ref.place) == ("a", "x.pdf", "item")
    assert ref.url == f"{AUTODESK}/oss/v2/buckets/wip.dm.prod/objects/obj-1.pdf/signeds3download"
    assert ref.authenticated
