"""Two workers at once, on a database that really runs them at once (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from projects.models import FeedEntry, SyncRun
from projects.services import link_sync
from tests.projects.conftest import Clock, FakeProvider

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite runs one writer at a time: concurrent syncs need PostgreSQL (set DATABASE_URL to run this).",
)


def in_thread(target) -> threading.Thread:
    def run() -> None:
        try:
            target()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_two_syncs_of_one_link_at_once_only_one_runs(link, clock: Clock):
    provider = FakeProvider(clock)
    provider.seed("submittal", 6)
    inside, release = threading.Event(), threading.Event()

    def hold_first_page(page: int) -> None:
        if page == 1 and not inside.is_set():
            inside.set()
            release.wait(timeout=10)

    provider.on_page = hold_first_page
    results: list[SyncRun | None] = []
    first = in_thread(lambda: results.append(link_sync(link_id=link.pk, clock=clock, port=provider)))
    assert inside.wait(timeout=10)

    second = link_sync(link_id=link.pk, clock=clock, port=provider)
    release.set()
    first.join(timeout=10)

    assert second is None
    assert results[0] is not None and results[0].new == 6
    assert SyncRun.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_take_consecutive_positions_in_commit_order(firm, make_link, clock: Clock):
    links = [make_link(firm) for _ in range(4)]

    def sync(link) -> None:
        provider = FakeProvider(Clock(clock()), page_size=5)
        provider.seed("rfi", 25)
        link_sync(link_id=link.pk, clock=clock, port=provider)

    threads = [in_thread(lambda link=link: sync(link)) for link in links]
    for thread in threads:
        thread.join(timeout=30)

    positions = list(FeedEntry.objects.filter(firm=firm).order_by("position").values_list("position", flat=True))
    assert positions == list(range(1, 101))
