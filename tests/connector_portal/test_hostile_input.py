"""Each 500 the outside attack found (issue 14) answers a 4xx now: in the API's error shape, or a plain 404 page."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import Client

from connector_portal.jsonbody import BodyRefused, json_body
from connector_portal.models import Firm, ProjectCenterProject, User
from connector_portal.services import service_token_create
from connector_portal.tenancy import get_for_firm_or_404
from projects.services.webhooks import link_webhook_prepare
from tests.api.factories import linked_add

DEEP = "[" * 3000 + "]" * 3000


@pytest.fixture
def webhook(firm: Firm) -> tuple[str, str]:
    url, authorization = link_webhook_prepare(link=linked_add(firm, "PC-1001").link)
    return url.split("127.0.0.1:8000", 1)[-1], authorization


def test_a_webhook_for_no_link_is_a_404_without_reading_a_body_nested_3000_deep(db: None) -> None:
    response = Client().post("/webhooks/procore/anything/", DEEP, content_type="application/json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_webhook_with_a_wrong_secret_is_refused_before_its_body(webhook: tuple[str, str]) -> None:
    path, _ = webhook
    response = Client().post(path, DEEP, content_type="application/json", HTTP_AUTHORIZATION="Bearer wrong")

    assert response.status_code == 401


def test_an_authorized_webhook_nested_too_deeply_is_a_400_in_words(webhook: tuple[str, str]) -> None:
    path, authorization = webhook
    response = Client().post(path, DEEP, content_type="application/json", HTTP_AUTHORIZATION=authorization)

    assert response.status_code == 400
    assert "nested more than 32 levels" in response.json()["message"]


def test_a_nul_webhook_token_is_a_404(db: None) -> None:
    assert Client().post("/webhooks/procore/%00/", "{}", content_type="application/json").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/connect/%00/",
        "/connect/%00/connection/",
        "/connect/PC-1001%00/connection/mapping/",
        "/connect/PC-1001%0A/connection/",
        "/mappings/projects/%00/keywords/",
        "/oauth/procore/start/?project=%00",
        "/oauth/procore/start/?project=PC-1001%1F",
        "/connect/PC-1001/project/?account=%00",
    ],
)
def test_nul_and_control_characters_in_a_page_address_are_not_found(
    member_client: Client, firm: Firm, path: str
) -> None:
    linked_add(firm, "PC-1001")

    assert member_client.get(path).status_code == 404


def test_a_newline_as_run_id_answers_the_api_error_shape(firm: Firm) -> None:
    token = service_token_create(firm=firm)[1]
    response = Client().get("/api/v1/runs/%0A/", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_admin_refuses_a_nul_or_control_character_object_id(db: None) -> None:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    staff = User.objects.create_user(email="s@p.example.com", password="x" * 20, is_staff=True, is_superuser=True)
    TOTP.activate(staff, generate_totp_secret())
    client = Client()
    client.force_login(staff)

    for object_id in ("%00", "x%0Ay", "%7F"):
        assert client.get(f"/admin/django_q/success/{object_id}/change/").status_code == 404


def test_the_one_lookup_rule_refuses_control_characters_before_any_query(firm: Firm, django_assert_num_queries) -> None:
    with django_assert_num_queries(0), pytest.raises(Http404):
        get_for_firm_or_404(ProjectCenterProject.objects.all(), firm=firm, pc_project_id="PC\x00")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 33 + b"]" * 33, "too_deep"),
        (b'{"a": "' + b"[" * 100 + b'"}', None),  # brackets inside a string do not count
        (b"x" * 10_001, "too_large"),
        (b"[1,", "not_json"),
        (b"NaN", "not_json"),
        (b"\xff", "not_json"),
        (b"[" * 3000 + b"}" * 3000, "too_deep"),  # unbalanced: json.loads meets the recursion limit, still a 400
    ],
)
def test_json_bodies_are_checked_for_size_and_depth_before_parsing(body: bytes, reason: str | None) -> None:
    if reason is None:
        assert json_body(body, max_bytes=200) == {"a": "[" * 100}
        return
    with pytest.raises(BodyRefused) as refused:
        json_body(body, max_bytes=10_000)
    assert refused.value.reason == reason
