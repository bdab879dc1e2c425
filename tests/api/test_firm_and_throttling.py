"""The firm endpoint, and the per-token request limit with its 429 and Retry-After."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from connector_portal.api.throttling import FirmApiThrottle
from connector_portal.models import Firm, Licence, User
from tests.api.conftest import bearer_client


def test_the_firm_shows_its_licence_and_which_connectors_it_may_use(api: Client, firm: Firm) -> None:
    Licence.objects.filter(firm=firm).update(autodesk=False, valid_until=timezone.localdate() + dt.timedelta(days=30))

    body = api.get("/api/v1/firm/").json()

    assert body["name"] == "Acme Architects"
    assert body["licence"]["is_current"] is True
    allowed = {c["connector"]: c["allowed"] for c in body["connectors"]}
    assert allowed == {"procore": True, "autodesk": False, "constructex": True}


def test_an_expired_licence_allows_no_connector(api: Client, firm: Firm) -> None:
    Licence.objects.filter(firm=firm).update(valid_until=timezone.localdate() - dt.timedelta(days=1))

    body = api.get("/api/v1/firm/").json()

    assert body["licence"]["is_current"] is False
    assert not any(c["allowed"] for c in body["connectors"])


def test_a_firm_without_a_licence_has_none(make_firm: Callable[..., Firm], make_token: Callable[..., str]) -> None:
    unlicensed = make_firm("No Licence Ltd", licence=False)

    body = bearer_client(make_token(unlicensed)).get("/api/v1/firm/").json()

    assert body["licence"] is None
    assert not any(c["allowed"] for c in body["connectors"])


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The throttle's clock, moved by the test instead of sleeping."""
    now = [1_700_000_000.0]
    monkeypatch.setattr(FirmApiThrottle, "timer", lambda self: now[0])
    return now


@pytest.fixture
def two_per_minute(settings: object) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api": "2/minute"}}  # type: ignore[attr-defined]


@pytest.mark.usefixtures("two_per_minute")
def test_too_many_requests_answer_429_with_retry_after_until_the_window_passes(api: Client, clock: list[float]) -> None:
    assert [api.get("/api/v1/firm/").status_code for _ in range(2)] == [200, 200]

    refused = api.get("/api/v1/projects/")
    clock[0] += 61
    later = api.get("/api/v1/firm/")

    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) == 60
    assert refused.json()["details"]["retry_after_seconds"] == 60
    assert later.status_code == 200


@pytest.mark.usefixtures("two_per_minute")
def test_each_token_has_its_own_limit(
    firm: Firm, make_token: Callable[..., str], other_api: Client, clock: list[float]
) -> None:
    busy = bearer_client(make_token(firm))
    for _ in range(3):
        busy.get("/api/v1/firm/")

    assert busy.get("/api/v1/firm/").status_code == 429
    assert bearer_client(make_token(firm)).get("/api/v1/firm/").status_code == 200
    assert other_api.get("/api/v1/firm/").status_code == 200


@pytest.mark.usefixtures("two_per_minute")
def test_a_signed_in_user_is_limited_too(member: User, clock: list[float]) -> None:
    client = Client()
    client.force_login(member)

    statuses = [client.get("/api/v1/firm/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
