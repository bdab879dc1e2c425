from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from connector_portal.models import Firm
from connector_portal.tenancy import get_for_firm_or_404, scoped
from projects.models import FeedEntry, ItemResponse, ProjectLink, SyncedItem, SyncRun

# -- sync engine reads ---------------------------------------------------------------------------------------------

RECENT_RUNS = 12
CHART_WIDTH = 240
CHART_HEIGHT = 48


@dataclass(frozen=True)
class ChartBar:
    x: int
    width: int
    items_y: int
    items_height: int
    errors_y: int
    errors_height: int
    label: str


@dataclass(frozen=True)
class SyncStatus:
    """What the connection page shows about syncing: the state in words, the running sync, the recent runs."""

    link: ProjectLink
    state: str
    reason: str
    running: SyncRun | None
    runs: list[SyncRun]
    chart: list[ChartBar]
    next_sync_at: dt.datetime | None
    refresh_seconds: int | None

    @property
    def is_problem(self) -> bool:
        return self.link.status != ProjectLink.Status.ACTIVE


def _state_words(link: ProjectLink, running: SyncRun | None) -> str:
    if running is not None:
        return "Syncing now" if running.status == SyncRun.Status.RUNNING else "Sync queued"
    if link.status == ProjectLink.Status.PAUSED and link.auto_paused:
        return "Paused after failing for a day"
    return link.get_status_display()


def _chart(runs: list[SyncRun]) -> list[ChartBar]:
    """Bars of items fetched (and errors, in a second colour) per run, oldest on the left."""
    finished = [r for r in reversed(runs) if r.status not in (SyncRun.Status.RUNNING, SyncRun.Status.QUEUED)]
    if not finished:
        return []
    peak = max(max(r.fetched for r in finished), max(r.errors for r in finished), 1)
    slot = CHART_WIDTH // RECENT_RUNS
    bars = []
    for index, run in enumerate(finished):
        items_h = round(CHART_HEIGHT * run.fetched / peak)
        errors_h = round(CHART_HEIGHT * run.errors / peak) if run.errors else 0
        if run.errors and errors_h < 3:
            errors_h = 3  # an error must stay visible next to thousands of items
        bars.append(
            ChartBar(
                x=index * slot,
                width=max(slot - 4, 2),
                items_y=CHART_HEIGHT - items_h,
                items_height=items_h,
                errors_y=CHART_HEIGHT - errors_h,
                errors_height=errors_h,
                label=f"{run.started_at:%d %b %H:%M}: {run.fetched} items, {run.errors} errors",
            )
        )
    return bars


def sync_status(*, link: ProjectLink) -> SyncStatus:
    runs = list(SyncRun.objects.filter(link=link).order_by("-started_at", "-id")[:RECENT_RUNS])
    running = next((r for r in runs if r.status in (SyncRun.Status.RUNNING, SyncRun.Status.QUEUED)), None)
    return SyncStatus(
        link=link,
        state=_state_words(link, running),
        reason=link.status_reason,
        running=running,
        runs=runs,
        chart=_chart(runs),
        next_sync_at=link.next_sync_at,
        refresh_seconds=3 if running is not None else None,
    )


def run_get(*, firm: Firm, run_id: int) -> SyncRun:
    return get_for_firm_or_404(SyncRun.objects.select_related("link"), firm=firm, pk=run_id)


# What a feed page reads of each entry: the snapshot carries the item's fields, so the item row itself is not loaded
# (its `raw` provider JSON can be large).
FEED_FIELDS = (
    "position",
    "change",
    "snapshot",
    "created_at",
    "pc_item_id",
    "acknowledged_at",
    "item_id",
    "link_id",
    "link__provider",
    "link__project_id",
    "link__project__pc_project_id",
)


@dataclass(frozen=True)
class FeedPage:
    entries: list[FeedEntry]
    has_more: bool


def feed_page_get(*, firm: Firm, after: int, limit: int) -> FeedPage:
    """The firm's feed entries after position `after`, oldest first: one query, on the (firm, position) index.

    Positions become visible strictly in order (see projects.services.feed.feed_append), so a reader that asks again
    from the last position it saw never skips an entry that commits later.
    """
    rows = list(
        scoped(FeedEntry.objects.select_related("link__project"), firm=firm)
        .filter(position__gt=after)
        .order_by("position")
        .only(*FEED_FIELDS)[: limit + 1]
    )
    return FeedPage(entries=rows[:limit], has_more=len(rows) > limit)


def project_link_get(*, firm: Firm, project_id: int) -> ProjectLink | None:
    """The project's connection with what the API shows of it (account, project), or None when not connected."""
    return (
        scoped(ProjectLink.objects.select_related("project", "account"), firm=firm)
        .filter(project_id=project_id)
        .first()
    )


def item_get(*, firm: Firm, item_id: int) -> SyncedItem:
    return get_for_firm_or_404(SyncedItem.objects.select_related("link"), firm=firm, pk=item_id)


def response_get(*, firm: Firm, response_id: int) -> ItemResponse:
    return get_for_firm_or_404(ItemResponse.objects.select_related("item", "link"), firm=firm, pk=response_id)


def response_get_by_key(*, firm: Firm, idempotency_key: str) -> ItemResponse | None:
    """The response first recorded with this Idempotency-Key in the firm, if any."""
    return scoped(ItemResponse.objects.all(), firm=firm).filter(idempotency_key=idempotency_key).first()
