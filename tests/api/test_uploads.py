"""Files for responses: declared, their bytes streamed and checked, attached to a response, shown with its delivery."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any, cast

import pytest
from django.core.files.storage import FileSystemStorage, storages
from django.test import Client, override_settings
from django.utils import timezone

from connector_portal.models import Firm
from projects.models import ItemResponse, ResponseFile, ResponseUpload
from projects.services import push
from projects.services.uploads import uploads_delete_unused
from providers.autodesk import Autodesk
from tests.api.factories import Linked, linked_add

PDF = b"%PDF-1.4\n% a marked-up drawing\n" + b"0" * 5000


@pytest.fixture
def private_storage() -> Path:
    # tests/conftest.py gives each test a folder of its own
    return Path(cast(FileSystemStorage, storages["attachments"]).location)


def declare(api: Client, body: dict[str, Any] | None = None, key: str = "up-1") -> Any:
    body = (
        body
        if body is not None
        else {
            "filename": "S-201 markup.pdf",
            "content_type": "application/pdf",
            "size": len(PDF),
            "sha256": hashlib.sha256(PDF).hexdigest(),
        }
    )
    return api.post(
        "/api/v1/uploads/", json.dumps(body), content_type="application/json", headers={"Idempotency-Key": key}
    )


def put(api: Client, upload: dict[str, Any], content: bytes) -> Any:
    return api.put(upload["upload_url"], content, content_type="application/octet-stream")


def stored_upload(api: Client, key: str = "up-1") -> dict[str, Any]:
    upload = declare(api, key=key).json()
    assert put(api, upload, PDF).status_code == 200
    return upload


@pytest.fixture
def linked(firm: Firm) -> Linked:
    return linked_add(firm)


def test_a_declared_file_takes_its_bytes_and_keeps_them_in_the_private_storage(
    api: Client, private_storage: Path
) -> None:
    declared = declare(api)
    assert declared.status_code == 201, declared.content
    upload = declared.json()
    assert upload["state"] == "awaiting_content"

    stored = put(api, upload, PDF)

    assert stored.status_code == 200, stored.content
    assert stored.json()["state"] == "stored"
    row = ResponseUpload.objects.get(pk=upload["id"])
    with storages["attachments"].open(row.storage_name, "rb") as handle:
        assert handle.read() == PDF
    assert (private_storage / row.storage_name).is_file()


def test_a_put_again_stores_nothing_new_and_says_it_was_a_replay(api: Client) -> None:
    upload = stored_upload(api)

    again = put(api, upload, PDF)

    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"


def test_the_same_declaration_key_answers_the_same_upload_and_another_body_is_a_409(api: Client) -> None:
    first = declare(api).json()
    again = declare(api)
    other = declare(api, {"filename": "other.pdf", "size": 3, "sha256": "a" * 64})

    assert (again.status_code, again.json()["id"], again["Idempotent-Replayed"]) == (201, first["id"], "true")
    assert other.status_code == 409
    assert ResponseUpload.objects.count() == 1


def test_bytes_with_another_checksum_are_a_400_and_nothing_is_stored(api: Client, private_storage: Path) -> None:
    upload = declare(api).json()

    wrong = put(api, upload, PDF[:-1] + b"1")

    assert wrong.status_code == 400
    assert wrong.json()["code"] == "checksum_mismatch"
    assert "Nothing was stored" in wrong.json()["message"]
    assert ResponseUpload.objects.get(pk=upload["id"]).state == "awaiting_content"
    assert not [p for p in private_storage.rglob("*") if p.is_file()]


@pytest.mark.parametrize("content", [PDF[:-10], PDF + b"extra"], ids=["cut short", "too long"])
def test_bytes_of_another_size_are_a_400_and_nothing_is_stored(api: Client, content: bytes) -> None:
    upload = declare(api).json()

    wrong = put(api, upload, content)

    assert (wrong.status_code, wrong.json()["code"]) == (400, "size_mismatch")
    assert ResponseUpload.objects.get(pk=upload["id"]).state == "awaiting_content"


@pytest.mark.parametrize(
    ("filename", "words"),
    [
        ("../etc/passwd", "path separator"),
        ("drawings\\S-201.pdf", "path separator"),
        ("S-201\x07.pdf", "control characters"),
        ("x" * 296 + ".pdf", "300 characters"),
    ],
    ids=["slash", "backslash", "control character", "300 characters"],
)
def test_a_filename_that_is_a_path_has_control_characters_or_300_characters_is_a_400(
    api: Client, filename: str, words: str
) -> None:
    answer = declare(api, {"filename": filename, "size": 10, "sha256": "a" * 64})

    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "invalid_filename"
    assert words.split()[0] in answer.json()["message"]
    assert ResponseUpload.objects.count() == 0


def test_a_file_over_the_limit_is_refused_when_declared(api: Client) -> None:
    with override_settings(RESPONSE_UPLOAD_MAX_BYTES=1000):
        answer = declare(api, {"filename": "big.pdf", "size": 1001, "sha256": "a" * 64})

    assert (answer.status_code, answer.json()["code"]) == (400, "file_too_large")
    assert answer.json()["details"]["max_size"] == 1000


def test_a_response_carries_stored_uploads_and_its_delivery_shows_each_files_state(api: Client, linked: Linked) -> None:
    upload = stored_upload(api)

    recorded = api.post(
        f"/api/v1/items/{linked.item.pk}/responses/",
        json.dumps({"keyword": "Approved as Noted", "comment": "See markups.", "attachments": [upload["id"]]}),
        content_type="application/json",
        headers={"Idempotency-Key": "r-1"},
    )

    assert recorded.status_code == 201, recorded.content
    assert recorded.json()["attachments"] == [upload["id"]]
    delivery = api.get(recorded.json()["url"]).json()
    assert [(f["filename"], f["state"]) for f in delivery["files"]] == [("S-201 markup.pdf", "pending")]


def test_a_response_naming_an_upload_without_content_is_refused_and_nothing_is_recorded(
    api: Client, linked: Linked
) -> None:
    upload = declare(api).json()
    before = ItemResponse.objects.count()

    recorded = api.post(
        f"/api/v1/items/{linked.item.pk}/responses/",
        json.dumps({"keyword": "Approved", "attachments": [upload["id"]]}),
        content_type="application/json",
        headers={"Idempotency-Key": "r-1"},
    )

    assert (recorded.status_code, recorded.json()["code"]) == (422, "upload_not_stored")
    assert ItemResponse.objects.count() == before


def test_an_upload_the_clean_up_deletes_while_its_response_is_recorded_is_a_400_that_says_to_upload_again(
    api: Client, linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload = stored_upload(api)
    before = ItemResponse.objects.count()
    checked = push.uploads_for_response

    def checked_then_cleaned_up(**kw: Any) -> list[ResponseUpload]:
        found = checked(**kw)  # the upload is there when the response is checked...
        uploads_delete_unused(now=timezone.now() + dt.timedelta(days=2))  # ...and the hourly clean-up runs now
        return found

    monkeypatch.setattr(push, "uploads_for_response", checked_then_cleaned_up)

    recorded = api.post(
        f"/api/v1/items/{linked.item.pk}/responses/",
        json.dumps({"keyword": "Approved", "attachments": [upload["id"]]}),
        content_type="application/json",
        headers={"Idempotency-Key": "r-late"},
    )

    assert (recorded.status_code, recorded.json()["code"]) == (400, "upload_gone")
    assert recorded.json()["message"].startswith(f"Upload {upload['id']} (S-201 markup.pdf) is gone")
    assert "within 24 hours" in recorded.json()["message"] and "Upload the file again" in recorded.json()["message"]
    assert recorded.json()["details"] == {"upload_id": upload["id"]}
    assert ItemResponse.objects.count() == before and not ResponseFile.objects.exists()


def test_another_firms_upload_is_a_404_and_cannot_be_attached(api: Client, other_api: Client, linked: Linked) -> None:
    upload = stored_upload(api)

    assert other_api.get(upload["url"]).status_code == 404
    assert put(other_api, upload, PDF).status_code == 404
    other_linked = linked_add(Firm.objects.exclude(pk=linked.link.firm_id).get())
    attached = other_api.post(
        f"/api/v1/items/{other_linked.item.pk}/responses/",
        json.dumps({"keyword": "Approved", "attachments": [upload["id"]]}),
        content_type="application/json",
        headers={"Idempotency-Key": "r-x"},
    )
    assert (attached.status_code, attached.json()["code"]) == (400, "unknown_upload")
    assert not ResponseFile.objects.exists()


def test_a_response_with_files_for_a_provider_that_takes_none_is_refused_and_nothing_is_recorded(
    api: Client, linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every provider takes files today: a module that takes none is stood in for by switching Autodesk's off.
    monkeypatch.setattr(Autodesk, "supports_response_files", False)
    upload = stored_upload(api)
    type(linked.link).objects.filter(pk=linked.link.pk).update(provider="autodesk")
    before = ItemResponse.objects.count()

    recorded = api.post(
        f"/api/v1/items/{linked.item.pk}/responses/",
        json.dumps({"keyword": "Approved", "attachments": [upload["id"]]}),
        content_type="application/json",
        headers={"Idempotency-Key": "r-1"},
    )

    assert (recorded.status_code, recorded.json()["code"]) == (422, "files_not_supported")
    assert "Autodesk" in recorded.json()["message"]
    assert ItemResponse.objects.count() == before


def test_a_response_with_files_for_an_autodesk_item_is_recorded_with_its_files(api: Client, linked: Linked) -> None:
    upload = stored_upload(api)
    type(linked.link).objects.filter(pk=linked.link.pk).update(provider="autodesk")

    recorded = api.post(
        f"/api/v1/items/{linked.item.pk}/responses/",
        json.dumps({"keyword": "Approved", "attachments": [upload["id"]]}),
        content_type="application/json",
        headers={"Idempotency-Key": "r-adsk"},
    )

    assert recorded.status_code in (201, 202), recorded.json()
    assert [f.upload_id for f in ResponseFile.objects.filter(response_id=recorded.json()["id"])] == [upload["id"]]


def test_support_sees_each_file_of_a_response_and_its_state_in_admin(api: Client, linked: Linked) -> None:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from connector_portal.models import User

    upload = stored_upload(api)
    recorded = api.post(
        f"/api/v1/items/{linked.item.pk}/responses/",
        json.dumps({"keyword": "Approved", "attachments": [upload["id"]]}),
        content_type="application/json",
        headers={"Idempotency-Key": "r-admin"},
    ).json()
    staff = User.objects.create_user(
        email="support@example.com", password="a-long-password", is_staff=True, is_superuser=True
    )
    TOTP.activate(staff, generate_totp_secret())
    support = Client()
    support.force_login(staff)

    page = support.get(f"/admin/projects/itemresponse/{recorded['id']}/change/")

    assert page.status_code == 200
    assert "S-201 markup.pdf" in page.content.decode() and "Waiting to be sent" in page.content.decode()
