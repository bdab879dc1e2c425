"""Every error leaves in one shape, and no input makes the API fail with a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from connector_portal.models import Firm, ProjectCenterProject
from projects.api.projects import ProjectViewSet

PROJECTS = "/api/v1/projects/"


def send(client: Client, method: str, url: str, raw: str) -> Any:
    return client.generic(method, url, data=raw, content_type="application/json")


def assert_error_shape(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    return body


def test_unknown_fields_are_refused_and_listed(api: Client) -> None:
    raw = json.dumps({"pc_project_id": "PC-1", "name": "x", "colour": "red", "nmae": "typo"})

    body = assert_error_shape(send(api, "POST", PROJECTS, raw), 400, "unknown_fields")

    assert set(body["details"]) == {"colour", "nmae"}
    assert "colour" in body["message"] and "nmae" in body["message"]
    assert not ProjectCenterProject.objects.exists()


def test_read_only_fields_are_refused_too(api: Client) -> None:
    raw = json.dumps({"pc_project_id": "PC-1", "name": "x", "created_at": "2020-01-01T00:00:00Z"})

    body = assert_error_shape(send(api, "POST", PROJECTS, raw), 400, "unknown_fields")

    assert "Read-only" in body["details"]["created_at"][0]


@pytest.mark.parametrize(
    "raw",
    [
        '{"pc_project_id": 5, "name": ["not", "a", "string"]}',
        '{"pc_project_id": "PC-1", "name": {"a": 1}}',
        '{"pc_project_id": "PC-1", "name": "x", "number": 17}',
        '{"pc_project_id": "PC-1", "name": true}',
        '{"pc_project_id": null, "name": null}',
        '{"pc_project_id": "PC/1", "name": "slash in the id"}',
        '{"pc_project_id": "..", "name": "dots"}',
        '{"pc_project_id": "   ", "name": "blank"}',
        "[]",
        '"a string"',
        "12",
        "null",
    ],
)
def test_wrong_types_answer_400(api: Client, raw: str) -> None:
    assert_error_shape(send(api, "POST", PROJECTS, raw), 400, "invalid")


def test_a_body_that_is_not_json_answers_400(api: Client) -> None:
    body = assert_error_shape(send(api, "POST", PROJECTS, '{"name": '), 400, "parse_error")

    assert "JSON" in body["message"]


def test_a_non_json_content_type_answers_415(api: Client) -> None:
    response = api.post(PROJECTS, data="name=x", content_type="application/x-www-form-urlencoded")

    assert_error_shape(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "body",
    [
        {"pc_project_id": "PC-1", "name": "nul\x00byte"},
        {"pc_project_id": "PC\x00-1", "name": "x"},
        {"pc_project_id": "PC-1", "name": "x", "number": "\ud800"},
        {"pc_project_id": "PC-1", "name": "x", "nested\x00key": "y"},
    ],
)
def test_nul_bytes_and_broken_unicode_are_refused_cleanly(api: Client, body: dict[str, str]) -> None:
    assert_error_shape(send(api, "POST", PROJECTS, json.dumps(body)), 400, "invalid_text")
    assert not ProjectCenterProject.objects.exists()


def test_nul_bytes_in_the_url_answer_404(api: Client) -> None:
    for method in ("GET", "DELETE", "PATCH"):
        assert_error_shape(send(api, method, f"{PROJECTS}PC%00-1/", "{}"), 404, "not_found")


def test_huge_strings_are_refused_with_the_limit(api: Client) -> None:
    raw = json.dumps({"pc_project_id": "P" * 101, "name": "n" * 100_000})

    body = assert_error_shape(send(api, "POST", PROJECTS, raw), 400, "invalid")

    assert set(body["details"]) == {"pc_project_id", "name"}
    assert "255" in body["details"]["name"][0]


def test_a_huge_id_in_the_url_answers_404_or_400(api: Client) -> None:
    assert_error_shape(api.get(f"{PROJECTS}{'x' * 5000}/"), 404, "not_found")
    assert_error_shape(send(api, "PUT", f"{PROJECTS}{'x' * 101}/", '{"name": "x"}'), 400, "invalid")


def test_an_unknown_address_under_api_answers_404_in_the_api_shape(api: Client) -> None:
    body = assert_error_shape(api.get("/api/v1/nothing-here/"), 404, "not_found")
    assert "/api/docs/" in body["message"]
    no_slash = assert_error_shape(api.get("/api/v1/projects"), 404, "not_found")
    assert "slash" in no_slash["message"]


def test_a_method_the_route_does_not_have_answers_405(api: Client) -> None:
    assert_error_shape(api.delete(PROJECTS), 405, "method_not_allowed")


def test_a_missing_and_another_firms_project_answer_the_same(api: Client, other_firm: Firm) -> None:
    ProjectCenterProject.objects.create(firm=other_firm, pc_project_id="PC-theirs", name="Theirs")

    theirs = api.get(f"{PROJECTS}PC-theirs/")
    missing = api.get(f"{PROJECTS}PC-nobody/")

    assert_error_shape(theirs, 404, "not_found")
    assert theirs.json() == missing.json()


def test_an_unexpected_failure_answers_500_in_the_api_shape(api: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(ProjectViewSet, "list", explode)

    body = assert_error_shape(api.get(PROJECTS), 500, "server_error")

    assert "boom" not in body["message"]


def test_a_body_over_the_upload_limit_answers_413(api: Client, settings: object) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000  # type: ignore[attr-defined]

    body = assert_error_shape(send(api, "POST", PROJECTS, json.dumps({"name": "x" * 2000})), 413, "too_large")

    assert "1000 bytes" in body["message"]


@pytest.mark.parametrize("raw", ['{"a":' * 1000 + "1" + "}" * 1000, "[" * 1000 + "]" * 1000])
def test_json_nested_too_deeply_answers_400(api: Client, raw: str) -> None:
    response = api.post("/api/v1/projects/", raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
