"""What a sync run tells people about itself, against the provider sandbox: how many items to expect (the progress bar)
and how many provider requests it cost, counted the way the provider counts them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from projects.models import ProjectLink, SyncRun
from providers.models import ProviderAccount
from sandbox.testing import RunningSandbox
from tests.sync_e2e.conftest import Case

pytestmark = pytest.mark.sandbox
Sync = Callable[[], SyncRun]


def requests_seen(sandbox: RunningSandbox) -> int:
    """Requests the sandbox has answered so far (its request log has one line per request)."""
    log = sandbox.app.request_log.path
    assert log is not None
    return len(log.read_text().splitlines()) if log.exists() else 0


def seeded(sandbox: RunningSandbox, case: Case) -> int:
    row = sandbox.app.store.row("SELECT count(*) AS n FROM items WHERE project_id = ?", (case.sandbox_project,))
    return int(row["n"])


def test_a_first_sync_expects_every_listed_item_and_counts_the_requests_the_provider_saw(
    case: Case, link: ProjectLink, sync: Sync, sandbox: RunningSandbox
) -> None:
    # The access token is about to expire: the run refreshes it first, and that request is part of its cost too.
    ProviderAccount.objects.filter(pk=link.account_id).update(expires_at=dt.datetime.now(dt.UTC))
    before = requests_seen(sandbox)

    run = sync()

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert run.provider_calls == requests_seen(sandbox) - before
    assert run.provider_calls >= 3  # the refresh and at least one page per kind
    if case.provider == "constructex":
        assert run.expected_items is None  # ConstructEx's lists give no total: the progress bar stays indeterminate
    else:
        assert run.expected_items == seeded(sandbox, case) == 7
        assert run.progress_percent == 100


def test_an_incremental_sync_counts_one_request_per_kind(
    link: ProjectLink, sync: Sync, sandbox: RunningSandbox
) -> None:
    sync()
    before = requests_seen(sandbox)

    run = sync()

    assert run.provider_calls == requests_seen(sandbox) - before == 2
