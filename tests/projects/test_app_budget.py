"""Autodesk's per-application budget (RFIs 100 and Submittals 600 requests a minute for every firm together,
PROVIDERS.md): the sweep admits due Autodesk links while this minute's polling share has room, holds the rest for a
later sweep in turn, says so on the connection page, and keeps its query count constant in the number of links."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from connector_portal.models import Firm
from projects.constants import POLLING_SHARE_OF_BUDGET
from projects.models import ProjectLink
from projects.selectors import sync_status
from projects.services import sweep_run
from providers.registry import PROVIDERS
from tests.projects.conftest import Clock

MakeLink = Callable[..., ProjectLink]
RFI_ROOM = int(100 * POLLING_SHARE_OF_BUDGET)  # RFI requests a minute the sweep plans for polling


def _queue(calls: object) -> None:
    """Tasks are not run here."""


def _autodesk_links(make_firm: Callable[..., Firm], make_link: MakeLink, clock: Clock, count: int) -> list[int]:
    """`count` due Autodesk links of different firms (one RFI and one submittal request a sync), oldest due first."""
    return [
        make_link(
            make_firm(),
            provider="autodesk",
            last_run_calls=2,
            last_synced_at=clock() - dt.timedelta(hours=1),
            next_sync_at=clock() - dt.timedelta(minutes=count - n),
        ).pk
        for n in range(count)
    ]


def test_autodesk_documents_its_per_application_limits() -> None:
    assert PROVIDERS["autodesk"].app_requests_per_minute == {"rfi": 100, "submittal": 600}
    assert PROVIDERS["procore"].app_requests_per_minute == {}


def test_due_autodesk_links_are_spread_over_sweeps_within_the_shared_rfi_budget(
    make_firm: Callable[..., Firm], make_link: MakeLink, clock: Clock
) -> None:
    links = _autodesk_links(make_firm, make_link, clock, 100)
    procore = [make_link(make_firm(), next_sync_at=clock() - dt.timedelta(minutes=5)).pk for _ in range(80)]

    first = sweep_run(now=clock(), enqueue=_queue)

    autodesk_first = [pk for pk in first.links if pk in links]
    assert autodesk_first == links[:RFI_ROOM]  # the longest overdue first, one RFI request each
    assert first.held == links[RFI_ROOM:]
    assert set(procore) <= set(first.links)  # Procore's limits are per user: its links are not held
    waiting = ProjectLink.objects.filter(shared_budget_wait_since=clock()).values_list("pk", flat=True)
    assert sorted(waiting) == links[RFI_ROOM:]

    second = sweep_run(now=clock.advance(minutes=1), enqueue=_queue)

    assert second.links == links[RFI_ROOM:] and second.held == []  # the held links' turn
    assert not ProjectLink.objects.filter(shared_budget_wait_since__isnull=False).exists()


def test_a_link_needing_more_than_the_whole_budget_still_gets_its_turn(
    firm: Firm, make_link: MakeLink, clock: Clock
) -> None:
    big = make_link(firm, provider="autodesk", last_run_calls=400, next_sync_at=clock() - dt.timedelta(hours=2))
    small = make_link(firm, provider="autodesk", last_run_calls=2, next_sync_at=clock() - dt.timedelta(minutes=1))

    first = sweep_run(now=clock(), enqueue=_queue)
    second = sweep_run(now=clock.advance(minutes=1), enqueue=_queue)

    assert (first.links, first.held) == ([big.pk], [small.pk])
    assert second.links == [small.pk]


def test_the_connection_page_says_when_a_link_waits_for_the_shared_budget(
    make_firm: Callable[..., Firm], make_link: MakeLink, clock: Clock
) -> None:
    links = _autodesk_links(make_firm, make_link, clock, RFI_ROOM + 1)
    sweep_run(now=clock(), enqueue=_queue)
    held = ProjectLink.objects.get(pk=links[-1])
    admitted = ProjectLink.objects.get(pk=links[0])

    status = sync_status(link=held)
    html = render_to_string("projects/_sync_status.html", {"sync_status": status})

    assert status.waiting.startswith("Waiting for Autodesk's shared request budget")
    assert "customers together may make each minute" in html and "nothing needs doing" in html
    assert sync_status(link=admitted).waiting == ""


def test_the_sweep_query_count_stays_constant_with_links_held_for_the_shared_budget(
    make_firm: Callable[..., Firm], make_link: MakeLink, clock: Clock
) -> None:
    def queries_for_a_sweep() -> tuple[int, int]:
        ProjectLink.objects.update(queued_at=None, shared_budget_wait_since=None)
        with CaptureQueriesContext(connection) as ctx:
            result = sweep_run(now=clock(), enqueue=_queue)
        return len(ctx.captured_queries), len(result.held)

    _autodesk_links(make_firm, make_link, clock, RFI_ROOM + 5)
    few, held_few = queries_for_a_sweep()
    _autodesk_links(make_firm, make_link, clock, 150)

    many, held_many = queries_for_a_sweep()

    assert many == few and 0 < held_few < held_many
