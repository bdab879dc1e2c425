"""Generic guarantees for every /api/v1/ operation, built from the URL resolver: no endpoint can be forgotten."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connector_portal.models import Firm, ServiceAccountToken
from connector_portal.services import service_token_create, service_token_revoke
from tests.api.conftest import bearer_client
from tests.api.routes import ROUTE_CASES, Route, api_routes

ROUTES = api_routes()
OPERATIONS = [(route, method) for route in ROUTES for method in route.methods]
OPERATION_IDS = [f"{method} {route.name}" for route, method in OPERATIONS]


def call(
    client: Client, method: str, url: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> Any:
    data = json.dumps(body) if body is not None and method in ("POST", "PUT", "PATCH") else None
    return client.generic(method, url, data=data or "", content_type="application/json", headers=headers)


def visible_state(client: Client, route: Route, url: str) -> str | None:
    """What the firm sees at this route (a GET), to prove a refused or foreign request changed nothing."""
    if "GET" not in route.methods:
        return None
    answer = call(client, "GET", url)
    body = b"".join(answer.streaming_content) if answer.streaming else answer.content  # a file download streams
    return body.decode(errors="replace")


def bad_authorization(kind: str, firm: Firm) -> str | None:
    """An Authorization header that must be refused, by kind."""
    if kind == "missing":
        return None
    if kind == "basic":
        return "Basic dXNlckBleGFtcGxlLmNvbTpwYXNzd29yZA=="
    if kind == "bearer without token":
        return "Bearer"
    if kind == "malformed":
        return "Bearer not a token"
    if kind == "garbage":
        return "Bearer ncp_zzzzzzzz_" + "x" * 32
    _, raw = service_token_create(firm=firm)
    if kind == "wrong secret":
        return f"Bearer {raw[:-4]}AAAA" if not raw.endswith("AAAA") else f"Bearer {raw[:-4]}BBBB"
    token = ServiceAccountToken.objects.get(prefix=raw.split("_")[1])
    if kind == "revoked":
        service_token_revoke(token=token)
    elif kind == "expired":
        token.expires_at = timezone.now() - dt.timedelta(seconds=1)
        token.save(update_fields=["expires_at"])
    elif kind == "inactive firm":
        firm.is_active = False
        firm.save(update_fields=["is_active"])
    return f"Bearer {raw}"


def missing_value(value: object) -> str:
    """A URL value of the same kind that names nothing."""
    return "987654321" if str(value).isdigit() else f"missing-{value}"


BAD_AUTH = [
    "missing",
    "basic",
    "bearer without token",
    "malformed",
    "garbage",
    "wrong secret",
    "revoked",
    "expired",
    "inactive firm",
]


def test_every_api_route_has_a_case() -> None:
    missing = [f"{route.name} ({route.path})" for route in ROUTES if route.name not in ROUTE_CASES]
    assert not missing, f"Add a RouteCase to tests/api/routes.py for: {', '.join(missing)}"
    assert {"api-v1:firm", "api-v1:project-list", "api-v1:project-detail"} <= {route.name for route in ROUTES}


@pytest.mark.parametrize("kind", BAD_AUTH)
@pytest.mark.parametrize(("route", "method"), OPERATIONS, ids=OPERATION_IDS)
def test_a_bad_token_gets_401_on_every_operation(route: Route, method: str, kind: str, firm: Firm, api: Client) -> None:
    case = ROUTE_CASES[route.name]
    url = reverse(route.name, kwargs=case.make(firm))
    before = visible_state(api, route, url)
    header = bad_authorization(kind, firm)
    client = Client(headers={"Authorization": header}) if header else Client()

    response = call(client, method, url, case.body(firm), case.headers(firm))

    assert response.status_code == 401, response.content
    assert response.json()["code"] in ("not_authenticated", "authentication_failed")
    assert response["WWW-Authenticate"].startswith("Bearer")
    if kind != "inactive firm":  # the firm's own token is refused too once its firm is inactive
        assert visible_state(api, route, url) == before


@pytest.mark.parametrize(("route", "method"), OPERATIONS, ids=OPERATION_IDS)
def test_another_firms_token_cannot_see_or_change_this_firms_objects(
    route: Route, method: str, firm: Firm, other_firm: Firm, api: Client, other_api: Client
) -> None:
    case = ROUTE_CASES[route.name]
    kwargs = case.make(firm)
    case.make(other_firm)  # the other firm has data of its own at the same routes
    url = reverse(route.name, kwargs=kwargs)
    before = visible_state(api, route, url)

    response = call(other_api, method, url, case.body(other_firm), case.headers(other_firm))

    assert response.status_code < 500, response.content
    if route.is_detail and method not in case.upsert_methods:
        missing_url = reverse(route.name, kwargs={key: missing_value(value) for key, value in kwargs.items()})
        missing = call(other_api, method, missing_url, case.body(other_firm), case.headers(other_firm))
        assert response.status_code == 404, response.content
        assert response.json() == missing.json(), "another firm's object must answer exactly like a missing one"
    if method not in case.upsert_methods:
        assert firm.name not in response.content.decode()
        assert firm.slug not in response.content.decode()
    assert visible_state(api, route, url) == before, "another firm's request changed what this firm sees"


@pytest.mark.parametrize(("route", "method"), OPERATIONS, ids=OPERATION_IDS)
def test_the_firms_own_token_is_served_on_every_operation(
    route: Route, method: str, firm: Firm, make_token: Callable[..., str]
) -> None:
    case = ROUTE_CASES[route.name]
    url = reverse(route.name, kwargs=case.make(firm))

    response = call(bearer_client(make_token(firm)), method, url, case.body(firm), case.headers(firm))

    assert 200 <= response.status_code < 300, response.content


@pytest.mark.parametrize("route", [route for route in ROUTES if "GET" in route.methods], ids=lambda route: route.name)
def test_a_signed_in_member_can_browse_every_readable_route(route: Route, firm: Firm, member_client: Client) -> None:
    case = ROUTE_CASES[route.name]
    url = reverse(route.name, kwargs=case.make(firm))

    page = member_client.get(url, headers={"Accept": "text/html"})
    options = member_client.options(url)

    assert page.status_code == 200, visible_state(member_client, route, url)
    if case.download:
        assert page["Content-Disposition"].startswith("attachment;")
    else:
        assert page["Content-Type"].startswith("text/html")
    assert options.status_code == 200, options.content[:500]
