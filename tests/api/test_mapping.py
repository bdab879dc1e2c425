"""The connection's mapping table in the API: read with flags, replace validated and audited, provider problems."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from connector_portal.models import AuditEvent, Firm, ProjectCenterProject
from mappings.models import MappingRow
from projects.connect import wiring
from providers.errors import NotFound, Retryable
from providers.types import ResponseOption
from tests.api.factories import OPTIONS, Linked, full_mapping, linked_add

MAPPING = "/api/v1/projects/PC-1/connection/mapping/"


@pytest.fixture
def linked(firm: Firm) -> Linked:
    return linked_add(firm, "PC-1")


def replace(api: Client, rows: list[dict[str, str]]) -> Any:
    return api.put(MAPPING, json.dumps({"rows": rows}), content_type="application/json")


def offer(monkeypatch: pytest.MonkeyPatch, answer: list[ResponseOption] | Exception) -> None:
    def live_options(link: object, *, fresh: bool = False) -> list[ResponseOption]:
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(wiring, "live_options", live_options)


def test_it_reads_every_keyword_with_its_provider_response_checked(api: Client, linked: Linked) -> None:
    body = api.get(MAPPING).json()

    assert body["checked"] is True and body["ok"] is True
    approved = next(row for row in body["rows"] if row["keyword"] == "Approved as Noted")
    assert approved == {
        "keyword": "Approved as Noted",
        "response_id": "12",
        "response_name": "Approved as Noted",
        "standard": "approved as noted",
        "status": "ok",
        "flagged": False,
        "sendable": True,
        "message": "",
        "current_response": {"id": "12", "name": "Approved as Noted", "standard": "approved as noted"},
    }
    assert [o["id"] for o in body["provider_responses"]] == [o.id for o in OPTIONS]


def test_a_renamed_or_withdrawn_provider_response_is_flagged(
    api: Client, linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    renamed = [ResponseOption(id="14", name="Not Approved", standard="rejected")]
    offer(monkeypatch, [o for o in OPTIONS if o.standard not in ("rejected", "for record only")] + renamed)

    rows = {row["keyword"]: row for row in api.get(MAPPING).json()["rows"]}

    assert rows["Rejected"]["status"] == "renamed" and rows["Rejected"]["sendable"] is True
    assert "“Not Approved”" in rows["Rejected"]["message"]
    assert rows["No Action Taken"]["status"] == "missing" and rows["No Action Taken"]["sendable"] is False
    assert rows["No Action Taken"]["current_response"] is None


def test_when_the_provider_cannot_be_asked_the_saved_rows_are_shown_unchecked(
    api: Client, linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    offer(monkeypatch, Retryable("Procore is not answering right now. Try again in a minute.", retry_after=60))

    response = api.get(MAPPING)

    assert response.status_code == 200
    body = response.json()
    assert body["checked"] is False and body["ok"] is False
    assert body["check_message"].startswith("Procore is not answering")
    assert {row["status"] for row in body["rows"]} == {"unchecked"}
    assert len(body["rows"]) == 6 and body["provider_responses"] == []


def test_replacing_saves_the_rows_and_is_audited_with_the_token(api: Client, linked: Linked, token: str) -> None:
    rows = full_mapping()
    rows[0]["response_id"] = "11"  # No Action Taken -> Approved

    response = replace(api, rows)

    assert response.status_code == 200, response.content
    saved = MappingRow.objects.get(table=linked.table, keyword="No Action Taken")
    assert (saved.response_id, saved.standard) == ("11", "approved")
    assert response.json()["rows"][0]["response_id"] == "11"
    event = AuditEvent.objects.get(action="mapping_table.replace")
    assert event.actor_token is not None and event.actor_token.prefix in token
    assert event.before is not None and event.after is not None
    assert event.before["rows"][0]["standard"] == "for record only" and event.after["rows"][0]["standard"] == "approved"


def test_an_invalid_mapping_is_a_422_per_keyword_and_nothing_is_saved(api: Client, linked: Linked) -> None:
    rows = [row for row in full_mapping() if row["keyword"] != "Rejected"]
    rows[0]["response_id"] = "99"
    rows.append({"keyword": "Maybe", "response_id": "11"})

    response = replace(api, rows)

    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "invalid_mapping"
    assert set(error["details"]["keywords"]) == {"No Action Taken", "Rejected", "Maybe"}
    assert "not offered by Procore" in error["details"]["keywords"]["No Action Taken"][0]
    assert [o["id"] for o in error["details"]["provider_responses"]] == [o.id for o in OPTIONS]
    assert MappingRow.objects.get(table=linked.table, keyword="No Action Taken").response_id == "15"
    assert not AuditEvent.objects.filter(action="mapping_table.replace").exists()


@pytest.mark.parametrize(
    "body",
    [
        {"rows": [{"keyword": "Approved", "response_id": "11"}, {"keyword": "approved", "response_id": "12"}]},
        {"rows": [{"keyword": "Approved", "response_id": 11}]},
        {"rows": [{"keyword": "Approved"}]},
        {"rows": {"Approved": "11"}},
        {"choices": {"Approved": "11"}},
    ],
)
def test_a_malformed_mapping_is_a_400(api: Client, linked: Linked, body: dict[str, Any]) -> None:
    response = api.put(MAPPING, json.dumps(body), content_type="application/json")

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (
            Retryable("Procore is not answering right now. Try again in a minute.", retry_after=90),
            503,
            "provider_unavailable",
        ),
        (NotFound.for_provider("Procore", "project"), 502, "provider_error"),
    ],
)
def test_a_provider_problem_while_replacing_is_a_502_or_503_in_words(
    api: Client, linked: Linked, monkeypatch: pytest.MonkeyPatch, error: Exception, status: int, code: str
) -> None:
    offer(monkeypatch, error)

    response = replace(api, full_mapping())

    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["message"] == str(error)
    if status == 503:
        assert response["Retry-After"] == "90"


def test_a_project_without_a_connection_has_no_mapping(firm: Firm, api: Client) -> None:
    ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-1", name="Unconnected")

    response = api.get(MAPPING)

    assert response.status_code == 404 and response.json()["code"] == "not_connected"
