"""Ingest's writes: a page costs the same few statements whatever its size, and never reads back the raw JSON."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from projects.models import FeedEntry, ProjectLink, SyncedItem
from projects.services.ingest import ingest_page
from providers.types import ProviderItem
from tests.projects.conftest import T0


def _items(count: int, start: int = 0, title: str = "Shop drawings") -> list[ProviderItem]:
    return [
        ProviderItem(
            kind="submittal",
            provider_id=str(n),
            number=f"N-{n}",
            title=f"{title} {n}",
            status="Open",
            updated_at=T0,
            ball_in_court=("Rita Reviewer",),
            url=f"https://provider.example.com/{n}",
            raw={"id": n, "description": "x" * 3000},
        )
        for n in range(start, start + count)
    ]


def _ingest(link: ProjectLink, items: list[ProviderItem]) -> list[str]:
    with CaptureQueriesContext(connection) as ctx, transaction.atomic():
        ingest_page(link=link, kind="submittal", items=items, now=T0 + dt.timedelta(minutes=1))
    return [q["sql"] for q in ctx.captured_queries]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite inserts through bulk_create, in batches of its 999 parameters"
)
def test_a_page_costs_the_same_statements_at_10_and_200_items(link: ProjectLink) -> None:
    small = _ingest(link, _items(10))
    large = _ingest(link, _items(200, start=1000))

    # The savepoint and its release, the lookup, the items, the feed counter, the feed entries, the webhook check.
    assert len(small) == len(large) <= 7


def test_a_page_of_updates_reads_only_what_it_compares_and_writes_each_change_once(link: ProjectLink) -> None:
    _ingest(link, _items(20))
    changed = [
        replace(item, title=f"Revised {item.provider_id}") if n % 2 else item for n, item in enumerate(_items(20))
    ]

    sql = _ingest(link, changed)

    lookup = next(q for q in sql if q.startswith("SELECT") and "projects_synceditem" in q)
    assert '"raw"' not in lookup
    assert FeedEntry.objects.filter(link=link, change="changed").count() == 10
    assert SyncedItem.objects.get(link=link, provider_id="1").title == "Revised 1"
    assert SyncedItem.objects.get(link=link, provider_id="1").raw["description"] == "x" * 3000
    positions = list(FeedEntry.objects.filter(firm=link.firm).order_by("position").values_list("position", flat=True))
    assert positions == list(range(positions[0], positions[0] + 30))


def test_a_page_of_updates_reads_its_items_with_the_same_queries_at_10_and_200_items(link: ProjectLink) -> None:
    def revised(count: int, start: int) -> list[ProviderItem]:
        return [replace(item, title=f"Revised {item.provider_id}") for item in _items(count, start=start)]

    _ingest(link, _items(10))
    _ingest(link, _items(200, start=1000))

    def reads(sql: list[str]) -> list[str]:
        return [q for q in sql if q.startswith("SELECT") and 'FROM "projects_synceditem"' in q]

    small, large = reads(_ingest(link, revised(10, 0))), reads(_ingest(link, revised(200, 1000)))

    assert len(small) == len(large) == 1  # one lookup: nothing deferred is loaded item by item
    assert SyncedItem.objects.get(link=link, provider_id="1199").title == "Revised 1199"
