"""Fixtures shared by every app's tests: firms, members, logged-in clients; and the check that every request the
portal sends to Procore or Autodesk during any test is one the provider documents (tests/provider_requests.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from connector_portal.models import Firm, Licence, Membership, User
from tests import provider_requests


@pytest.fixture(autouse=True)
def _provider_requests_documented(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[provider_requests.Sent]]:
    """Every Procore / Autodesk request this test makes the portal send, checked against the reference at the end."""
    yield from provider_requests.recording(monkeypatch, request.node.nodeid)


@pytest.fixture(autouse=True)
def _private_media(tmp_path_factory: pytest.TempPathFactory, settings: Any) -> Path:
    """Files a test stores land in a folder of its own, never in the worktree's var/private-media."""
    folder = tmp_path_factory.mktemp("private-media")
    attachments = {**settings.STORAGES["attachments"]}
    if attachments["BACKEND"].endswith("FileSystemStorage"):
        attachments["OPTIONS"] = {**attachments.get("OPTIONS", {}), "location": folder}
        settings.STORAGES = {**settings.STORAGES, "attachments": attachments}
    return folder


# A public address (one of example.com's): where every webhook host resolves in tests, unless a test says otherwise.
PUBLIC_ADDRESS = "93.184.215.14"


@pytest.fixture(autouse=True)
def _webhook_hosts_without_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Webhook URLs are checked against what their host resolves to; no test asks a real DNS server."""
    from projects.services import outbound_address

    monkeypatch.setattr(
        outbound_address, "resolve", lambda host, port: ["127.0.0.1"] if host == "localhost" else [PUBLIC_ADDRESS]
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in provider_requests.RECORDER.summary():
        terminalreporter.write_line(line)
    target = os.environ.get("PROVIDER_REQUEST_LOG")
    if target:
        provider_requests.RECORDER.write(Path(target))
        terminalreporter.write_line(f"  request log: {target}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Each undocumented request already failed the test that sent it; the session cannot pass with one either.
    if provider_requests.RECORDER.undocumented() and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def _attachments_in_tmp(tmp_path_factory: pytest.TempPathFactory, settings: Any) -> None:
    """Files a test stores (response uploads) go to a folder of its own, never the checkout's var/."""
    location = tmp_path_factory.mktemp("attachments")
    attachments = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": location}}
    settings.STORAGES = {**settings.STORAGES, "attachments": attachments}


@pytest.fixture
def make_firm(db: None) -> Callable[..., Firm]:
    counter = iter(range(1, 10_000))

    def make(name: str | None = None, *, active: bool = True, licence: bool = True) -> Firm:
        n = next(counter)
        firm = Firm.objects.create(name=name or f"Firm {n}", slug=f"firm-{n}", is_active=active)
        if licence:
            Licence.objects.create(firm=firm, procore=True, autodesk=True, constructex=True)
        return firm

    return make


@pytest.fixture
def make_member(db: None) -> Callable[..., User]:
    def make(firm: Firm, email: str | None = None, *, role: str = Membership.Role.MEMBER) -> User:
        email = email or f"user{User.objects.count() + 1}@{firm.slug}.example.com"
        user = User.objects.create_user(email=email, password="a-long-test-password")
        Membership.objects.create(firm=firm, user=user, role=role)
        return user

    return make


@pytest.fixture
def firm(make_firm: Callable[..., Firm]) -> Firm:
    return make_firm("Acme Architects")


@pytest.fixture
def other_firm(make_firm: Callable[..., Firm]) -> Firm:
    return make_firm("Other Engineers")


@pytest.fixture
def member(firm: Firm, make_member: Callable[..., User]) -> User:
    return make_member(firm, "reviewer@acme.example.com", role=Membership.Role.ADMIN)


@pytest.fixture
def member_client(member: User) -> Client:
    client = Client()
    client.force_login(member)
    return client
