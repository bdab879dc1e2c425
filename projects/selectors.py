from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from connector_portal.dates import at_time
from connector_portal.models import Firm, ProjectCenterProject
from connector_portal.tenancy import get_for_firm_or_404, scoped
from mappings.constants import DEFAULT_RESPONSE_KEYWORDS, normalise
from mappings.matching import MappingCheck
from mappings.models import MappingRow, MappingTable
from mappings.selectors import response_keywords, response_keywords_of_projects, table_check, table_translate
from projects.constants import LEASE
from projects.models import (
    Attachment,
    FeedEntry,
    ItemResponse,
    LinkReviewer,
    ProjectContact,
    ProjectLink,
    ResponseUpload,
    SyncedItem,
    SyncRun,
)
from projects.selectors_chart import RunRow, SyncChart, run_rows, sync_chart
from providers.models import ProviderAccount
from providers.types import ResponseOption

# -- sync engine reads ---------------------------------------------------------------------------------------------

RECENT_RUNS = 12


@dataclass(frozen=True)
class PollingPace:
    """How often the sweep really polls a link: its planned interval, stretched when its account's connections
    together would use more of the provider's hourly request limit than the portal allows itself."""

    planned: int  # seconds: the link's interval, or the webhook safety net's while its provider webhook works
    effective: int  # seconds the sweep really leaves between two polls

    @property
    def slowed_by_budget(self) -> bool:
        return self.effective > self.planned


@dataclass(frozen=True)
class SyncStatus:
    """What the connection page shows about syncing: the state in words, the running sync, the recent runs."""

    link: ProjectLink
    state: str
    reason: str
    running: SyncRun | None
    runs: list[SyncRun]
    chart: SyncChart | None
    next_sync_at: dt.datetime | None
    refresh_seconds: int | None
    waiting: str = ""  # why a due sync has not started, in words (the provider's shared budget)
    next_sync: str = ""  # when the next sync really starts and why, in words
    slowed: str = ""  # why the link is polled less often than its interval, in words (the account's budget)
    pace: PollingPace | None = None  # the same in figures (the API's)
    run_rows: list[RunRow] = field(default_factory=list)  # the Recent syncs table, long reasons kept out of rows
    run_notes: list[str] = field(default_factory=list)  # those reasons, each once, numbered as the rows cite them

    @property
    def is_problem(self) -> bool:
        return self.link.status != ProjectLink.Status.ACTIVE


def _state_words(link: ProjectLink, running: SyncRun | None) -> str:
    if running is not None:
        return "Syncing now" if running.status == SyncRun.Status.RUNNING else "Sync queued"
    if link.status == ProjectLink.Status.PAUSED and link.auto_paused:
        return "Paused after failing for a day"
    return link.get_status_display()


def run_is_current(run: SyncRun, now: dt.datetime) -> bool:
    """Queued, or running with a live heartbeat. A running run whose heartbeat stopped for longer than the lease lost
    its worker: it is never shown as current, even before the sweep closes it as interrupted."""
    if run.status == SyncRun.Status.QUEUED:
        return True
    beat = run.heartbeat_at or run.started_at
    return run.status == SyncRun.Status.RUNNING and beat > now - LEASE


def sync_status(*, link: ProjectLink, now: dt.datetime | None = None) -> SyncStatus:
    now = now or timezone.now()
    runs = list(SyncRun.objects.filter(link=link).order_by("-started_at", "-id")[:RECENT_RUNS])
    running = next((r for r in runs if run_is_current(r, now)), None)
    waiting = _waiting_words(link) if running is None else ""
    pace = polling_pace(link=link, now=now)
    rows, notes = run_rows(runs)
    return SyncStatus(
        link=link,
        state=_state_words(link, running),
        reason=link.status_reason,
        running=running,
        runs=runs,
        chart=sync_chart(runs),
        next_sync_at=link.next_sync_at,
        refresh_seconds=3 if running is not None else None,
        waiting=waiting,
        next_sync=next_sync_words(link=link, now=now) if running is None else "",
        slowed=polling_slowed_words(link=link, pace=pace),
        pace=pace,
        run_rows=rows,
        run_notes=notes,
    )


def polling_pace(*, link: ProjectLink, now: dt.datetime) -> PollingPace:
    from projects.services.pull import poll_interval
    from projects.services.sweep import account_poll_stretch

    planned = poll_interval(link)
    stretch = account_poll_stretch(account_id=link.account_id, now=now)
    return PollingPace(planned=planned, effective=round(planned * stretch) if stretch > 1.0 else planned)


def polling_slowed_words(*, link: ProjectLink, pace: PollingPace) -> str:
    """Words for a link polled less often than its interval to keep its account within the provider's budget."""
    if not pace.slowed_by_budget:
        return ""
    label = link.provider_name
    return (
        f"Polled about every {pace.effective} s instead of every {pace.planned} s: this {label} account's "
        f"connections together would otherwise use more of its hourly request limit than the portal allows itself. "
        f"Changes take longer to arrive; syncing fewer connections with this account speeds them up again."
    )


def _in(moment: dt.datetime, now: dt.datetime) -> str:
    # The sweep starts due syncs every 30 s, so a due sync starts within the minute after its time.
    minutes = max(0, round((moment - now).total_seconds() / 60))
    when = "within a minute" if minutes < 1 else f"in about {minutes} minute{'s' if minutes != 1 else ''}"
    return f"{when} (at {at_time(moment)})" if minutes >= 1 else when


def next_sync_words(*, link: ProjectLink, now: dt.datetime) -> str:
    """When the next sync starts and why, as the sweep will really decide it (projects.services.sweep)."""
    from projects.services.pull import poll_interval

    label = link.provider_name
    if link.status == ProjectLink.Status.PAUSED and not link.auto_paused:
        return "No sync is planned while the connection is paused. Press Resume to sync again."
    if link.status == ProjectLink.Status.CONNECTION_LOST:
        return f"No sync is planned until the receiving user signs in to {label} again (Reconnect)."
    due = link.next_sync_at or now
    if link.retry_after_until and link.retry_after_until > due:
        due = link.retry_after_until
        return f"Next sync {_in(due, now)}: {label} asked the portal to wait until then."
    if link.status in (ProjectLink.Status.FAILING, ProjectLink.Status.BLOCKED) or link.auto_paused:
        return f"Next sync {_in(due, now)}: the portal tries again after the last problem."
    every = _every(poll_interval(link))
    if link.webhook_healthy:
        return (
            f"Next planned sync {_in(due, now)}. {label}'s webhook brings new and changed items within seconds; "
            f"the portal also asks every {every} as a safety net."
        )
    return f"Next sync {_in(due, now)}: the portal asks {label} for changes every {every}."


def _every(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{round(seconds / 60)} minutes"


def _waiting_words(link: ProjectLink) -> str:
    if link.shared_budget_wait_since is None:
        return ""
    label = link.provider_name
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
    "origin",
    "snapshot",
    "created_at",
    "pc_item_id",
    "acknowledged_at",
    "item_id",
    "link_id",
    "link__account_id",
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


def attachments_of_items(*, firm: Firm, item_ids: Sequence[int]) -> dict[int, list[Attachment]]:
    """The files each item holds now (not those removed upstream), with their blobs: one query."""
    found: dict[int, list[Attachment]] = defaultdict(list)
    rows = scoped(Attachment.objects.select_related("blob"), firm=firm).filter(item_id__in=item_ids, removed=False)
    for row in rows.order_by("item_id", "place", "id"):
        found[row.item_id].append(row)
    return found


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


# -- receiving users (reviewers) -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reviewer:
    """One receiving user of a link as the pages show them: their account and their Project Center contact."""

    account: ProviderAccount
    contact: ProjectContact | None
    is_first: bool  # the one who connected the link (ProjectLink.account)
    reviewer_id: int | None  # the LinkReviewer row of a further reviewer (None for the first)

    @property
    def name(self) -> str:
        return self.account.name or self.account.email or self.account.provider_user_id

    @property
    def must_reconnect(self) -> bool:
        return self.account.status != ProviderAccount.Status.ACTIVE

    @property
    def no_contact_words(self) -> str:
        """The warning when Project Center lists no contact with this reviewer's e-mail ('' when it does)."""
        if self.contact is not None:
            return ""
        email = self.account.email or "no e-mail address"
        return (
            f"{self.name} ({email}) is not a contact of this Project Center project's team: items for them arrive, "
            "but Project Center cannot assign them to anyone. Add them to the project team in Project Center with "
            "the same e-mail address."
        )


def link_reviewer_accounts(*, link: ProjectLink) -> list[ProviderAccount]:
    """Every receiving user's account, the one who connected the link first (one query)."""
    extra = LinkReviewer.objects.filter(firm_id=link.firm_id, link=link).select_related("account").order_by("id")
    return [link.account, *(row.account for row in extra)]


def links_received_by(*, account: ProviderAccount) -> list[ProjectLink]:
    """Every link of the account's firm on which it is a receiving user (the first or a further one), by project."""
    return list(
        ProjectLink.objects.filter(firm_id=account.firm_id)
        .filter(Q(account=account) | Q(reviewers__account=account))
        .select_related("project", "account")
        .distinct()
        .order_by("project__pc_project_id")
    )


def link_reviewer_ids(*, link: ProjectLink) -> dict[str, int]:
    """Provider user id -> account id of every receiving user: whose item a listed item is."""
    return {a.provider_user_id: a.pk for a in link_reviewer_accounts(link=link)}


def link_reviewers(*, link: ProjectLink) -> list[Reviewer]:
    """The receiving users with their Project Center contacts, matched by e-mail (case-insensitive); two queries."""
    extra = list(LinkReviewer.objects.filter(firm_id=link.firm_id, link=link).select_related("account").order_by("id"))
    contacts = {c.email: c for c in ProjectContact.objects.filter(firm_id=link.firm_id, project_id=link.project_id)}
    rows = [(link.account, None), *((row.account, row.pk) for row in extra)]
    return [
        Reviewer(account=a, contact=contacts.get(a.email.lower()), is_first=rid is None, reviewer_id=rid)
        for a, rid in rows
    ]


def reviewer_of(*, project: ProjectCenterProject, account: ProviderAccount) -> Reviewer:
    """A person about to receive a project's items (the wizard, adding a reviewer), with their contact if any."""
    contact = ProjectContact.objects.filter(
        firm_id=project.firm_id, project=project, email=account.email.lower()
    ).first()
    return Reviewer(account=account, contact=contact if account.email else None, is_first=False, reviewer_id=None)


@dataclass(frozen=True)
class ItemReviewer:
    """Whom a feed entry's item is for: the receiving user and their Project Center contact (None when unmatched)."""

    name: str
    email: str
    contact: ProjectContact | None


def feed_reviewers(*, firm: Firm, entries: Sequence[FeedEntry]) -> dict[int, ItemReviewer]:
    """Position -> the reviewer of each entry's item, in two queries whatever the page's size."""
    account_of = {e.position: (e.snapshot or {}).get("reviewer_id") or e.link.account_id for e in entries}
    accounts = {a.pk: a for a in ProviderAccount.objects.filter(firm=firm, pk__in=set(account_of.values()))}
    emails = {a.email.lower() for a in accounts.values() if a.email}
    projects = {e.link.project_id for e in entries}
    contacts = {
        (c.project_id, c.email): c
        for c in ProjectContact.objects.filter(firm=firm, project_id__in=projects, email__in=emails)
    }
    found: dict[int, ItemReviewer] = {}
    for entry in entries:
        account = accounts.get(account_of[entry.position])
        if account is None:
            continue
        contact = contacts.get((entry.link.project_id, account.email.lower())) if account.email else None
        found[entry.position] = ItemReviewer(account.name or account.provider_user_id, account.email, contact)
    return found


def project_contacts(*, firm: Firm, project_id: int) -> list[ProjectContact]:
    return list(ProjectContact.objects.filter(firm=firm, project_id=project_id).order_by("email"))
