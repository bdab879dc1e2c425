"""`PUT /api/v1/projects/{id}/contacts/`: Project Center tells the portal its project team; the whole list each time."""

from __future__ import annotations

import json

from django.test import Client

from connector_portal.models import AuditEvent, Firm, ProjectCenterProject
from projects.models import ProjectContact

URL = "/api/v1/projects/PC-9/contacts/"


def put(api: Client, contacts: list[dict[str, str]]) -> object:
    return api.put(URL, json.dumps({"contacts": contacts}), content_type="application/json")


def test_the_team_is_replaced_as_sent_with_emails_kept_in_lower_case(api: Client, firm: Firm) -> None:
    ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-9", name="Nine")
    put(api, [{"email": "Old@Acme.example.com", "name": "Old"}, {"email": "rita@acme.example.com"}])

    answer = put(api, [{"email": "Rita@Acme.example.com", "name": "Rita R.", "pc_contact_id": "C-1"}])

    assert answer.status_code == 200  # type: ignore[attr-defined]
    assert answer.json() == {  # type: ignore[attr-defined]
        "contacts": [{"email": "rita@acme.example.com", "name": "Rita R.", "pc_contact_id": "C-1"}]
    }
    assert list(ProjectContact.objects.values_list("email", flat=True)) == ["rita@acme.example.com"]
    assert api.get(URL).json()["contacts"][0]["name"] == "Rita R."
    assert AuditEvent.objects.filter(action="project.contacts").count() == 2


def test_an_address_sent_twice_is_refused_and_nothing_changes(api: Client, firm: Firm) -> None:
    ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-9", name="Nine")

    answer = put(api, [{"email": "a@acme.example.com"}, {"email": "A@acme.example.com"}])

    assert answer.status_code == 400  # type: ignore[attr-defined]
    assert "a@acme.example.com appear twice" in answer.content.decode()  # type: ignore[attr-defined]
    assert not ProjectContact.objects.exists()


def test_another_firms_project_is_not_found(other_api: Client, firm: Firm) -> None:
    ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-9", name="Nine")

    assert put(other_api, [{"email": "x@evil.example.com"}]).status_code == 404  # type: ignore[attr-defined]
    assert not ProjectContact.objects.exists()
