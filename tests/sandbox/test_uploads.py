"""The sandbox's upload flows are strict: what Procore's reference and ConstructEx's assumed contract do not take, the
sandbox refuses in the provider's words, so a portal bug shows in the suite instead of at a customer's."""

from __future__ import annotations

import hashlib
from typing import Any

import requests

from sandbox.testing import RunningSandbox

from .conftest import RIVERSIDE, TIMEOUT, Api

CONTENT = b"%PDF-1.4 a sketch"
SHA = hashlib.sha256(CONTENT).hexdigest()


def declare(procore: Api, **body: Any) -> requests.Response:
    base = {
        "response_filename": "sketch.pdf",
        "size": len(CONTENT),
        "segments": [{"size": len(CONTENT), "sha256": SHA}],
    }
    return procore.post(f"/rest/v1.0/projects/{RIVERSIDE}/uploads", json={**base, **body})


def store(instructions: dict[str, Any], content: bytes = CONTENT, **fields: str) -> requests.Response:
    data = {**instructions["fields"], **fields}
    return requests.post(instructions["url"], data=data, files={"file": ("sketch.pdf", content)}, timeout=TIMEOUT)


def test_a_declared_upload_takes_its_file_with_the_fields_it_was_given(procore: Api) -> None:
    declared = declare(procore)
    assert declared.status_code == 201, declared.text
    instructions = declared.json()
    assert set(instructions) == {"uuid", "url", "fields"}

    assert store(instructions).status_code == 201


def test_a_declaration_with_an_undocumented_key_or_a_wrong_segment_is_a_400(procore: Api) -> None:
    assert declare(procore, name="x").status_code == 400
    assert declare(procore, segments=[{"size": 1, "sha256": SHA}]).status_code == 400
    assert declare(procore, segments=[{"size": len(CONTENT), "sha256": "nothex"}]).status_code == 400
    assert declare(procore, size=0).status_code == 400


def test_the_storage_refuses_changed_fields_another_file_or_an_expired_policy(
    sandbox: RunningSandbox, procore: Api
) -> None:
    instructions = declare(procore).json()

    assert store(instructions, key="uploads/other").status_code == 403
    assert store(instructions, content=CONTENT + b"!").status_code == 400
    assert "BadDigest" in store(instructions, content=CONTENT[:-1] + b"?").text
    sandbox.clock.advance(3601)
    assert "Policy expired" in store(instructions).text


def test_an_upload_whose_file_was_never_stored_cannot_be_attached(procore: Api) -> None:
    instructions = declare(procore).json()
    rfi = RIVERSIDE * 1000 + 500 + 1

    reply = procore.post(
        f"/rest/v1.0/projects/{RIVERSIDE}/rfis/{rfi}/replies",
        json={"reply": {"body": "See sketch.", "upload_ids": [instructions["uuid"]]}},
    )

    assert reply.status_code == 400 and "not complete" in reply.json()["errors"]


def test_a_stored_upload_attaches_to_a_reply_and_shows_on_the_control_page(
    sandbox: RunningSandbox, procore: Api
) -> None:
    instructions = declare(procore).json()
    store(instructions)
    rfi = RIVERSIDE * 1000 + 500 + 1

    reply = procore.post(
        f"/rest/v1.0/projects/{RIVERSIDE}/rfis/{rfi}/replies",
        json={"reply": {"body": "See sketch.", "upload_ids": [instructions["uuid"]]}},
    )

    assert reply.status_code == 201, reply.text
    assert [a["name"] for a in reply.json()["attachments"]] == ["sketch.pdf"]
    page = requests.get(f"{sandbox.base_url}/_control/", timeout=TIMEOUT).text
    assert "Files attached to responses" in page and "sketch.pdf" in page
