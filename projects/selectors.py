from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from connector_portal.models import Firm
from connector_portal.tenancy import get_for_firm_or_404, scoped
from mappings.constants import DEFAULT_RESPONSE_KEYWORDS, normalise
from mappings.matching import MappingCheck
from mappings.models import MappingRow, MappingTable
from mappings.selectors import response_keywords, response_keywords_of_projects, table_check, table_translate
from projects.models import FeedEntry, ItemResponse, ProjectLink, ResponseUpload, SyncedItem, SyncRun
from providers.registry import provider_label
from providers.types import ResponseOption

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
    waiting: str = ""  # why a due sync has not started, in words (the provider's shared budget)

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
        waiting=_waiting_words(link) if running is None else "",
    )


def _waiting_words(link: ProjectLink) -> str:
    if link.shared_budget_wait_since is None:
        return ""
    label = provider_label(link.provider)
    return (
        f"Waiting for {label}'s shared request budget: {label} limits how many requests all of the portal's "
        f"customers together may make each minute, so the portal syncs its connections in turn. This one syncs as "
        f"soon as its turn comes; nothing needs doing."
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


def upload_get(*, firm: Firm, upload_id: int) -> ResponseUpload:
    """One of the firm's response uploads; 404 when missing or another firm's."""
    return get_for_firm_or_404(ResponseUpload.objects.all(), firm=firm, pk=upload_id)


def response_get_by_key(*, firm: Firm, idempotency_key: str) -> ItemResponse | None:
    """The response first recorded with this Idempotency-Key in the firm, if any."""
    return scoped(ItemResponse.objects.all(), firm=firm).filter(idempotency_key=idempotency_key).first()


# -- a link's mapping table ----------------------------------------------------------------------------------------


def link_table_get(*, firm: Firm, link: ProjectLink) -> MappingTable | None:
    """The link's mapping table, or None (a connection made before mappings, or its table deleted in admin)."""
    return scoped(MappingTable.objects.all(), firm=firm).filter(link__pk=link.pk).first()


def _keywords_of_table(table: MappingTable) -> list[str]:
    link = ProjectLink.objects.select_related("project").filter(mapping_table=table).first()
    return response_keywords(project=link.project) if link is not None else list(DEFAULT_RESPONSE_KEYWORDS)


def mapping_check(*, table: MappingTable, options: Sequence[ResponseOption]) -> MappingCheck:
    """Every keyword of a connection's table (its project's keywords) against the provider's live options."""
    return table_check(table=table, keywords=_keywords_of_table(table), options=options)


def mapping_translate(*, table: MappingTable, keyword: str, options: Sequence[ResponseOption]) -> ResponseOption:
    """The provider response to post for a Project Center keyword; raises TranslationError with what to do."""
    return table_translate(table=table, keywords=_keywords_of_table(table), keyword=keyword, options=options)


def allowed_keywords_get(*, firm: Firm, project_of_link: Mapping[int, int]) -> dict[int, list[str]]:
    """Link id -> the Record a Response keywords Project Center may send for its submittals, in Project Center's order.

    `project_of_link` maps each link's id to its project's id. A keyword is allowed when it is one of the project's
    Record a Response keywords and the link's mapping table maps it to a provider response. Two queries whatever the
    number of links (a feed page needs it for up to 100).
    """
    if not project_of_link:
        return {}
    keywords = response_keywords_of_projects(firm=firm, project_ids=set(project_of_link.values()))
    mapped: dict[int, set[str]] = defaultdict(set)
    for link_id, keyword in (
        scoped(MappingRow.objects.all(), firm=firm)
        .filter(table__link__pk__in=list(project_of_link))
        .exclude(standard="")
        .values_list("table__link__pk", "keyword")
    ):
        mapped[link_id].add(normalise(keyword))
    return {
        link_id: [k for k in keywords[project_id] if normalise(k) in mapped[link_id]]
        for link_id, project_id in project_of_link.items()
    }
