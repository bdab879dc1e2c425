"""A project's keyword lists: read both, upload one (it replaces the list) and get the check back."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from connector_portal.models import AuditEvent, Firm, ProjectCenterProject
from mappings.models import KeywordList

LISTS = "/api/v1/projects/PC-1/keyword-lists/"


@pytest.fixture
def project(firm: Firm) -> ProjectCenterProject:
    return ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-1", name="Library")


def upload(api: Client, kind: str, entries: list[dict[str, Any]]) -> Any:
    return api.put(f"{LISTS}{kind}/", json.dumps({"entries": entries}), content_type="application/json")


def test_a_new_project_has_neither_list_and_both_kinds_are_held(api: Client, project: ProjectCenterProject) -> None:
    body = api.get(LISTS).json()

    assert [(li["kind"], li["received"], li["entries"]) for li in body["lists"]] == [
        ("submittal_action", False, []),
        ("rfi_action", False, []),
    ]
    assert body["check"]["ok"] is False
    assert {held["kind"] for held in body["check"]["held_kinds"]} == {"submittal", "rfi"}
    assert body["response_keywords"][:2] == ["No Action Taken", "Approved"]  # Project Center's defaults


def test_uploading_a_list_replaces_it_and_answers_what_is_still_missing(
    api: Client, project: ProjectCenterProject, token: str
) -> None:
    upload(api, "submittal_action", [{"name": "Old", "type": "Receive"}])

    response = upload(
        api,
        "submittal_action",
        [{"name": "For Review", "type": "Receive"}, {"name": "Approved", "type": "Record a Response"}],
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert [e["name"] for e in body["list"]["entries"]] == ["For Review", "Approved"]
    assert body["list"]["source"] == "project_center"
    [problem] = body["check"]["problems"]
    assert (problem["list_kind"], problem["keyword"], problem["type"]) == (
        "rfi_action",
        "Request for Information",
        "Receive",
    )
    assert "Add the keyword “Request for Information” with type “Receive”" in problem["message"]
    assert [held["kind"] for held in body["check"]["held_kinds"]] == ["rfi"]
    event = AuditEvent.objects.filter(action="keyword_list.replace").latest("id")
    assert event.actor_token is not None and event.actor_token.prefix in token


def test_a_keyword_of_the_wrong_type_is_named_in_the_check(api: Client, project: ProjectCenterProject) -> None:
    response = upload(api, "rfi_action", [{"name": "Request for Information", "type": "Send"}])

    [problem] = [p for p in response.json()["check"]["problems"] if p["list_kind"] == "rfi_action"]
    assert "with type “Send”, not “Receive”" in problem["message"]


def test_once_both_lists_have_their_keywords_nothing_is_held(api: Client, project: ProjectCenterProject) -> None:
    upload(api, "submittal_action", [{"name": "for review", "type": "receive"}])
    body = upload(api, "rfi_action", [{"name": "Request for Information", "type": "Receive"}]).json()

    assert body["check"] == {"ok": True, "problems": [], "held_kinds": []}
    assert api.get(f"{LISTS}rfi_action/").json()["entries"] == [{"name": "Request for Information", "type": "Receive"}]


def test_uploading_the_same_list_again_changes_nothing(api: Client, project: ProjectCenterProject) -> None:
    entries = [{"name": "For Review", "type": "Receive"}]
    upload(api, "submittal_action", entries)
    events = AuditEvent.objects.count()

    again = upload(api, "submittal_action", entries)

    assert again.status_code == 200
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    "entries",
    [
        [{"name": "", "type": "Receive"}],
        [{"name": "For Review"}],
        [{"name": "For Review", "type": "Receive", "colour": "red"}],
        [{"name": "x" * 256, "type": "Receive"}],
        [{"name": 5, "type": "Receive"}],
        "For Review",
    ],
)
def test_a_malformed_upload_is_a_400_and_keeps_the_old_list(
    api: Client, project: ProjectCenterProject, entries: Any
) -> None:
    upload(api, "submittal_action", [{"name": "For Review", "type": "Receive"}])

    response = upload(api, "submittal_action", entries)

    assert response.status_code == 400
    assert KeywordList.objects.get(project=project, kind="submittal_action").entries.count() == 1


def test_an_unknown_list_kind_is_not_found(api: Client, project: ProjectCenterProject) -> None:
    assert upload(api, "close_action", [{"name": "Closed", "type": "Close"}]).status_code == 404
    assert api.get(f"{LISTS}close_action/").status_code == 404
