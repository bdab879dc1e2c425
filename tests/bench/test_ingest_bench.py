"""Ingest against a raw upsert of the same rows (issue 13, items 6 and 7), run with `BENCH=1 pytest tests/bench -s`.

Honest on purpose: every page commits (the tests run outside a test transaction), each item carries ~3 KB of
provider JSON like a real submittal, and each size is ingested twice, the second time with half the items changed
(updates beside inserts). The baseline, in the same run and on the same table and unique index, is the rows written
with one `executemany` of `INSERT … ON CONFLICT (link, kind, provider_id) DO UPDATE … WHERE content_hash IS DISTINCT
FROM excluded.content_hash`, a commit per page: what a hand-written loader would cost, with no feed, no revisions and
no echo rules. Time spent making the items is left out of both.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Iterator

import pytest
from django.db import connection, transaction

from connector_portal.models import Firm, ProjectCenterProject
from projects.models import ProjectLink, SyncedItem
from projects.services.ingest import content_hash, ingest_page
from providers.models import ProviderAccount
from providers.types import ProviderItem

pytestmark = [
    pytest.mark.skipif(os.environ.get("BENCH") != "1", reason="benchmarks run only with BENCH=1 (make bench)"),
    pytest.mark.django_db(transaction=True),
]
RESULTS: list[tuple[str, str, str]] = []
PAGE = 2_000
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
NOTE = "Shop drawings for the curtain wall at levels 2 to 7, with anchors, brackets and the sealant schedule. " * 12


def _raw(n: int, version: int) -> dict[str, object]:
    """About 3 KB of JSON shaped like a Procore submittal."""
    return {
        "id": n,
        "number": f"05 12 00-{n}",
        "title": f"Shop drawings {n} v{version}",
        "description": NOTE,
        "status": {"id": 1, "name": "Open", "status": "open"},
        "approvers": [
            {"id": n * 10 + k, "user": {"id": k, "name": f"Reviewer {k}", "login": f"r{k}@example.com"}}
            for k in range(4)
        ],
        "attachments": [
            {"id": n * 100 + k, "name": f"sheet-{k}.pdf", "url": f"https://f.example.com/{n}/{k}"} for k in range(3)
        ],
        "specification_section": {"id": 5120, "number": "05 12 00", "description": "Structural steel framing"},
        "updated_at": "2026-03-02T09:00:00Z",
    }


def _items(start: int, count: int, version: int) -> list[ProviderItem]:
    # The second pass changes every other item (a new title): half updates, half unchanged.
    return [
        ProviderItem(
            kind="submittal",
            provider_id=str(n),
            number=f"05 12 00-{n}",
            title=f"Shop drawings {n}" + (f" v{version}" if version and n % 2 else ""),
            status="Open",
            updated_at=T0 + dt.timedelta(minutes=version),
            ball_in_court=("Rita Reviewer",),
            url=f"https://provider.example.com/submittals/{n}",
            raw=_raw(n, version),
        )
        for n in range(start, start + count)
    ]


def _pages(size: int, version: int) -> Iterator[list[ProviderItem]]:
    for start in range(0, size, PAGE):
        yield _items(start, min(PAGE, size - start), version)


def _link(firm: Firm, name: str) -> ProjectLink:
    account = ProviderAccount.objects.create(firm=firm, provider="procore", provider_user_id=name, name="Rita")
    project = ProjectCenterProject.objects.create(firm=firm, pc_project_id=name, name=name)
    return ProjectLink.objects.create(
        firm=firm, project=project, provider="procore", account=account, provider_project_id="1", sync_rfis=False
    )


def _ingest(link: ProjectLink, size: int, version: int) -> float:
    seconds = 0.0
    for items in _pages(size, version):
        began = time.perf_counter()
        with transaction.atomic():
            ingest_page(link=link, kind="submittal", items=items, now=T0 + dt.timedelta(minutes=version))
        seconds += time.perf_counter() - began
    return seconds


UPSERT_COLUMNS = (
    "firm_id",
    "link_id",
    "kind",
    "provider_id",
    "number",
    "revision",
    "title",
    "status",
    "due_date",
    "ball_in_court",
    "url",
    "closed",
    "removed",
    "provider_updated_at",
    "content_hash",
    "content",
    "raw",
    "echo_pending",
    "first_seen_at",
    "changed_at",
)


def _upsert_sql() -> str:
    table = SyncedItem._meta.db_table
    columns = ", ".join(UPSERT_COLUMNS)
    keep = {"firm_id", "link_id", "kind", "provider_id", "first_seen_at"}
    updates = ", ".join(f"{c} = excluded.{c}" for c in UPSERT_COLUMNS if c not in keep)
    return (
        f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(UPSERT_COLUMNS))}) "
        f"ON CONFLICT (link_id, kind, provider_id) DO UPDATE SET {updates} "
        f"WHERE {table}.content_hash IS DISTINCT FROM excluded.content_hash"
    )


def _raw_upsert(link: ProjectLink, size: int, version: int) -> float:
    sql, now = _upsert_sql(), T0 + dt.timedelta(minutes=version)
    stamp = now if connection.vendor == "postgresql" else now.isoformat()
    seconds = 0.0
    for items in _pages(size, version):
        began = time.perf_counter()
        rows = [
            (
                link.firm_id,
                link.pk,
                i.kind,
                i.provider_id,
                i.number,
                i.revision,
                i.title,
                i.status,
                None,
                json.dumps(list(i.ball_in_court)),
                i.url,
                i.closed,
                i.deleted,
                stamp,
                content_hash(i),
                json.dumps(i.content.as_json()),
                json.dumps(i.raw),
                False,
                stamp,
                stamp,
            )
            for i in items
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        seconds += time.perf_counter() - began
    return seconds


@pytest.fixture(scope="module", autouse=True)
def print_table() -> Iterator[None]:
    yield
    print(f"\n\nIngest benchmark ({connection.vendor}; {PAGE:,} a page, a commit each, ~3 KB per item)")
    print(f"{'measure':<66} {'result':>30}  target")
    for name, result, target in RESULTS:
        print(f"{name:<66} {result:>30}  {target}")


@pytest.mark.parametrize("size", [10_000, 50_000, 100_000])
def test_ingest_against_a_raw_upsert_of_the_same_rows(size: int) -> None:
    firm = Firm.objects.create(name=f"Bench {size}", slug=f"bench-{size}")
    ours, theirs = _link(firm, f"ingest-{size}"), _link(firm, f"raw-{size}")

    ingest = _ingest(ours, size, 0) + _ingest(ours, size, 1)
    raw = _raw_upsert(theirs, size, 0) + _raw_upsert(theirs, size, 1)

    assert SyncedItem.objects.filter(link=ours).count() == size == SyncedItem.objects.filter(link=theirs).count()
    per_item, raw_per_item = ingest / (2 * size) * 1e6, raw / (2 * size) * 1e6
    RESULTS.append(
        (
            f"{size:,} items, inserted then half updated: ingest / raw upsert",
            f"{per_item:,.0f} / {raw_per_item:,.0f} µs per item",
            "flat",
        )
    )
    RESULTS.append((f"{size:,} items: raw ÷ ingest (speed ratio)", f"{raw / ingest:.2f}", ">= 0.50"))
    print(f"\n{size:,}: ingest {per_item:,.0f} µs/item, raw {raw_per_item:,.0f} µs/item, ratio {raw / ingest:.2f}")
