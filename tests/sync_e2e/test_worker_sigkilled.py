"""A real worker process SIGKILLed mid-sync: its heartbeat thread dies with it, so its link is free within LEASE.

The other crash tests "kill" a worker in-process (an exception nothing catches, a release that does nothing). Here the
sync runs in a child process against the sandbox, with its heartbeat thread, and is SIGKILLed while a provider
request hangs: no `finally`, no thread, no release. The thread must have kept the lease alive during the hung request,
and stopped with the process: the lease the dead worker left ends within LEASE of its death, so the sweep's next tick
after that (at most two ticks after the death) hands the link on, closes the dead run, and a sync brings in the rest.

Needs a database two processes share (PostgreSQL): marked `storm`, run with the storm in CI (`pytest -m storm`).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from projects.constants import LEASE, SWEEP_EVERY
from projects.models import FeedEntry, ProjectLink, SyncedItem, SyncRun
from projects.services import link_sync, sweep_run
from sandbox.testing import RunningSandbox

from .conftest import CASES, Case

pytestmark = [pytest.mark.storm, pytest.mark.sandbox, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
BEAT = 0.2  # the child's heartbeat, in seconds: HEARTBEAT_EVERY shortened so that the test waits well under a second
BEAT_DELTA = dt.timedelta(seconds=BEAT)
WORKER = f"""
import datetime as dt, sys, django
django.setup()
from projects.services import lease, link_sync
lease.HEARTBEAT_EVERY = dt.timedelta(seconds={BEAT})
link_sync(link_id=int(sys.argv[1]))
"""


class Stall:
    """The sandbox's stall, with a signal when a request starts hanging in it (released when the sandbox stops)."""

    def __init__(self, stopping: threading.Event) -> None:
        self.stopping, self.begun = stopping, threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        self.begun.set()
        return self.stopping.wait(timeout)

    def set(self) -> None:
        self.stopping.set()


@pytest.fixture
def case() -> Case:
    return CASES["procore"]


@pytest.fixture
def worker(sandbox: RunningSandbox, tmp_path: Path) -> Iterator[Callable[[int], subprocess.Popen[bytes]]]:
    if connection.vendor != "postgresql":
        pytest.skip("a worker process shares the test database only on PostgreSQL")
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {**os.environ, "DATABASE_URL": url, "SANDBOX_URL": sandbox.base_url, "PROVIDER_SANDBOX": "true"}
    started: list[subprocess.Popen[bytes]] = []

    def start(link_id: int) -> subprocess.Popen[bytes]:
        log = (tmp_path / "worker.log").open("wb")
        started.append(
            subprocess.Popen(
                [sys.executable, "-c", WORKER, str(link_id)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        )
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def _until(condition: Callable[[], bool], *, within: float, what: str) -> None:
    """Wait for another process to get somewhere (not a timing assertion: `within` only stops a hung test)."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"the worker never {what}"
        time.sleep(0.05)


def test_a_sigkilled_workers_link_is_free_within_the_lease_and_synced_by_the_next_tick(
    link: ProjectLink, case: Case, sandbox: RunningSandbox, worker: Callable[[int], subprocess.Popen[bytes]]
) -> None:
    # Given a worker process whose sync hangs on the provider's RFI list, after its submittals are in
    stall = Stall(sandbox.app.stopping)
    sandbox.app.stopping = stall  # type: ignore[assignment]
    rfis = f"/procore/rest/v1.0/projects/{case.project_id}/rfis"
    sandbox.app.faults.configure({"stall_rate": 1.0, "stall_seconds": 300, "match": rfis}, replace=True)
    process = worker(link.pk)
    _until(stall.begun.is_set, within=60, what="reached the RFIs")
    hung_at = timezone.now()
    # ... and whose heartbeat thread renews the lease while that request hangs (several beats)
    _until(
        lambda: (SyncRun.objects.get(link=link).heartbeat_at or hung_at) > hung_at + 3 * BEAT_DELTA,
        within=30,
        what="beat while a request hung",
    )

    # When it is SIGKILLed mid-request
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    killed_at = timezone.now()

    # Then it cleaned nothing up (a real kill), and the lease it left ends within LEASE of its death
    link.refresh_from_db()
    dead = SyncRun.objects.get(link=link)
    assert dead.status == SyncRun.Status.RUNNING and link.lease_owner != ""
    assert link.lease_until is not None and link.lease_until <= killed_at + LEASE
    assert SyncedItem.objects.filter(link=link, kind="submittal").exists()
    assert not SyncedItem.objects.filter(link=link, kind="rfi").exists()
    # ... so the sweep holds the link until then, and its first tick after hands it on and closes the dead run:
    # at most LEASE + SWEEP_EVERY (two ticks) after the death
    assert link.pk not in sweep_run(now=link.lease_until - BEAT_DELTA, enqueue=lambda calls: None).links
    taken_at = link.lease_until
    assert link.pk in sweep_run(now=taken_at, enqueue=lambda calls: None).links
    assert taken_at - killed_at <= LEASE < LEASE + SWEEP_EVERY
    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.INTERRUPTED and "worker running this sync stopped" in dead.message

    # And the next sync brings in the rest, nothing twice
    sandbox.app.faults.configure({}, replace=True)
    rerun = link_sync(link_id=link.pk, clock=lambda: taken_at)
    assert rerun is not None and rerun.status == SyncRun.Status.SUCCEEDED, rerun and rerun.message
    assert SyncedItem.objects.filter(link=link, kind="rfi").exists()
    entries = list(FeedEntry.objects.filter(link=link).values_list("item_id", "change"))
    assert len(entries) == len(set(entries))
