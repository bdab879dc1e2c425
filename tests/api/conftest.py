"""Fixtures for API tests: service-account tokens and clients that send them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django_q.conf import Conf

from connector_portal.models import Firm
from connector_portal.services import service_token_create
from projects.connect import wiring
from tests.api.factories import OPTIONS


@pytest.fixture(autouse=True)
def provider_offline(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """No provider is reached from API tests: the live response options are OPTIONS, and a queued sync only waits in
    the queue (django-q2 would otherwise run it at once under tests, against the provider)."""
    calls: list[object] = []

    def live_options(link: object, *, fresh: bool = False) -> list[object]:
        calls.append(link)
        return list(OPTIONS)

    monkeypatch.setattr(wiring, "live_options", live_options)
    monkeypatch.setattr(Conf, "SYNC", False)
    return calls


@pytest.fixture
def make_token(db: None) -> Callable[..., str]:
    def make(firm: Firm, **fields: object) -> str:
        return service_token_create(firm=firm, **fields)[1]  # type: ignore[arg-type]

    return make


@pytest.fixture
def token(firm: Firm, make_token: Callable[..., str]) -> str:
    return make_token(firm)


@pytest.fixture
def other_token(other_firm: Firm, make_token: Callable[..., str]) -> str:
    return make_token(other_firm)


def bearer_client(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def api(token: str) -> Client:
    """A client that calls the API as the firm's Project Center."""
    return bearer_client(token)


@pytest.fixture
def other_api(other_token: str) -> Client:
    """A client that calls the API as another firm's Project Center."""
    return bearer_client(other_token)
