"""Sync engine benchmarks (issue 6, items 3-5), run with `BENCH=1 pytest tests/bench -s`; skipped otherwise.

3. ingest rate excluding provider time, on the current database (SQLite, or PostgreSQL with DATABASE_URL);
4. peak memory growth while syncing 50,000 items (tracemalloc);
5. the sweep over 10,000 due links: SQL queries (compared with 100 links) and time.
Items 1-2 (requests against the sandbox) need the provider modules and belong beside the sandbox tests.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import tracemalloc
from collections.abc import Iterator, Sequence

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.conf import Conf

from connector_portal.models import Firm, ProjectCenterProject
from projects.models import ProjectLink
from projects.ports import Page
from projects.services import link_sync, sweep_run
from projects.services.sweep import SweepResult
from providers.models import ProviderAccount
from providers.types import ItemKind, ProviderItem
from tests.projects.conftest import T0, Clock, keyword_lists_add

pytestmark = pytest.mark.skipif(os.environ.get("BENCH") != "1", reason="benchmarks run only with BENCH=1 (make bench)")
RESULTS: list[tuple[str, str, str]] = []
# Pages as large as any provider serves them (Procore's item lists, 2,000 a page): the engine commits per page, so
# (3) and (4) show that a page this size fits the time and memory budgets.
LARGEST_PAGE = 2_000


class GeneratedProvider:
    """Items made on the fly page by page (nothing kept), timing its own share so it can be left out."""

    label = "Bench"

    def __init__(self, count: int, page_size: int = LARGEST_PAGE) -> None:
        self.count, self.page_size, self.seconds = count, page_size, 0.0

    def pages(self, kind: ItemKind, since: dt.datetime | None) -> Iterator[Page]:
        if kind != "submittal":
            return
        for start in range(0, self.count, self.page_size):
            began = time.perf_counter()
            items = [
                ProviderItem(
                    kind=kind,
                    provider_id=str(n),
                    number=f"05 12 00-{n}",
                    title=f"Shop drawings {n}",
                    status="Open",
                    updated_at=T0,
                    ball_in_court=("Rita Reviewer",),
                    url=f"https://provider.example.com/submittals/{n}",
                    raw={"id": n, "title": f"Shop drawings {n}", "approvers": [{"id": n, "user": {"id": 1}}]},
                )
                for n in range(start, min(start + self.page_size, self.count))
            ]
            self.seconds += time.perf_counter() - began
            yield Page(items=items, total=self.count)

    def response_options(self, kind: ItemKind) -> list:
        return []

    def post_response(self, item: object, option: object, comment: str, files: Sequence[object] = ()) -> str:
        raise NotImplementedError


def _link(firm: Firm, n: int = 1) -> ProjectLink:
    account = ProviderAccount.objects.create(firm=firm, provider="procore", provider_user_id=f"b{n}", name="Rita")
    project = ProjectCenterProject.objects.create(firm=firm, pc_project_id=f"B-{n}", name=f"Bench {n}")
    keyword_lists_add(project)
    return ProjectLink.objects.create(
        firm=firm, project=project, provider="procore", account=account, provider_project_id="1", sync_rfis=False
    )


@pytest.fixture(scope="module", autouse=True)
def print_table():
    yield
    vendor = connection.vendor
    print(f"\n\nSync engine benchmark ({vendor})")
    print(f"{'measure':<78} {'result':>22}  target")
    for name, result, target in RESULTS:
        print(f"{name:<78} {result:>22}  {target}")


def test_ingest_rate_excluding_provider_time(firm):
    link, provider = _link(firm), GeneratedProvider(10_000)
    began = time.perf_counter()
    run = link_sync(link_id=link.pk, clock=Clock(), port=provider)
    seconds = time.perf_counter() - began - provider.seconds
    assert run is not None and run.new == 10_000
    RESULTS.append(
        (f"3. ingest rate, 10,000 items ({connection.vendor})", f"{10_000 / seconds:,.0f} items/s", ">= 2,000")
    )


def test_peak_memory_growth_syncing_50000_items(firm):
    link, provider = _link(firm, 2), GeneratedProvider(50_000)
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    run = link_sync(link_id=link.pk, clock=Clock(), port=provider)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert run is not None and run.new == 50_000
    RESULTS.append(("4. peak memory growth, 50,000 items", f"{(peak - base) / 2**20:,.1f} MB", "< 150 MB"))


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
