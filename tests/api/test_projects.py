"""Project Center projects through the API: create, upsert, list, change, delete, each audited with the token."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from connector_portal.models import AuditEvent, Firm, ProjectCenterProject

PROJECTS = "/api/v1/projects/"


def send(client: Client, method: str, url: str, body: Any) -> Any:
    return client.generic(method, url, data=json.dumps(body), content_type="application/json")


def test_it_creates_a_project_and_records_the_token_as_actor(api: Client, firm: Firm, token: str) -> None:
    response = send(api, "POST", PROJECTS, {"pc_project_id": "PC-1", "name": "Riverside Library", "number": "17"})

    assert response.status_code == 201
    assert response.json()["pc_project_id"] == "PC-1"
    project = ProjectCenterProject.objects.get(firm=firm, pc_project_id="PC-1")
    event = AuditEvent.objects.get(action="project.create")
    assert event.firm == firm
    assert event.actor_token is not None and token.startswith(f"ncp_{event.actor_token.prefix}_")
    assert event.actor_user is None
    assert event.target_id == str(project.pk)
    assert event.ip_address == "127.0.0.1"


def test_creating_an_existing_project_answers_409(api: Client) -> None:
    send(api, "POST", PROJECTS, {"pc_project_id": "PC-1", "name": "First"})

    response = send(api, "POST", PROJECTS, {"pc_project_id": "PC-1", "name": "Second"})

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "PUT" in response.json()["message"]


def test_put_creates_then_updates_and_repeating_it_changes_nothing(api: Client, firm: Firm) -> None:
    url = f"{PROJECTS}PC-7/"
    created = send(api, "PUT", url, {"name": "Harbour Bridge", "number": "7"})
    updated = send(api, "PUT", url, {"name": "Harbour Bridge West", "number": "7"})
    repeated = send(api, "PUT", url, {"name": "Harbour Bridge West", "number": "7"})

    assert (created.status_code, updated.status_code, repeated.status_code) == (201, 200, 200)
    assert repeated.json() == updated.json()
    assert ProjectCenterProject.objects.filter(firm=firm, pc_project_id="PC-7").count() == 1
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["service_token.create", "project.create", "project.update"]


def test_put_refuses_an_id_in_the_body_because_the_url_names_the_project(api: Client) -> None:
    response = send(api, "PUT", f"{PROJECTS}PC-7/", {"pc_project_id": "PC-8", "name": "x"})

    assert response.status_code == 400
    assert list(response.json()["details"]) == ["pc_project_id"]


def test_ids_with_dots_and_spaces_are_addressable(api: Client) -> None:
    created = send(api, "PUT", f"{PROJECTS}PC.2024 017/", {"name": "Dotted"})

    assert created.status_code == 201
    assert api.get(f"{PROJECTS}PC.2024%20017/").json()["name"] == "Dotted"


def test_patch_changes_only_the_fields_sent(api: Client, firm: Firm) -> None:
    ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-1", name="Old", number="1")

    response = send(api, "PATCH", f"{PROJECTS}PC-1/", {"name": "New"})

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["number"]) == ("New", "1")


def test_a_deleted_project_is_gone_and_deleting_again_is_404(api: Client, firm: Firm) -> None:
    ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-1", name="Doomed")

    first = api.delete(f"{PROJECTS}PC-1/")
    again = api.delete(f"{PROJECTS}PC-1/")
    read = api.get(f"{PROJECTS}PC-1/")
    patch = send(api, "PATCH", f"{PROJECTS}PC-1/", {"name": "Back"})

    assert (first.status_code, again.status_code, read.status_code, patch.status_code) == (204, 404, 404, 404)
    event = AuditEvent.objects.get(action="project.delete")
    assert event.before is not None
    assert event.before["name"] == "Doomed" and event.after is None


def test_the_list_pages_through_every_project_once_even_while_new_ones_arrive(api: Client, firm: Firm) -> None:
    for n in range(5):
        ProjectCenterProject.objects.create(firm=firm, pc_project_id=f"PC-{n}", name=f"Project {n}")
    seen: list[str] = []

    page = api.get(PROJECTS, {"page_size": 2}).json()
    seen += [p["pc_project_id"] for p in page["results"]]
    ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-late", name="Arrived while paging")
    while page["next"]:
        page = api.get(page["next"]).json()
        seen += [p["pc_project_id"] for p in page["results"]]

    assert seen == ["PC-0", "PC-1", "PC-2", "PC-3", "PC-4", "PC-late"]


def test_a_bad_cursor_answers_400_not_500(api: Client) -> None:
    for cursor in ["not-base64!", "cD1hYmM=", "\x00", "cD0xOTk5OTk5OTk5OTk5OTk5OTk5OTk5", "ü"]:  # p=abc, huge p
        response = api.get(PROJECTS, {"cursor": cursor})

        assert response.status_code == 400, cursor
        assert response.json()["code"] == "invalid_cursor"
