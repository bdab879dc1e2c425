"""Firm roles, the same in pages and API: only a firm administrator pauses, resumes, changes the mapping and settings
of, or disconnects a connection; every member sees it and can sync now; Project Center's token acts for the firm."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client

from connector_portal.models import Firm, Membership, User
from projects.models import ProjectLink
from tests.api.factories import Linked, full_mapping, linked_add

PAGE = "/connect/PC-1/connection/"
MAPPING_API = "/api/v1/projects/PC-1/connection/mapping/"


@pytest.fixture
def linked(firm: Firm) -> Linked:
    return linked_add(firm, "PC-1")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def plain(firm: Firm, make_member: Callable[..., User]) -> Client:
    return signed_in(make_member(firm, "plain@acme.example.com", role=Membership.Role.MEMBER))


@pytest.fixture
def administrator(firm: Firm, make_member: Callable[..., User]) -> Client:
    return signed_in(make_member(firm, "boss@acme.example.com", role=Membership.Role.ADMIN))


def put_mapping(client: Client) -> object:
    return client.put(MAPPING_API, json.dumps({"rows": full_mapping()}), content_type="application/json")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", f"{PAGE}pause/"),
        ("post", f"{PAGE}resume/"),
        ("get", f"{PAGE}mapping/"),
        ("post", f"{PAGE}mapping/"),
        ("get", f"{PAGE}disconnect/"),
        ("post", f"{PAGE}disconnect/"),
    ],
)
def test_a_plain_member_is_refused_in_words_and_nothing_changes(
    plain: Client, linked: Linked, method: str, path: str
) -> None:
    response = getattr(plain, method)(path)

    assert response.status_code == 403
    assert "Only firm administrators can do this" in response.content.decode()
    link = ProjectLink.objects.get(pk=linked.link.pk)
    assert link.status == linked.link.status


def test_a_plain_member_sees_the_connection_and_can_sync_now_but_not_the_admin_buttons(
    plain: Client, linked: Linked
) -> None:
    page = plain.get(PAGE).content.decode()

    assert "Sync now" in page and ">Pause<" not in page and "Disconnect" not in page and "Edit mapping" not in page
    assert "Only an administrator of Acme Architects can pause" in page
    assert plain.post(f"{PAGE}sync/").status_code == 302


def test_an_administrator_pauses_resumes_edits_and_disconnects(administrator: Client, linked: Linked) -> None:
    page = administrator.get(PAGE).content.decode()
    assert ">Pause<" in page and "Disconnect" in page and "Edit mapping" in page

    administrator.post(f"{PAGE}pause/")
    assert ProjectLink.objects.get().status == ProjectLink.Status.PAUSED
    administrator.post(f"{PAGE}resume/")
    assert ProjectLink.objects.get().status != ProjectLink.Status.PAUSED
    assert administrator.get(f"{PAGE}mapping/").status_code == 200
    assert administrator.post(f"{PAGE}disconnect/").status_code == 302
    assert not ProjectLink.objects.exists()


def test_another_firms_connection_stays_a_404_for_its_members(
    other_firm: Firm, make_member: Callable[..., User], linked: Linked
) -> None:
    outsider = signed_in(make_member(other_firm, role=Membership.Role.MEMBER))

    for path in (f"{PAGE}pause/", f"{PAGE}disconnect/", f"{PAGE}mapping/"):
        assert outsider.post(path).status_code == 404


def test_the_api_applies_the_same_roles_to_the_mapping(
    plain: Client, administrator: Client, api: Client, linked: Linked
) -> None:
    refused = put_mapping(plain)

    assert refused.status_code == 403  # type: ignore[attr-defined]
    body = refused.json()  # type: ignore[attr-defined]
    assert body["code"] == "permission_denied" and "Only an administrator of the firm" in body["message"]
    assert put_mapping(administrator).status_code == 200  # type: ignore[attr-defined]
    assert put_mapping(api).status_code == 200  # type: ignore[attr-defined]  # Project Center's token
    assert plain.get(MAPPING_API).status_code == 200  # reading stays open to every member
