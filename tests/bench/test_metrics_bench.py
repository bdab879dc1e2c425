"""Metrics scrape benchmark, run with `BENCH=1 pytest tests/bench -s`; skipped otherwise.

One scrape of `/metrics` reads the per-link gauges from the database: its time and its SQL queries with 10,000 links
(and the same query count at 100), in-process through the Django test client, on the current database.
"""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django.fixtures import Settings

from connector_portal.models import Firm, ProjectCenterProject
from projects.models import ProjectLink
from providers.models import ProviderAccount

pytestmark = pytest.mark.skipif(os.environ.get("BENCH") != "1", reason="benchmarks run only with BENCH=1 (make bench)")
TOKEN = "bench-metrics-token"


def _links(firm: Firm, count: int, start: int) -> None:
    account = ProviderAccount.objects.create(
        firm=firm, provider="procore", provider_user_id=f"bench{start}", name="R", access_token="a", refresh_token="r"
    )
    projects = ProjectCenterProject.objects.bulk_create(
        ProjectCenterProject(firm=firm, pc_project_id=f"PC-B{start + n}", name=f"P {n}") for n in range(count)
    )
    synced = timezone.now() - dt.timedelta(minutes=2)
    ProjectLink.objects.bulk_create(
        ProjectLink(
            firm=firm, project=p, provider="procore", account=account, provider_project_id=str(n),
            provider_project_name=f"P {n}", last_synced_at=synced,
        )
        for n, p in enumerate(projects)
    )  # fmt: skip


def _scrape(client: Client) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        seconds = time.perf_counter() - began
    assert response.status_code == 200
    return seconds, len(queries)


def test_a_scrape_with_10000_links(firm: Firm, client: Client, settings: Settings) -> None:
    settings.METRICS_TOKEN = TOKEN
    _links(firm, 100, 0)
    _, queries_at_100 = _scrape(client)
    _links(firm, 9_900, 100)

    seconds, queries = _scrape(client)

    print(f"\n\nMetrics scrape ({connection.vendor}): 10,000 links in {seconds:.2f} s, {queries} SQL queries "
          f"({queries_at_100} at 100 links); target < 2 s, constant")  # fmt: skip
    assert queries == queries_at_100
    assert seconds < 2.0
