"""The sweep: every half minute (SWEEP_EVERY), close what dead workers left behind (runs, responses being sent),
then queue a sync for each link that is due or poked, within each account's rate budget and
within the provider's per-application budget (Autodesk's RFI and Submittal APIs count every firm's requests together).

It reads all syncable links in one query and decides in Python, so its query count stays the same for ten links or
ten thousand; the queued links are marked with one UPDATE, the links held back for the shared budget with another, and
the tasks written with one INSERT.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from projects.constants import (
    DEFAULT_HOURLY_LIMITS,
    DUE_TOLERANCE,
    POLLING_SHARE_OF_BUDGET,
    QUEUE_GRACE,
)
from projects.models import ItemResponse, ProjectLink, SyncRun
from projects.queue import Call, enqueue_many
from projects.services.attachments import attachments_stalled
from projects.services.pull import planned_interval, runs_close_interrupted
from projects.services.push import WAITING_LINK_STATUSES, responses_resume_orphaned
from providers.models import ProviderAccount
from providers.registry import PROVIDERS
from providers.types import ItemKind

SYNC_TASK = "projects.tasks.sync_link"
DELIVER_TASK = "projects.tasks.deliver_response"
UPDATE_CHUNK = 20_000  # under SQLite's limit of bound variables per statement


@dataclass(frozen=True)
class SweepResult:
    links: list[int]
    responses: list[int]
    held: list[int] = field(default_factory=list)  # due, but waiting for the provider's shared per-app budget
    files: list[int] = field(default_factory=list)  # pending files whose download was lost, queued again


@dataclass(frozen=True)
class _Candidate:
    id: int
    account_id: int
    provider: str
    interval: int
    calls: int
    next_sync_at: dt.datetime | None
    poked: bool  # or never synced: due at once, whatever the account's budget
    limit: int | None
    kinds: tuple[ItemKind, ...]  # the kinds the link syncs

    def app_calls(self) -> dict[ItemKind, int]:
        """Requests a sync is expected to make of each kind's API: its last run's, shared among its kinds."""
        each = -(-self.calls // len(self.kinds)) if self.kinds else 0
        return {kind: each for kind in self.kinds}


def _kinds(*, submittals: bool, rfis: bool) -> tuple[ItemKind, ...]:
    kinds: list[ItemKind] = []
    if submittals:
        kinds.append("submittal")
    if rfis:
        kinds.append("rfi")
    return tuple(kinds)


def _syncable_links(now: dt.datetime, *, account_id: int | None = None) -> list[_Candidate]:
    links = ProjectLink.objects.filter(firm__is_active=True)
    if account_id is not None:
        links = links.filter(account_id=account_id)
    rows = (
        links.filter(
            Q(status__in=[ProjectLink.Status.ACTIVE, ProjectLink.Status.FAILING, ProjectLink.Status.BLOCKED])
            | Q(status=ProjectLink.Status.PAUSED, auto_paused=True)
            | Q(status=ProjectLink.Status.CONNECTION_LOST, account__status=ProviderAccount.Status.ACTIVE)
        )
        .filter(Q(sync_submittals=True) | Q(sync_rfis=True))
        .values_list(
            "id",
            "account_id",
            "provider",
            "sync_interval",
            "webhook_healthy",
            "last_run_calls",
            "sync_submittals",
            "sync_rfis",
            "next_sync_at",
            "poked_at",
            "retry_after_until",
            "lease_until",
            "queued_at",
            "account__rate_budget__hourly_limit",
        )
    )
    candidates = []
    for (
        id_,
        account,
        provider,
        interval,
        hooked,
        calls,
        subs,
        rfis,
        next_at,
        poked,
        retry,
        lease,
        queued,
        limit,
    ) in rows:
        busy = (lease and lease > now) or (queued and queued > now - QUEUE_GRACE) or (retry and retry > now)
        candidates.append(
            _Candidate(
                id=id_,
                account_id=account,
                provider=provider,
                interval=planned_interval(sync_interval=interval, webhook_healthy=hooked),
                calls=max(calls, int(subs) + int(rfis)),
                next_sync_at=None if busy else (next_at or now),
                poked=bool(poked or next_at is None) and not busy,
                limit=limit,
                kinds=_kinds(submittals=subs, rfis=rfis),
            )
        )
    return candidates


def _stretch_factors(candidates: Sequence[_Candidate]) -> dict[int, float]:
    """Per account: how much its links' intervals must stretch so planned polling fits the budget (>= 1)."""
    planned: dict[int, float] = defaultdict(float)
    limits: dict[int, int] = {}
    for c in candidates:
        planned[c.account_id] += 3600 / c.interval * c.calls
        limits[c.account_id] = c.limit or DEFAULT_HOURLY_LIMITS.get(c.provider, 1000)
    return {account: max(1.0, load / (limits[account] * POLLING_SHARE_OF_BUDGET)) for account, load in planned.items()}


def account_poll_stretch(*, account_id: int, now: dt.datetime) -> float:
    """How much the sweep stretches this account's links' intervals to keep their polling within its budget (1: not
    at all). What the connection page says when a link is polled more slowly than its interval."""
    return _stretch_factors(_syncable_links(now, account_id=account_id)).get(account_id, 1.0)


def due_links(*, now: dt.datetime) -> tuple[list[int], list[int]]:
    """(links to sync now, due links held back for the provider's shared per-application budget)."""
    candidates = _syncable_links(now)
    factors = _stretch_factors(candidates)
    due: list[_Candidate] = []
    for c in candidates:
        if c.next_sync_at is None:
            continue  # leased, queued or waiting for the provider's Retry-After
        stretch = dt.timedelta(seconds=c.interval * (factors[c.account_id] - 1))
        if c.poked or c.next_sync_at + stretch <= now + DUE_TOLERANCE:
            due.append(c)
    return _within_app_budgets(due)


def _within_app_budgets(due: list[_Candidate]) -> tuple[list[int], list[int]]:
    """Admit due links while each provider's per-application budget for this minute has room, poked links first and
    then the longest overdue, so that every link gets its turn; the rest are held for a later sweep. Only the polling
    share of the budget is planned (answers and people's pages use the rest); the first link of a provider is always
    admitted, however many requests it needs, so none waits for ever."""
    budgets = {key: cls.app_requests_per_minute for key, cls in PROVIDERS.items() if cls.app_requests_per_minute}
    used: dict[str, dict[ItemKind, int]] = {key: defaultdict(int) for key in budgets}
    admitted, held = [], []
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    for c in sorted(due, key=lambda c: (not c.poked, c.next_sync_at or far, c.id)):
        budget = budgets.get(c.provider)
        if budget is None:
            admitted.append(c.id)
            continue
        spent, calls = used[c.provider], c.app_calls()
        room = all(spent[kind] + n <= budget.get(kind, 0) * POLLING_SHARE_OF_BUDGET for kind, n in calls.items())
        if room or not any(spent.values()):
            for kind, n in calls.items():
                spent[kind] += n
            admitted.append(c.id)
        else:
            held.append(c.id)
    return admitted, held


def due_responses(*, now: dt.datetime) -> list[int]:
    return list(
        ItemResponse.objects.filter(status=ItemResponse.Status.PENDING, next_attempt_at__lte=now)
        .exclude(link__status__in=WAITING_LINK_STATUSES)
        .exclude(reviewer__status__in=[ProviderAccount.Status.NEEDS_REAUTH, ProviderAccount.Status.REVOKED])
        .values_list("id", flat=True)
    )


def sweep_run(
    *, now: dt.datetime | None = None, enqueue: Callable[[Sequence[Call]], None] = enqueue_many
) -> SweepResult:
    """Queue the due syncs and deliveries, and the downloads that were lost. Running it twice in a row queues nothing
    the second time."""
    now = now or timezone.now()
    runs_close_interrupted(now=now)
    responses_resume_orphaned(now=now)
    links, held = due_links(now=now)
    for start in range(0, len(links), UPDATE_CHUNK):
        chunk = links[start : start + UPDATE_CHUNK]
        ProjectLink.objects.filter(pk__in=chunk).update(queued_at=now, shared_budget_wait_since=None)
    for start in range(0, len(held), UPDATE_CHUNK):
        chunk = held[start : start + UPDATE_CHUNK]
        ProjectLink.objects.filter(pk__in=chunk, shared_budget_wait_since__isnull=True).update(
            shared_budget_wait_since=now
        )
    responses = due_responses(now=now)
    if responses:
        # Not queued again by the next sweep while this task waits for a worker.
        ItemResponse.objects.filter(pk__in=responses).update(next_attempt_at=now + QUEUE_GRACE)
    files = attachments_stalled(now=now)
    calls = [(SYNC_TASK, (link_id,)) for link_id in links] + [(DELIVER_TASK, (rid,)) for rid in responses]
    enqueue(calls + files.calls())
    return SweepResult(links=links, responses=responses, held=held, files=files.ids)


def sync_run_queue(*, link: ProjectLink, now: dt.datetime | None = None) -> SyncRun:
    """Queue a sync of the link now and answer its queued run, whose progress people can follow.

    The engine's half of “Sync now” and of a new link's first sync; who may ask, and the audit, live in
    `projects.services.links`. Asking again while a run waits answers that same run.
    """
    now = now or timezone.now()
    run = SyncRun.objects.filter(link=link, status=SyncRun.Status.QUEUED).first()
    if run is None:
        run = SyncRun.objects.create(firm_id=link.firm_id, link=link, status=SyncRun.Status.QUEUED, started_at=now)
    ProjectLink.objects.filter(pk=link.pk).update(poked_at=now)
    enqueue_many([(SYNC_TASK, (link.pk,))])
    return run


def link_poke(*, link_id: int, now: dt.datetime) -> None:
    """A provider said something changed: the next sweep (or the task queued now) syncs the link."""
    ProjectLink.objects.filter(pk=link_id).update(poked_at=now)
