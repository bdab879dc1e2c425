"""Fixtures for the provider tests: mocked provider HTTP (responses), connected accounts, no sleeping. Every Procore and
Autodesk request a test makes the portal send, mocked or not, is checked against the providers' published descriptions
by the autouse fixture of tests/conftest.py (tests/provider_requests.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from connector_portal.models import Firm, ProjectCenterProject, User
from providers import http
from providers.models import ProviderAccount

SANDBOX = settings.SANDBOX_URL
PROCORE = f"{SANDBOX}/procore"
AUTODESK = f"{SANDBOX}/autodesk"
CONSTRUCTEX = f"{SANDBOX}/constructex"
BASES = {"procore": PROCORE, "autodesk": AUTODESK, "constructex": CONSTRUCTEX}


@pytest.fixture(autouse=True)
def _local_sandbox_apps(settings: Settings) -> None:
    """Without app rows, the providers use the local sandbox's clients and base URLs (mocked here with responses)."""
    settings.PROVIDER_SANDBOX = True


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait the HTTP layer would have slept, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(http, "sleeper", recorded.append)
    return recorded


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> float:
    """The HTTP layer's clock, frozen at a known Unix time."""
    now = 1_900_000_000.0
    monkeypatch.setattr(http, "clock", lambda: now)
    return now


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    """Provider HTTP, mocked (what the portal sends is checked against the reference by tests/conftest.py)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


# What a mocked call sent. requests types a request's url and body as optional (a request is complete only once
# prepared); every call the mock caught was sent, so each helper checks that and hands back the precise type.


def sent_url(request: requests.PreparedRequest) -> str:
    assert request.url is not None, "the request was never prepared"
    return request.url


def sent_query(request: requests.PreparedRequest) -> dict[str, list[str]]:
    return parse_qs(urlsplit(sent_url(request)).query)


def sent_body(request: requests.PreparedRequest) -> str | bytes:
    assert request.body is not None, f"{request.method} {request.url} sent no body"
    return request.body


def sent_form(request: requests.PreparedRequest) -> dict[str, list[str]]:
    body = sent_body(request)
    assert isinstance(body, str), "a form body is text"
    return parse_qs(body)


@pytest.fixture
def support_client(db: None) -> Client:
    """A support staff member signed in with two-factor authentication set up, as admin requires."""
    staff = User.objects.create_user(
        email="support@portal.example.com", password="a-long-test-password", is_staff=True, is_superuser=True
    )
    TOTP.activate(staff, generate_totp_secret())
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def pc_project(firm: Firm) -> ProjectCenterProject:
    return ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-100", name="Harbour Library", number="100")


@pytest.fixture
def make_account(firm: Firm, member: User) -> Callable[..., ProviderAccount]:
    def make(provider: str = "procore", *, expires_in: int = 3600, **fields: object) -> ProviderAccount:
        values: dict[str, object] = {
            "firm": firm,
            "user": member,
            "provider": provider,
            "provider_user_id": "4242",
            "name": "Riley Reviewer",
            "email": "riley@acme.example.com",
            "access_token": f"{provider}-access-old",
            "refresh_token": f"{provider}-refresh-old",
            "expires_at": timezone.now() + dt.timedelta(seconds=expires_in),
        }
        values.update(fields)
        return ProviderAccount.objects.create(**values)

    return make


def token_answer(access: str = "access-new", refresh: str = "refresh-new", expires_in: int = 5400) -> dict[str, object]:
    return {
        "access_token": access,
        "token_type": "bearer",
        "expires_in": expires_in,
        "refresh_token": refresh,
        "created_at": 1_900_000_000,
    }
