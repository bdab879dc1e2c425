"""Idle Autodesk accounts against the provider sandbox, whose refresh tokens expire after 15 days unused (PROVIDERS.md):
left alone an account dies; the keep-alive's refreshes (every 12 idle days) keep it syncing. Time is the sandbox's
fake clock, moved by the test; nothing sleeps."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from connector_portal.models import Firm, User
from projects.models import SyncRun
from projects.services import link_sync
from providers.models import ProviderAccount
from providers.services import accounts_keep_alive
from sandbox.constants import SANDBOX_CLIENTS
from sandbox.testing import RunningSandbox
from tests.sync_e2e.conftest import CASES, EngineClock, link_for

pytestmark = pytest.mark.sandbox
DAY = 24 * 3600


def _refresh(sandbox: RunningSandbox, refresh_token: str) -> requests.Response:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    url = sandbox.url("autodesk", "/authentication/v2/token")
    return requests.post(url, data=form, auth=SANDBOX_CLIENTS["autodesk"], timeout=5)


@pytest.mark.parametrize(("idle_days", "alive"), [(14.9, True), (15, False)])
def test_the_sandbox_expires_autodesk_refresh_tokens_unused_for_15_days(
    sandbox: RunningSandbox, idle_days: float, alive: bool
) -> None:
    tokens = sandbox.token("autodesk", "reviewer@sandbox.test", scope="data:read")
    sandbox.clock.advance(idle_days * DAY)
    answer = _refresh(sandbox, tokens["refresh_token"])
    assert answer.status_code == (200 if alive else 400)
    if not alive:
        assert answer.json()["error"] == "invalid_grant" and "expired" in answer.json()["error_description"]


def test_an_idle_account_left_alone_needs_reconnecting_after_15_days(
    firm: Firm, member: User, sandbox: RunningSandbox, clock: EngineClock
) -> None:
    link = link_for(firm, member, sandbox, CASES["autodesk"])
    clock.advance(15 * DAY)

    run = link_sync(link_id=link.pk, clock=clock)

    assert run is not None and run.status == SyncRun.Status.FAILED
    assert ProviderAccount.objects.get(pk=link.account_id).status == ProviderAccount.Status.NEEDS_REAUTH


def test_the_keep_alive_keeps_an_idle_account_syncing_past_15_days(
    firm: Firm, member: User, sandbox: RunningSandbox, clock: EngineClock
) -> None:
    link = link_for(firm, member, sandbox, CASES["autodesk"])
    ProviderAccount.objects.filter(pk=link.account_id).update(tokens_issued_at=clock())
    hourly = dt.timedelta(hours=1)
    refreshed: list[int] = []
    for _ in range(30 * 24):  # thirty idle days, the schedule running every hour
        clock.advance(hourly.total_seconds())
        refreshed += accounts_keep_alive(now=clock()).refreshed

    assert refreshed == [link.account_id, link.account_id]  # after 12 and after 24 idle days
    run = link_sync(link_id=link.pk, clock=clock)
    assert run is not None and run.status == SyncRun.Status.SUCCEEDED, run and run.message
