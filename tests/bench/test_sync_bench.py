"""Sync engine benchmarks (issue 6, items 3-5), run with `BENCH=1 pytest tests/bench -s`; skipped otherwise.

5. the sweep over 10,000 due links: SQL queries (compared with 100 links) and time.
Items 1-2 (requests against the sandbox) need the provider modules and belong beside the sandbox tests. Items 3-4
(ingest rate, memory) were measured here inside the test transaction, with 80-byte payloads and tracemalloc in a warm
process; test_ingest_bench.py and test_memory_bench.py measure them honestly now (commits, ~3 KB payloads, updates,
a raw upsert beside; RSS of a fresh worker process with the default settings).
"""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.conf import Conf

from connector_portal.models import Firm, ProjectCenterProject
from projects.models import ProjectLink
from projects.services import sweep_run
from projects.services.sweep import SweepResult
from providers.models import ProviderAccount
from tests.projects.conftest import T0

pytestmark = pytest.mark.skipif(os.environ.get("BENCH") != "1", reason="benchmarks run only with BENCH=1 (make bench)")
RESULTS: list[tuple[str, str, str]] = []


@pytest.fixture(scope="module", autouse=True)
def print_table():
    yield
    vendor = connection.vendor
    print(f"\n\nSync engine benchmark ({vendor})")
    print(f"{'measure':<78} {'result':>22}  target")
    for name, result, target in RESULTS:
        print(f"{name:<78} {result:>22}  {target}")


def _links(firm: Firm, count: int, provider: str = "procore") -> None:
    account = ProviderAccount.objects.create(firm=firm, provider=provider, provider_user_id="sweep", name="Rita")
    start = ProjectCenterProject.objects.count()
    projects = ProjectCenterProject.objects.bulk_create(
        [ProjectCenterProject(firm=firm, pc_project_id=f"S-{start + n}", name=f"S {n}") for n in range(count)]
    )
    ProjectLink.objects.bulk_create(
        [
            ProjectLink(firm=firm, project=p, provider=provider, account=account, provider_project_id="1")
            for p in projects
        ]
    )


def _sweep(now: dt.datetime) -> tuple[int, float, int]:
    queries, seconds, result = _sweep_result(now)
    return queries, seconds, len(result.links)


def _sweep_result(now: dt.datetime) -> tuple[int, float, SweepResult]:
    with CaptureQueriesContext(connection) as ctx:
        began = time.perf_counter()
        result = sweep_run(now=now)
        seconds = time.perf_counter() - began
    return len(ctx.captured_queries), seconds, result


def test_sweep_over_10000_due_links(firm, make_firm, monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)  # queue for real (one insert into the ORM broker), do not run
    _links(firm, 100)
    small_queries, _, queued = _sweep(T0)
    assert queued == 100
    _links(make_firm(), 9_900)
    ProjectLink.objects.update(queued_at=None)
    queries, seconds, queued = _sweep(T0 + dt.timedelta(minutes=1))
    assert queued == 10_000
    RESULTS.append(("5. sweep, 10,000 due links: SQL queries (100 links)", f"{queries} ({small_queries})", "constant"))
    RESULTS.append(("5. sweep, 10,000 due links: time", f"{seconds:.2f} s", "< 2 s"))


def test_sweep_over_10000_due_autodesk_links_within_the_shared_budget(firm, make_firm, monkeypatch):
    """Autodesk's RFI API allows the whole application 100 requests a minute: the sweep admits this minute's polling
    share and holds the rest (marked for the connection page) with the same number of queries at any scale."""
    monkeypatch.setattr(Conf, "SYNC", False)
    _links(firm, 100, "autodesk")
    small_queries, _, small = _sweep_result(T0)
    assert small.held
    _links(make_firm(), 9_900, "autodesk")
    ProjectLink.objects.update(queued_at=None, shared_budget_wait_since=None)
    queries, seconds, result = _sweep_result(T0 + dt.timedelta(minutes=1))
    assert queries == small_queries and len(result.links) + len(result.held) == 10_000
    RESULTS.append(
        (
            "5b. sweep, 10,000 due Autodesk links: queued / held, SQL queries (100 links)",
            f"{len(result.links)} / {len(result.held):,}, {queries} ({small_queries})",
            "constant",
        )
    )
    RESULTS.append(("5b. sweep, 10,000 due Autodesk links: time", f"{seconds:.2f} s", "< 2 s"))
