from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.test import Client

from connector_portal.models import Firm, ProjectCenterProject, ServiceAccountToken
from connector_portal.services import service_token_authenticate
from mappings.selectors import held_kinds


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_creates_a_usable_demo_and_can_run_twice(db: None, client: Client) -> None:
    first = seed()
    raw = first.split("(shown once, keep it): ")[1].split()[0]
    second = seed()
    assert "already created" in second and raw not in second
    assert Firm.objects.count() == 1
    assert ProjectCenterProject.objects.count() == 3
    assert ServiceAccountToken.objects.count() == 1
    assert service_token_authenticate(raw=raw) is not None
    assert (
        client.post("/accounts/login/", {"login": "demo@example.com", "password": "demo-password"}).status_code == 302
    )
    first_project, second_project, third_project = ProjectCenterProject.objects.order_by("pc_project_id")
    assert held_kinds(project=first_project) == {} and held_kinds(project=third_project) == {}
    assert set(held_kinds(project=second_project)) == {"submittal", "rfi"}
    # The sandbox's reviewer is on the team of the projects the walk connects as them, once however often it runs.
    assert [c.email for c in first_project.contacts.all()] == ["reviewer@sandbox.test"]
    assert [c.email for c in third_project.contacts.all()] == ["reviewer@sandbox.test"]
    assert not second_project.contacts.exists()


def test_seed_demo_can_issue_a_new_token_revoking_the_old_one(db: None) -> None:
    old = seed().split("(shown once, keep it): ")[1].split()[0]
    out = StringIO()
    call_command("seed_demo", "--new-token", stdout=out)
    new = out.getvalue().split("(shown once, keep it): ")[1].split()[0]
    assert service_token_authenticate(raw=old) is None
    assert service_token_authenticate(raw=new) is not None
