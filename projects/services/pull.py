"""Pull: bring a link's submittals and RFIs in, page by page, one feed entry per real change."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import cast

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from connector_portal import logcontext
from connector_portal.metrics import SYNC_RUNS
from projects.constants import LEASE, LOOKBACK, RECONCILE_INTERVAL, WEBHOOK_SAFETY_NET_INTERVAL
from projects.models import FeedEntry, ProjectLink, SyncedItem, SyncRun
from projects.ports import ProviderPort, held_kinds, provider_port_for
from projects.selectors import link_reviewer_ids
from projects.services.feed import feed_append
from projects.services.health import (
    account_mark_needs_reauth,
    link_record_failure,
    link_record_success,
    reviewer_lost_notify,
)
from projects.services.ingest import REMOVED_FIELDS, PageCounts, ingest_page, item_mark_removed
from projects.services.lease import (
    KeepAlive,
    LeaseHeartbeat,
    LeaseLost,
    keep_alive_for,
    lease_acquire,
    lease_release,
)
from providers.errors import NeedsReauthorization, ProviderError
from providers.http import on_each_attempt
from providers.types import ItemKind

logger = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]


def _record_page(run: SyncRun, counts: PageCounts, calls: int, now: dt.datetime) -> None:
    updates = {
        "fetched": F("fetched") + counts.fetched,
        "new": F("new") + counts.new,
        "changed": F("changed") + counts.changed,
        "unchanged": F("unchanged") + counts.unchanged,
        "removed": F("removed") + counts.removed,
        "not_for_user": F("not_for_user") + counts.not_for_user,
        "provider_calls": F("provider_calls") + calls,
        "pages_done": F("pages_done") + 1,
    }
    SyncRun.objects.filter(pk=run.pk).update(**updates, heartbeat_at=now)
    for name in ("fetched", "new", "changed", "unchanged", "removed", "not_for_user", "pages_done"):
        setattr(run, name, getattr(run, name) + (1 if name == "pages_done" else getattr(counts, name)))
    run.provider_calls += calls


def pull_kind(
    *,
    link: ProjectLink,
    kind: ItemKind,
    port: ProviderPort,
    run: SyncRun,
    heartbeat: LeaseHeartbeat,
    clock: Clock,
    full: bool = False,
    reviewers: Mapping[str, int] | None = None,
) -> None:
    """Every page of items of `kind` changed since the cursor (minus the look-back); with `full`, every item.

    Each page commits with its items and feed entries. The cursor moves only when every page is in: providers page
    in their own order, not by `updated_at`, so an earlier cursor is the only one that can never skip an item. A
    crashed run is therefore simply run again; re-read items match their stored hash and add nothing.
    A full listing also finds the stored items the provider no longer lists: they were deleted upstream.
    """
    cursor = link.cursor_for(kind)
    since = cursor - LOOKBACK if cursor and not full else None
    listed: set[str] = set()
    started = clock()
    newest = cursor
    first_page = True
    for page in port.pages(kind, since):
        now = clock()
        with transaction.atomic():
            counts = ingest_page(link=link, kind=kind, items=page.items, now=now, reviewers=reviewers)
            heartbeat.beat(now)  # LeaseLost when another worker took over: this page is not committed
        if first_page and page.total is not None:
            run.expected_items = (run.expected_items or 0) + page.total
            SyncRun.objects.filter(pk=run.pk).update(expected_items=run.expected_items)
        first_page = False
        _record_page(run, counts, page.calls, now)
        listed.update(i.provider_id for i in page.items)
        seen = max((i.updated_at for i in page.items), default=None)
        if seen is not None and (newest is None or seen > newest):
            newest = seen
    if since is None:
        removed = _mark_unlisted_removed(link, kind, listed, clock())
        SyncRun.objects.filter(pk=run.pk).update(removed=F("removed") + removed)
        run.removed += removed
    if newest is not None and newest != cursor:
        # Never past the run's start: an item changed while we paged may have slipped between offset pages.
        new_cursor = min(newest, started)
        if cursor is not None:
            new_cursor = max(new_cursor, cursor)
        setattr(link, f"{kind}_cursor", new_cursor)
        ProjectLink.objects.filter(pk=link.pk).update(**{f"{kind}_cursor": new_cursor})


def _mark_unlisted_removed(link: ProjectLink, kind: str, listed: set[str], now: dt.datetime) -> int:
    """After a full listing: a stored item missing from two full listings in a row was deleted upstream.

    One miss is not enough: an offset-paged list can skip a row when another is deleted while we page.
    """
    with transaction.atomic():
        stored = SyncedItem.objects.filter(link=link, kind=kind, removed=False).only("id", "provider_id", "unlisted_at")
        back, first_miss, gone = [], [], []
        for item in stored.iterator(chunk_size=2000):
            if item.provider_id in listed:
                if item.unlisted_at is not None:
                    item.unlisted_at = None
                    back.append(item)
            elif item.unlisted_at is None:
                item.unlisted_at = now
                first_miss.append(item)
            else:
                item_mark_removed(item, now)
                gone.append(item)
        SyncedItem.objects.bulk_update(back + first_miss, ["unlisted_at"], batch_size=1000)
        SyncedItem.objects.bulk_update(gone, REMOVED_FIELDS, batch_size=1000)
        feed_append(firm_id=link.firm_id, changes=[(item, FeedEntry.Change.REMOVED) for item in gone], now=now)
    return len(gone)


def planned_interval(*, sync_interval: int, webhook_healthy: bool) -> int:
    """Seconds between planned polls. A link whose provider webhook works is polled only as a slow safety net."""
    if webhook_healthy:
        return max(sync_interval, WEBHOOK_SAFETY_NET_INTERVAL)
    return max(sync_interval, 1)


def poll_interval(link: ProjectLink) -> int:
    return planned_interval(sync_interval=link.sync_interval, webhook_healthy=link.webhook_healthy)


INTERRUPTED_WORDS = (
    "Interrupted: the worker running this sync stopped (it was restarted or crashed). Every page it had saved is "
    "kept, and the next sync carried on from there; nothing needs doing."
)
TAKEN_OVER_WORDS = (
    "Interrupted: this sync was so slow that another worker took the connection over. What it had saved is kept; "
    "nothing needs doing."
)


def runs_close_interrupted(*, now: dt.datetime, link_id: int | None = None) -> int:
    """Close the runs whose worker died: running, with no heartbeat for longer than the lease (a live sync's heartbeat
    thread beats every 10 s). Pages and the sweep never show them as current again."""
    lapsed = now - LEASE  # a heartbeat holds until LEASE after it, that moment excluded (as the lease does)
    dead = SyncRun.objects.filter(status=SyncRun.Status.RUNNING).filter(
        Q(heartbeat_at__lte=lapsed) | Q(heartbeat_at__isnull=True, started_at__lte=lapsed)
    )
    if link_id is not None:
        dead = dead.filter(link_id=link_id)
    return dead.update(status=SyncRun.Status.INTERRUPTED, finished_at=now, message=INTERRUPTED_WORDS)


def _start_run(link: ProjectLink, now: dt.datetime) -> SyncRun:
    # This sync holds the lease: a run of the link still marked running lost its worker.
    SyncRun.objects.filter(link=link, status=SyncRun.Status.RUNNING).update(
        status=SyncRun.Status.INTERRUPTED, finished_at=now, message=INTERRUPTED_WORDS
    )
    queued = SyncRun.objects.filter(link=link, status=SyncRun.Status.QUEUED).order_by("id").first()
    if queued is not None:
        queued.status = SyncRun.Status.RUNNING
        queued.started_at = now
        queued.heartbeat_at = now
        queued.save(update_fields=["status", "started_at", "heartbeat_at"])
        return queued
    return SyncRun.objects.create(firm_id=link.firm_id, link=link, started_at=now, heartbeat_at=now)


def _finish(run: SyncRun, status: str, message: str, now: dt.datetime, *, provider: str = "") -> None:
    run.status = status
    run.message = message
    run.finished_at = now
    run.save(update_fields=["status", "message", "finished_at", "errors", "held_kinds"])
    SYNC_RUNS.labels(provider=provider or run.link.provider, outcome=status).inc()


def link_is_syncable(link: ProjectLink) -> bool:
    paused_by_a_person = link.status == ProjectLink.Status.PAUSED and not link.auto_paused  # only they resume it
    return link.firm.is_active and not paused_by_a_person


def link_sync(
    *,
    link_id: int,
    clock: Clock = timezone.now,
    port: ProviderPort | None = None,
    keep_alive: KeepAlive[LeaseHeartbeat] | None = None,
) -> SyncRun | None:
    """Sync one link now. Answers None at once when another sync of the link holds the lease (or it is paused).

    While it runs, `keep_alive` renews its lease (by default the heartbeat thread, see `keep_alive_for`)."""
    owner = lease_acquire(link_id=link_id, now=clock())
    if owner is None:
        return None
    try:
        link = ProjectLink.objects.select_related("firm", "account", "project").get(pk=link_id)
        logcontext.bind(firm_id=link.firm_id, link_id=link.pk, run_id=None)
        if not link_is_syncable(link):
            SyncRun.objects.filter(link=link, status=SyncRun.Status.QUEUED).update(
                status=SyncRun.Status.RESCHEDULED, finished_at=clock(), message="Not run: syncing is paused."
            )
            return None
        heartbeat = LeaseHeartbeat(link_id=link_id, owner=owner, clock=clock)
        with (keep_alive or keep_alive_for(clock))(heartbeat), on_each_attempt(heartbeat):
            return _sync(link, heartbeat, clock, port)
    finally:
        lease_release(link_id=link_id, owner=owner)


def _pull_kinds(
    link: ProjectLink,
    kinds: list[ItemKind],
    port: ProviderPort,
    run: SyncRun,
    heartbeat: LeaseHeartbeat,
    clock: Clock,
    full: bool,
) -> None:
    """Pull each kind; when the receiving user the port acts as loses their authorisation, go on as the next one.

    The lost reviewer's account is marked (the connection page names them); the cursors moved only for the kinds
    done, so the kind that failed is pulled again from its start, and its committed pages re-read as unchanged.
    """
    reviewers = link_reviewer_ids(link=link)
    done: list[ItemKind] = []
    while True:
        try:
            for kind in kinds:
                if kind not in done:
                    pull_kind(
                        link=link,
                        kind=kind,
                        port=port,
                        run=run,
                        heartbeat=heartbeat,
                        clock=clock,
                        full=full,
                        reviewers=reviewers,
                    )
                    done.append(kind)
            return
        except NeedsReauthorization as exc:
            lost = getattr(port, "account", None)  # a test's fake port acts as nobody and cannot fail over
            fail_over = getattr(port, "fail_over", None)
            if lost is None or fail_over is None:
                raise
            account_mark_needs_reauth(account=lost, exc=exc)
            if not fail_over():
                raise  # every receiving user is lost: the link's own "connection lost" e-mail says so
            reviewer_lost_notify(link=link, account=lost, now=clock())
            logger.info("sync of link %s goes on as another reviewer: account %s lost", link.pk, lost.pk)


def _sync(link: ProjectLink, heartbeat: LeaseHeartbeat, clock: Clock, port: ProviderPort | None) -> SyncRun:
    run = _start_run(link, clock())
    heartbeat.run_id = run.pk
    logcontext.bind(run_id=run.pk)
    try:
        port = port or provider_port_for(link)
        held = held_kinds(link)
        run.held_kinds = sorted(k for k in link.kinds if k in held)
        full = link.reconciled_at is None or clock() - link.reconciled_at >= RECONCILE_INTERVAL
        kinds = cast(list[ItemKind], [k for k in link.kinds if k not in held])  # the model's kinds are ItemKinds
        _pull_kinds(link, kinds, port, run, heartbeat, clock, full)
        if full:
            link.reconciled_at = clock()
            ProjectLink.objects.filter(pk=link.pk).update(reconciled_at=link.reconciled_at)
    except LeaseLost:
        _finish(run, SyncRun.Status.INTERRUPTED, TAKEN_OVER_WORDS, clock(), provider=link.provider)
        return run
    except ProviderError as exc:
        now = clock()
        run.errors += 1
        link.last_run_calls = run.provider_calls
        status = link_record_failure(link=link, exc=exc, now=now)
        _finish(run, status, exc.message, now, provider=link.provider)
        logger.info("sync of link %s stopped: %s (%s)", link.pk, type(exc).__name__, exc.detail or exc.message)
        return run
    except Exception:
        run.errors += 1
        _finish(
            run,
            SyncRun.Status.FAILED,
            "The sync stopped on an unexpected error; support has been told.",
            clock(),
            provider=link.provider,
        )
        raise
    now = clock()
    link.last_run_calls = run.provider_calls
    # The next poll is due an interval after this one started, not after it ended: a slow sync does not push every
    # later change a whole sync's length further from the feed.
    link_record_success(link=link, now=now, interval=poll_interval(link), started=run.started_at)
    held_words = " ".join(held[k] for k in run.held_kinds)
    _finish(run, SyncRun.Status.SUCCEEDED, held_words, now, provider=link.provider)
    return run
