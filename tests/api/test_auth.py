"""Who may call the API, for which firm, and what the base view refuses to let a subclass do."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.exceptions import NotFound

from connector_portal.api.base import FirmViewSet
from connector_portal.models import AuditEvent, Firm, ProjectCenterProject, ServiceAccountToken, User
from tests.api.conftest import bearer_client

PROJECTS = "/api/v1/projects/"


def test_using_a_token_records_when_it_was_last_used(firm: Firm, make_token: Callable[..., str]) -> None:
    raw = make_token(firm)
    token = ServiceAccountToken.objects.get(firm=firm)
    assert token.last_used_at is None

    assert bearer_client(raw).get("/api/v1/firm/").status_code == 200

    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < dt.timedelta(minutes=1)


def test_a_token_that_expires_later_still_works(firm: Firm, make_token: Callable[..., str]) -> None:
    raw = make_token(firm, expires_at=timezone.now() + dt.timedelta(days=1))

    assert bearer_client(raw).get("/api/v1/firm/").status_code == 200


def test_a_token_sees_its_own_firm_even_with_another_firms_session(
    firm: Firm, other_firm: Firm, make_member: Callable[..., User], token: str
) -> None:
    client = Client(headers={"Authorization": f"Bearer {token}"})
    client.force_login(make_member(other_firm))
    ProjectCenterProject.objects.create(firm=other_firm, pc_project_id="PC-other", name="Other's")

    assert client.get("/api/v1/firm/").json()["name"] == firm.name
    assert client.get(PROJECTS).json()["results"] == []


def test_a_signed_in_member_browses_the_api_for_their_current_firm(
    member_client: Client, firm: Firm, other_firm: Firm
) -> None:
    ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-ours", name="Our library")
    ProjectCenterProject.objects.create(firm=other_firm, pc_project_id="PC-theirs", name="Their stadium")

    page = member_client.get(PROJECTS, headers={"Accept": "text/html"})

    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    assert "Our library" in page.content.decode()
    assert "Their stadium" not in page.content.decode()
    assert member_client.get("/api/v1/firm/").json()["name"] == firm.name


def test_a_member_of_two_firms_sees_the_firm_chosen_in_the_switcher(
    member: User, member_client: Client, other_firm: Firm
) -> None:
    other_firm.memberships.create(user=member)
    session = member_client.session
    session["current_firm_id"] = other_firm.pk
    session.save()

    assert member_client.get("/api/v1/firm/").json()["name"] == other_firm.name


def test_a_session_write_needs_the_csrf_token_and_is_audited_as_the_user(member: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    body = json.dumps({"pc_project_id": "PC-1", "name": "From the browser"})

    refused = client.post(PROJECTS, data=body, content_type="application/json")
    client.get(PROJECTS, headers={"Accept": "text/html"})  # the browsable page sets the CSRF cookie
    accepted = client.post(
        PROJECTS, data=body, content_type="application/json", headers={"X-CSRFToken": client.cookies["csrftoken"].value}
    )

    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert "CSRF" in refused.json()["message"]
    assert accepted.status_code == 201
    event = AuditEvent.objects.get(action="project.create")
    assert (event.actor_user, event.actor_token) == (member, None)


def test_support_staff_without_a_firm_are_told_why_they_get_nothing(db: None) -> None:
    staff = User.objects.create_user(email="support@example.com", password="x" * 20, is_staff=True)
    client = Client()
    client.force_login(staff)

    response = client.get("/api/v1/firm/")

    assert response.status_code == 403
    assert "not working in any firm" in response.json()["message"]


@pytest.mark.parametrize("name", ["get_queryset", "get_object", "queryset", "permission_classes", "initial"])
def test_a_view_cannot_skip_the_firm_filter(name: str) -> None:
    with pytest.raises(TypeError, match="firm_queryset"):
        type("SneakyViewSet", (FirmViewSet,), {name: lambda self: None})


def test_a_mixin_cannot_skip_the_firm_filter_either() -> None:
    class Unscoped:
        def get_queryset(self) -> None:
            return None

    with pytest.raises(TypeError, match="get_queryset"):
        type("SneakyViewSet", (Unscoped, FirmViewSet), {})


def test_a_nested_route_finds_its_parent_only_in_the_callers_firm(firm: Firm, other_firm: Firm) -> None:
    ours = ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-1", name="Ours")
    ProjectCenterProject.objects.create(firm=other_firm, pc_project_id="PC-2", name="Theirs")
    view = FirmViewSet()
    view.firm = firm
    projects = ProjectCenterProject.objects.all()

    assert view.get_firm_object(projects, pc_project_id="PC-1") == ours
    for lookup in ("PC-2", "PC-missing", "PC\x00-1"):
        with pytest.raises(NotFound):
            view.get_firm_object(projects, pc_project_id=lookup)
