"""Change-feed benchmark (issue 7), run with `BENCH=1 pytest tests/bench -s`; skipped otherwise.

The latency of `GET /api/v1/feed/` for a page of 100 entries when the firm has 100,000 items in its feed, through the
Django test client in-process (authentication, throttling, the page and its JSON): p50 and p95 over pages read from
cursors spread over the whole feed, on the current database (SQLite, or PostgreSQL with DATABASE_URL).
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connector_portal.models import Firm
from connector_portal.services import service_token_create
from tests.api.conftest import bearer_client
from tests.api.feedfill import feed_fill

pytestmark = pytest.mark.skipif(os.environ.get("BENCH") != "1", reason="benchmarks run only with BENCH=1 (make bench)")
RESULTS: list[tuple[str, str, str]] = []
ITEMS = 100_000
PAGES = 200


@pytest.fixture(scope="module", autouse=True)
def print_table() -> Iterator[None]:
    yield
    print(f"\n\nChange feed benchmark ({connection.vendor})")
    print(f"{'measure':<58} {'result':>16}  target")
    for name, result, target in RESULTS:
        print(f"{name:<58} {result:>16}  {target}")


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def test_feed_page_latency_at_100000_items(firm: Firm, settings: object) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api": "1000000/minute"}}  # type: ignore[attr-defined]
    feed_fill(firm, items=ITEMS, links=40)
    api = bearer_client(service_token_create(firm=firm)[1])
    cursors = random.Random(7).sample(range(ITEMS - 100), PAGES)  # repeatable, spread over the whole feed
    api.get("/api/v1/feed/", {"page_size": 1})  # warm up: the token's first use, imports, connection

    seconds: list[float] = []
    for cursor in cursors:
        began = time.perf_counter()
        response = api.get("/api/v1/feed/", {"cursor": cursor, "page_size": 100})
        seconds.append(time.perf_counter() - began)
        assert response.status_code == 200 and len(response.json()["entries"]) == 100
    with CaptureQueriesContext(connection) as ctx:
        api.get("/api/v1/feed/", {"cursor": ITEMS // 2, "page_size": 100})

    p50, p95 = _percentile(seconds, 0.50), _percentile(seconds, 0.95)
    RESULTS.append((f"feed page of 100 at {ITEMS:,} items: p50", f"{p50 * 1000:,.1f} ms", "(reported)"))
    RESULTS.append((f"feed page of 100 at {ITEMS:,} items: p95", f"{p95 * 1000:,.1f} ms", "(reported)"))
    RESULTS.append(("feed page of 100: SQL queries (incl. auth, throttle)", f"{len(ctx.captured_queries)}", "constant"))
    assert statistics.median(seconds) < 1.0  # a sanity bound: a regression to a scan would be far slower
