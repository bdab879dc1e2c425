"""Procore's upload flow with mocked HTTP: each file is declared in the project, POSTed to the storage URL with exactly
the fields Procore gave (the file last, streamed), and its uuid goes in `upload_ids`; a retry reuses what Procore holds
and does not attach twice. Every Procore request is checked against its published operations (tests/conftest.py)."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import pytest
import requests
import responses

from providers.errors import Retryable
from providers.models import ProviderAccount
from providers.registry import get_provider
from providers.uploads import STARTED, UPLOADED, OutgoingFile
from tests.providers.conftest import PROCORE, sent_body
from tests.providers.test_sync_procore import APPROVER, COMPANY, ME, PROJECT, RFIS, SUBMITTALS, rfi, submittal

UPLOADS = f"{PROCORE}/rest/v1.0/projects/{PROJECT}/uploads"
STORAGE = "https://procore-uploads.s3.example.com/"
FIELDS = {"key": "uploads/01H", "policy": "eyJ9", "x-amz-signature": "abc", "success_action_status": "201"}
MARKUP = b"%PDF-1.4 markup " * 1000


@pytest.fixture
def account(make_account: Callable[..., ProviderAccount]) -> ProviderAccount:
    return make_account("procore", provider_user_id=ME)


def markup(**fields: Any) -> tuple[OutgoingFile, list[OutgoingFile]]:
    noted: list[OutgoingFile] = []
    file = OutgoingFile(
        filename='S-201 "markup".pdf',
        content_type="application/pdf",
        size=len(MARKUP),
        sha256=hashlib.sha256(MARKUP).hexdigest(),
        opener=lambda: io.BytesIO(MARKUP),
        recorder=lambda f: noted.append(OutgoingFile(**{**f.__dict__})),
        **fields,
    )
    return file, noted


def post(account: ProviderAccount, file: OutgoingFile, kind: str = "submittal", item_id: str = "1001") -> None:
    get_provider("procore").post_response(
        account=account,
        company_id=COMPANY,
        project_id=PROJECT,
        kind=kind,  # type: ignore[arg-type]
        item_id=item_id,
        receiving_user_id=ME,
        option_id="2",
        comment="See markups.",
        files=[file],
    )


def my_step(mocked: responses.RequestsMock, **fields: Any) -> None:
    mocked.get(f"{SUBMITTALS}/1001", json=submittal(1, approvers=[{"id": 802, "user": {"id": int(ME)}, **fields}]))


def storage_parts(request: requests.PreparedRequest) -> list[tuple[Any, str | None, Any]]:
    streamed: Any = request.body  # a streamed body (providers.uploads.StreamBody) is read as requests would
    body = streamed.read() if hasattr(streamed, "read") else sent_body(request)
    assert isinstance(body, bytes)
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    return [
        (p.get_param("name", header="content-disposition"), p.get_filename(), p.get_payload(decode=True))
        for p in message.iter_parts()
    ]


def test_a_file_is_declared_posted_with_its_fields_and_attached_by_its_uuid(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    my_step(mocked, returned_date=None)
    mocked.post(UPLOADS, json={"uuid": "01H", "url": STORAGE, "fields": FIELDS}, status=201)
    mocked.post(STORAGE, status=201)
    mocked.patch(APPROVER, json=[{"id": 802}])
    file, noted = markup()

    post(account, file)

    declared = json.loads(sent_body(mocked.calls[1].request))
    assert declared == {
        "response_filename": 'S-201 "markup".pdf',
        "response_content_type": "application/pdf",
        "attachment_content_disposition": True,
        "size": len(MARKUP),
        "segments": [{"size": len(MARKUP), "sha256": hashlib.sha256(MARKUP).hexdigest()}],
    }
    stored = mocked.calls[2].request
    assert "Authorization" not in stored.headers  # the storage service, not Procore's API: no bearer token
    assert stored.headers["Content-Length"] == str(len(stored.body))  # type: ignore[arg-type]
    parts = storage_parts(stored)
    assert [(name, payload.decode()) for name, _, payload in parts[:-1]] == list(FIELDS.items())
    assert parts[-1] == ("file", 'S-201 "markup".pdf', MARKUP)
    assert json.loads(sent_body(mocked.calls[3].request))["submittal_approver"]["upload_ids"] == ["01H"]
    assert [(n.state, n.provider_file_id) for n in noted] == [(STARTED, "01H"), (UPLOADED, "01H")]


def test_a_file_procore_already_holds_is_attached_without_uploading_it_again(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    my_step(mocked, returned_date=None)
    mocked.patch(APPROVER, json=[{"id": 802}])
    file, _ = markup(state=UPLOADED, provider_file_id="01H")

    post(account, file)

    assert [c.request.method for c in mocked.calls] == ["GET", "PATCH"]
    assert json.loads(sent_body(mocked.calls[1].request))["submittal_approver"]["upload_ids"] == ["01H"]


def test_a_step_already_holding_the_response_and_the_file_is_not_patched_again(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    my_step(
        mocked,
        returned_date="2026-03-02",
        response={"id": 2},
        attachments=[{"id": 9, "name": 'S-201 "markup".pdf'}],
    )
    file, _ = markup(state=UPLOADED, provider_file_id="01H")

    post(account, file)

    assert [c.request.method for c in mocked.calls] == ["GET"]


def test_a_refused_storage_post_is_retried_later_as_a_new_upload(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    my_step(mocked, returned_date=None)
    mocked.post(UPLOADS, json={"uuid": "01H", "url": STORAGE, "fields": FIELDS}, status=201)
    mocked.post(STORAGE, status=403, body="<Error><Code>AccessDenied</Code></Error>")
    file, noted = markup()

    with pytest.raises(Retryable) as refused:
        post(account, file)

    assert "tries it again later" in refused.value.message
    assert [n.state for n in noted] == [STARTED]  # the next attempt begins a new upload: not reusable
    assert not file.reusable


def test_an_rfi_reply_carries_the_upload_ids(mocked: responses.RequestsMock, account: ProviderAccount) -> None:
    mocked.get(f"{RFIS}/2001", json=rfi(1, questions=[]))
    mocked.post(UPLOADS, json={"uuid": "01J", "url": STORAGE, "fields": FIELDS}, status=201)
    mocked.post(STORAGE, status=201)
    mocked.post(f"{RFIS}/2001/replies", json={"id": 1}, status=201)
    file, _ = markup()

    post(account, file, kind="rfi", item_id="2001")

    reply = json.loads(sent_body(mocked.calls[-1].request))["reply"]
    assert reply == {"body": "See markups.", "upload_ids": ["01J"], "official": True}
