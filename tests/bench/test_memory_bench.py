"""RSS growth of a fresh worker process syncing 50,000 items with the default settings (issue 13, item 7).

Not tracemalloc in a warm test process with DEBUG off: a new Python process with DEBUG on (the development default)
runs the sync as django-q2's worker loop runs any task, on a database of its own, and reports how far its resident
set grew (peak, VmHWM, over the RSS before the task). Beside it, in the same run, the same process with the worker's
query-log guard disconnected: what a worker kept before. Run with `BENCH=1 pytest tests/bench -s`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.skipif(os.environ.get("BENCH") != "1", reason="benchmarks run only with BENCH=1 (make bench)")
ROOT = Path(__file__).resolve().parents[2]
ITEMS = 50_000
RESULTS: list[tuple[str, str, str]] = []


def _database_url(tmp_path: Path) -> str:
    if connection.vendor != "postgresql":
        tmp_path.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{tmp_path / 'memory.sqlite3'}"
    db = settings.DATABASES["default"]
    server = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}"
    name = f"{db['NAME']}_memory"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def _fresh_worker(tmp_path: Path, *, keep_query_log: bool) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DEBUG", "BENCH"}}
    env["DATABASE_URL"] = _database_url(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.rss_worker", str(ITEMS), "1" if keep_query_log else "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module", autouse=True)
def print_table() -> Iterator[None]:
    yield
    print(f"\n\nMemory benchmark ({connection.vendor}; a fresh worker process, default settings)")
    print(f"{'measure':<70} {'result':>16}  target")
    for name, result, target in RESULTS:
        print(f"{name:<70} {result:>16}  {target}")


def test_rss_growth_of_a_fresh_worker_syncing_50000_items(tmp_path: Path) -> None:
    guarded = _fresh_worker(tmp_path / "a", keep_query_log=False)
    unguarded = _fresh_worker(tmp_path / "b", keep_query_log=True)

    assert guarded["result"] == f"succeeded {ITEMS}" and guarded["debug"] is True
    RESULTS.append(
        (f"RSS growth syncing {ITEMS:,} items (~3 KB each), DEBUG on", f"{guarded['growth_mb']:,.1f} MB", "< 150 MB")
    )
    RESULTS.append(
        ("  the same with the query log kept (before this change)", f"{unguarded['growth_mb']:,.1f} MB", "(baseline)")
    )
    assert float(guarded["growth_mb"]) < 150  # type: ignore[arg-type]
