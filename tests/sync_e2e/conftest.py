"""The sync engine against the provider sandbox over real HTTP, for each provider.

A portal-side link (ProjectCenterProject + ProviderAccount + ProjectLink + mapping table) points at the seeded
"Riverside Medical Center" project of the provider, received by the seeded reviewer. The engine's clock is the
sandbox's fake clock; the HTTP layer's sleeps are recorded, never slept. Every request is recorded so tests can count
them; every Procore and Autodesk request is checked against the published descriptions by tests/conftest.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from pytest_django.fixtures import Settings

from connector_portal.models import Firm, ProjectCenterProject, User
from projects.models import ProjectLink, SyncRun
from projects.services import link_sync
from projects.services.mapping import mapping_table_create_for_link
from providers import http
from providers.models import ProviderAccount
from providers.registry import get_provider
from sandbox.items import uid_for
from sandbox.testing import RunningSandbox, running_sandbox
from tests.projects.conftest import keyword_lists_add

REVIEWER_ID = 7_000_000_001


@dataclass(frozen=True)
class Case:
    """One provider's seeded project, as the portal names it."""

    provider: str
    sandbox_project: int  # the sandbox's row id of the project
    company_id: str
    project_id: str
    user_id: str
    submittals_for_reviewer: int  # of the four seeded submittals: the reviewer is or was the reviewer of three

    def item_row(self, kind: str, n: int) -> int:
        """The sandbox row id of the n-th seeded submittal / RFI."""
        return self.sandbox_project * 1000 + (0 if kind == "submittal" else 500) + n

    def provider_id(self, kind: str, row: int) -> str:
        return uid_for(kind, row) if self.provider == "autodesk" else str(row)


CASES = {
    "procore": Case("procore", 6_100_000_001, "5100000001", "6100000001", str(REVIEWER_ID), 3),
    "autodesk": Case(
        "autodesk",
        6_200_000_001,
        "b." + uid_for("org", 5_200_000_001),
        "b." + uid_for("project", 6_200_000_001),
        "SBX" + format(REVIEWER_ID, "X"),
        3,
    ),
    "constructex": Case("constructex", 6_300_000_001, "", "6300000001", str(REVIEWER_ID), 3),
}


class EngineClock:
    """The engine's time is the sandbox's time, which tests move."""

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox

    def __call__(self) -> dt.datetime:
        return self.sandbox.clock.now

    def advance(self, seconds: float) -> None:
        self.sandbox.clock.advance(seconds)


@pytest.fixture
def sandbox(tmp_path: Path, settings: Settings) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path / "sandbox.sqlite3", seed=True, request_log=tmp_path / "requests.jsonl") as handle:
        settings.SANDBOX_URL = handle.base_url
        settings.PROVIDER_SANDBOX = True
        yield handle


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []
    monkeypatch.setattr(http, "sleeper", recorded.append)
    return recorded


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch, sandbox: RunningSandbox) -> Iterator[list[SimpleNamespace]]:
    """Every request sent to the sandbox (tests/conftest.py checks the portal's against the reference)."""
    calls: list[SimpleNamespace] = []
    send = requests.Session.send

    def recording_send(session: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        response = send(session, request, **kwargs)
        calls.append(SimpleNamespace(request=request, response=response))
        return response

    monkeypatch.setattr(requests.Session, "send", recording_send)
    yield calls


class AnswerLoser:
    """Loses the answer of chosen requests after the sandbox has acted on them, as a dropped connection or a gateway
    timeout would: the request reaches the provider, the portal sees only a read timeout."""

    def __init__(self) -> None:
        self.rules: list[list[Any]] = []  # [method, path ending, answers still to lose]
        self.lost: list[str] = []

    def lose(self, method: str, path_end: str, times: int = 1) -> None:
        self.rules.append([method, path_end, times])

    def after(self, request: requests.PreparedRequest) -> None:
        path = request.path_url.split("?")[0]
        for rule in self.rules:
            if rule[2] > 0 and request.method == rule[0] and path.endswith(rule[1]):
                rule[2] -= 1
                self.lost.append(f"{request.method} {path}")
                raise requests.exceptions.ReadTimeout("the answer was lost (test)")


@pytest.fixture
def lose_answers(monkeypatch: pytest.MonkeyPatch, sandbox: RunningSandbox) -> AnswerLoser:
    loser = AnswerLoser()
    send = requests.Session.send

    def losing_send(session: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        response = send(session, request, **kwargs)
        loser.after(request)
        return response

    monkeypatch.setattr(requests.Session, "send", losing_send)
    return loser


@pytest.fixture
def clock(sandbox: RunningSandbox) -> EngineClock:
    return EngineClock(sandbox)


def link_for(firm: Firm, member: User, sandbox: RunningSandbox, case: Case) -> ProjectLink:
    tokens = sandbox.token(case.provider, "reviewer@sandbox.test", scope="data:read data:write")
    account = ProviderAccount.objects.create(
        firm=firm,
        user=member,
        provider=case.provider,
        provider_user_id=case.user_id,
        name="Riley Reviewer",
        email="reviewer@sandbox.test",
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=int(tokens["expires_in"])),
    )
    project = ProjectCenterProject.objects.create(firm=firm, pc_project_id=f"PC-{case.provider}", name="Riverside")
    keyword_lists_add(project)
    link = ProjectLink.objects.create(
        firm=firm,
        project=project,
        provider=case.provider,
        account=account,
        provider_company_id=case.company_id,
        provider_project_id=case.project_id,
        provider_project_name="Riverside Medical Center",
    )
    options = get_provider(case.provider).list_response_options(
        account=account, company_id=case.company_id, project_id=case.project_id, kind="submittal"
    )
    mapping_table_create_for_link(link=link, options=options)
    return link


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]


@pytest.fixture
def link(firm: Firm, member: User, sandbox: RunningSandbox, case: Case) -> ProjectLink:
    return link_for(firm, member, sandbox, case)


@pytest.fixture
def sync(link: ProjectLink, clock: EngineClock) -> Callable[[], SyncRun]:
    def run() -> SyncRun:
        clock.advance(60)
        result = link_sync(link_id=link.pk, clock=clock)
        assert result is not None
        return result

    return run
