"""Files in: the attachments a sync finds on its items, and the task that downloads each into the firm's storage.

Ingest records every file an item lists (`attachments_record`, in the page's transaction) and queues the files still
to fetch, ten a task, once that transaction commits. The task (`attachments_fetch`) streams each provider answer in
chunks to a temporary file while hashing it, then keeps it once per firm and content (AttachmentBlob). A file over
ATTACHMENT_MAX_BYTES is "too large" without being read to the end; a cut-short download or a transient provider fault
is tried again with the HTTP policy's backoff; a size or checksum that does not match what the provider declared is
"failed" with the reason in words. Nothing else of the item is touched, so the sync goes on whatever a file does.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy

import requests
import urllib3.exceptions
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone

from connector_portal.files import CHUNK_SIZE, Spooled, TooLarge, blob_name, safe_filename, spool, spooled_save
from connector_portal.models import User
from connector_portal.services import audit_record
from projects.models import Attachment, ProjectLink, SyncedItem
from projects.queue import Call, enqueue_many
from projects.services.attachment_rows import UNHELD, ToFetch, stored_record, to_fetch, unheld
from providers import http
from providers.base import Provider
from providers.errors import ProviderError, Retryable
from providers.http import HttpClient
from providers.registry import get_provider
from providers.types import AttachmentRef

logger = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]

FETCH_TASK = "projects.tasks.fetch_attachments"
# Files a download task takes (a page's files are split into tasks of this many), and how long it may start new ones.
FETCH_BATCH = 10
FETCH_SECONDS = 60
# A file still pending this long after a task took it lost its download (a worker killed mid-task takes its task
# with it, and a Redis broker does not hand it out again): the sweep queues it again. Well past the worker's timeout
# (300 s), so no download of it can still be running.
STALLED_AFTER = dt.timedelta(minutes=15)
# A file no task took this long after it was queued lost its task before a worker had it (a broker's queue emptied).
# Far longer, since a backlog keeps a file waiting too and a second task for it would only be work thrown away.
UNTAKEN_AFTER = dt.timedelta(hours=6)
STALLED_PER_SWEEP = 1_000
# Whole downloads tried per task run (a cut-short body is started again; the HTTP layer retries each request too).
MAX_TRIES = 3
# After this many runs that ended failed on a passing fault, a sync stops queuing the file again.
MAX_RUNS = 3
UPDATE_FIELDS = [
    "provider_id",
    "version",
    "place",
    "owner_id",
    "filename",
    "content_type",
    "declared_size",
    "declared_sha256",
    "source_url",
    "source_authenticated",
    "state",
    "reason",
    "blob",
    "removed",
    "attempts",
    "generation",
    "fetch_task",
    "fetch_started_at",
    "retry_at",
    "updated_at",
]
# A file listed again as it was: where it hangs and its URL (signed URLs expire). Not its download's state, which a
# task may have written since the sync read the row: writing back what the sync read would undo that download. Nor
# updated_at, which says when its download last moved (the sweep finds by it a file whose task never came).
RELISTED_FIELDS = ["provider_id", "place", "owner_id", "source_url", "source_authenticated"]
# A download cut short MAX_TRIES times is tried again this much later (a provider's Retry-After sets its own wait).
RETRY_CUT_SHORT = dt.timedelta(minutes=5)


_local = threading.local()


def _download_session() -> requests.Session:
    """One HTTP session per worker thread for every download, so that files fetched one after another reuse the
    connection (and its TLS session) to the provider's storage instead of opening one per file: measured on the
    files-in bench, a new connection a file cost about a tenth of the time. It holds no credentials: each request
    carries its own. Nor cookies: the thread downloads every firm's files, so a cookie one firm's storage set would
    go with the next firm's request to the same host."""
    session: requests.Session | None = getattr(_local, "session", None)
    if session is None:
        session = _local.session = http.provider_session()
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return session


class CutShort(Exception):
    """The provider's answer ended before the bytes it announced."""


def _is_new(ref: AttachmentRef, row: Attachment) -> bool:
    """Another version, name, size or checksum than the one recorded. The content type counts only when the provider
    gives one: without, the download fills it in from the answer, and that makes no new file."""
    listed = (ref.version, safe_filename(ref.filename), ref.size, ref.sha256)
    content_type = ref.content_type[:255]
    return listed != (row.version, row.filename, row.declared_size, row.declared_sha256) or bool(
        content_type and content_type != row.content_type
    )


def _apply(row: Attachment, ref: AttachmentRef, now: dt.datetime) -> None:
    row.provider_id, row.version, row.place, row.owner_id = ref.provider_id, ref.version, ref.place, ref.owner_id
    row.filename = safe_filename(ref.filename)
    row.content_type = ref.content_type[:255] or row.content_type  # the download's own, when the provider gives none
    row.declared_size, row.declared_sha256 = ref.size, ref.sha256
    row.source_url, row.source_authenticated = ref.url, ref.authenticated
    row.removed = False
    row.updated_at = now


def _restart(row: Attachment) -> None:
    row.state, row.reason, row.blob, row.attempts = Attachment.State.PENDING, "", None, 0
    row.generation += 1  # a download of the file as it was, still running, records nothing over this one
    unheld(row)  # its task is still to come


RESTART_FIELDS = ["state", "reason", "blob", "attempts", "generation", *UNHELD, "updated_at"]


def _retry_due(now: dt.datetime) -> Q:
    """Failed on a passing fault, runs left and its wait (the provider's Retry-After) over: to be tried again."""
    waited = Q(retry_at__isnull=True) | Q(retry_at__lte=now)
    return waited & Q(state=Attachment.State.FAILED, attempts__lt=MAX_RUNS)


def _due(row: Attachment) -> bool:
    """Not stored yet, and to be tried again: its URL is renewed by every poll."""
    return row.state == Attachment.State.PENDING or (row.state == Attachment.State.FAILED and row.attempts < MAX_RUNS)


def attachments_record(
    *, items: Sequence[tuple[SyncedItem, Sequence[AttachmentRef]]], now: dt.datetime, refresh_only: bool = False
) -> list[int]:
    """Keep what each item lists of its files; answer the ids of those to download. Call in the page's transaction.

    A new file, or a new version of one (another version, name, size or checksum), is downloaded afresh; a file no
    longer listed is marked removed. The download URL of each file not stored yet is renewed, since signed URLs
    expire, and a file failed on a passing fault whose wait is over is tried again; a pending one is not queued
    again (its task is to come, or the sweep finds it lost). With `refresh_only` (items whose content did not
    change) only those URLs and retries."""
    listed = [(item, refs) for item, refs in items if refs or not refresh_only]
    if not listed:
        return []
    existing: dict[tuple[int, str], Attachment] = {
        (row.item_id, row.key): row for row in Attachment.objects.filter(item__in=[item for item, _ in listed])
    }
    to_create: list[Attachment] = []
    restarted: list[Attachment] = []  # to be downloaded afresh: every field
    relisted: list[Attachment] = []
    retried: list[int] = []
    removed: list[int] = []
    for item, refs in listed:
        keys = set()
        for ref in refs:
            keys.add(ref.key)
            row = existing.get((item.pk, ref.key))
            if row is None:
                if refresh_only:
                    continue
                row = Attachment(firm_id=item.firm_id, item=item, key=ref.key[:400], created_at=now)
                _apply(row, ref, now)
                to_create.append(row)
                continue
            if refresh_only and not _due(row):
                continue
            if not (_is_new(ref, row) or row.removed):
                _apply(row, ref, now)
                relisted.append(row)
                if row.state == Attachment.State.FAILED and _due(row) and (row.retry_at or now) <= now:
                    retried.append(row.pk)  # a passing fault, its wait over: tried again with the URL just listed
                continue
            _restart(row)
            row.content_type = ""  # the new version's own, from the provider or from its download
            _apply(row, ref, now)
            restarted.append(row)
        if not refresh_only:
            removed += [
                row.pk
                for (item_id, key), row in existing.items()
                if item_id == item.pk and key not in keys and not row.removed
            ]
    Attachment.objects.bulk_create(to_create)
    Attachment.objects.bulk_update(restarted, UPDATE_FIELDS)
    Attachment.objects.bulk_update(relisted, RELISTED_FIELDS)
    if removed:  # a download of it still running records nothing (its generation moved on)
        Attachment.objects.filter(pk__in=removed).update(removed=True, generation=F("generation") + 1, updated_at=now)
    if retried:  # waiting for its task again; one still waiting is not queued twice
        # As read: not one that failed again meanwhile, with a new wait.
        Attachment.objects.filter(_retry_due(now), pk__in=retried).update(
            state=Attachment.State.PENDING, retry_at=None, updated_at=now
        )
    # A file still pending is not queued again: its task is to come, or the sweep queues again one that was lost.
    return [row.pk for row in (*to_create, *restarted)] + retried


def fetch_calls(attachment_ids: Iterable[int]) -> list[Call]:
    """The download tasks for these files, FETCH_BATCH a task."""
    ids = list(attachment_ids)
    return [(FETCH_TASK, (ids[n : n + FETCH_BATCH],)) for n in range(0, len(ids), FETCH_BATCH)]


def attachments_queue_on_commit(attachment_ids: Iterable[int]) -> None:
    """Queue the downloads of these files once the current transaction commits (never before: the task must see the
    rows)."""
    calls = fetch_calls(attachment_ids)
    if calls:
        transaction.on_commit(lambda: enqueue_many(calls))


@dataclass(frozen=True)
class Stalled:
    """The files the sweep queues: taken by a task run whose worker died (or that an unexpected error ended), queued
    but never taken, and failed on a passing fault whose wait is over."""

    lost: list[int]
    untaken: list[int]
    retried: list[int]

    @property
    def ids(self) -> list[int]:
        return [*self.lost, *self.untaken, *self.retried]

    def calls(self) -> list[Call]:
        """A task each for the lost ones, so that a file that kills its worker every time holds back no other; the
        run it died in counted, and after MAX_RUNS the file is failed in words (_never_finished)."""
        return [(FETCH_TASK, ([pk],)) for pk in self.lost] + fetch_calls([*self.untaken, *self.retried])


# The links whose files are downloaded: not those a person paused or whose connection is lost (their downloads would
# only fail), whose files wait until the link runs again.
DOWNLOADING_LINKS = [ProjectLink.Status.ACTIVE, ProjectLink.Status.FAILING]


def attachments_stalled(*, now: dt.datetime) -> Stalled:
    """The files to queue again, oldest first, at most STALLED_PER_SWEEP: pending ones whose download was lost, and
    failed ones due another try (their retry time passed, runs left). Each is marked as queued anew (pending, no run
    has it, updated_at `now`), so that the next sweeps leave it alone while it waits for a worker."""
    pending = Q(state=Attachment.State.PENDING)
    lost = pending & Q(fetch_started_at__lt=now - STALLED_AFTER)
    untaken = pending & Q(fetch_started_at__isnull=True, updated_at__lt=now - UNTAKEN_AFTER)
    due = _retry_due(now)
    rows = list(
        Attachment.objects.filter(lost | untaken | due, removed=False)
        .filter(item__link__status__in=DOWNLOADING_LINKS, firm__is_active=True)
        .order_by("updated_at", "id")
        .values_list("pk", "state", "fetch_started_at")[:STALLED_PER_SWEEP]
    )
    if rows:
        # Only rows still as read: clearing the stamp of one a run took meanwhile would hide a loss of that run. (The
        # task queued for it here anyway finds it taken and leaves it to that one.)
        Attachment.objects.filter(lost | untaken | due, pk__in=[pk for pk, _, _ in rows], removed=False).update(
            state=Attachment.State.PENDING, **UNHELD, updated_at=now
        )
    failed = Attachment.State.FAILED
    return Stalled(
        lost=[pk for pk, state, taken in rows if state != failed and taken is not None],
        untaken=[pk for pk, state, taken in rows if state != failed and taken is None],
        retried=[pk for pk, state, _ in rows if state == failed],
    )


def attachments_download_again(
    *, attachment_ids: Iterable[int], now: dt.datetime, actor: User | None = None, request: HttpRequest | None = None
) -> int:
    """Queue a fresh download of each failed file among `attachment_ids` (its tries forgotten), audited; answer how
    many. Safe to run twice: a file queued already is pending, not failed, so it is not queued a second time.

    A file whose signed download URL has expired fails again; every poll renews the URL of each file not stored
    yet, and the sweep tries a passing fault again."""
    with transaction.atomic():
        rows = list(
            Attachment.objects.select_for_update()
            .filter(pk__in=list(attachment_ids), state=Attachment.State.FAILED, removed=False)
            .select_related("firm")
        )
        for row in rows:
            before = {"state": row.state, "reason": row.reason, "attempts": row.attempts}
            _restart(row)  # its tries forgotten, so a file that never finished gets MAX_RUNS more
            row.updated_at = now
            audit_record(
                action="attachment.download_again",
                firm=row.firm,
                actor_user=actor,
                target=row,
                before=before,
                after={"state": row.state},
                request=request,
            )
        Attachment.objects.bulk_update(rows, RESTART_FIELDS)
        attachments_queue_on_commit(row.pk for row in rows)
    return len(rows)


# -- the download ----------------------------------------------------------------------------------------------------


def _ref_of(row: Attachment) -> AttachmentRef:
    return AttachmentRef(
        provider_id=row.provider_id,
        filename=row.filename,
        url=row.source_url,
        place=row.place,  # type: ignore[arg-type]  # the model's choices are the AttachmentPlace values
        owner_id=row.owner_id,
        version=row.version,
        content_type=row.content_type,
        size=row.declared_size,
        sha256=row.declared_sha256,
        authenticated=row.source_authenticated,
    )


def _finish(
    row: Attachment, state: str, reason: str, now: dt.datetime, retry_at: dt.datetime | None = None
) -> Attachment | None:
    """A state other than stored (attachment_rows.stored_record writes that one), with its reason in words. Nothing
    written, and None, when the row went or is to be downloaded afresh since it was read (its generation moved on:
    a new version, which the sync that found it queued)."""
    written = Attachment.objects.filter(pk=row.pk, generation=row.generation).update(
        state=state,
        reason=reason,
        blob=None,
        attempts=row.attempts,
        **{**UNHELD, "retry_at": retry_at},
        updated_at=now,
        content_type=row.content_type,
    )
    row.state, row.reason, row.blob, row.updated_at = state, reason, None, now
    unheld(row)
    row.retry_at = retry_at
    return row if written else None


def _limit_words(limit: int) -> str:
    return f"{limit / 1024**2:,.0f} MB" if limit >= 1024**2 else f"{limit:,} bytes"


def _too_large(row: Attachment, limit: int, now: dt.datetime) -> Attachment | None:
    words = (
        f"This file is larger than the portal's limit of {_limit_words(limit)}, so it was not downloaded. "
        "Open it at the provider, or ask support to raise ATTACHMENT_MAX_BYTES."
    )
    return _finish(row, Attachment.State.TOO_LARGE, words, now)


def _store(row: Attachment, spooled: Spooled, now: dt.datetime) -> bool:
    """Keep the bytes (content-addressed: bytes already kept stay, a file missing from the storage is put back), then
    record the blob and the stored state in one transaction: one commit a file. False when the attachment went or
    changed meanwhile (its item or firm deleted, a new version found)."""
    name = spooled_save(spooled, name=blob_name(firm_id=row.firm_id, sha256=spooled.sha256))
    return stored_record(row, storage_name=name, size=spooled.size, sha256=spooled.sha256, now=now)


def _chunks(answer: requests.Response) -> Iterable[bytes]:
    try:
        yield from answer.iter_content(CHUNK_SIZE)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise CutShort(type(exc).__name__) from exc


def _download(row: Attachment, answer: requests.Response, limit: int) -> Spooled:
    announced = answer.headers.get("Content-Length", "")
    if announced.isdigit() and int(announced) > limit:
        raise TooLarge
    spooled = spool(_chunks(answer), max_bytes=limit)
    expected = int(announced) if announced.isdigit() else row.declared_size
    if expected is not None and spooled.size != expected:
        spooled.close()
        raise CutShort(f"{spooled.size} of {expected} bytes")
    if not row.content_type:
        row.content_type = answer.headers.get("Content-Type", "").split(";")[0].strip()[:255]
    return spooled


def attachments_fetch(*, attachment_ids: Sequence[int], clock: Clock = timezone.now) -> list[Attachment | None]:
    """Download these files into their firms' storage, one after another: the task that takes a page's files. Each
    answer is the file's row in its new state, None for one gone or to be downloaded afresh meanwhile (a new version
    found). Safe to run twice: a file stored, too large or removed is left as it is.

    One task a page's files rather than one a file: their rows are read in one query and each provider's module is
    bound once (measured on the files-in bench, ~1 ms a file, a fifth of a small file's time), and the queue carries
    a tenth of the tasks. A task starts no new file after FETCH_SECONDS and queues the others as a task of their own.
    A worker killed during a file (its timeout, a restart) loses the files the task had not started: they are pending
    still, and the sweep queues them again (attachments_stalled)."""
    ids = list(dict.fromkeys(attachment_ids))
    began, token = clock(), uuid.uuid4().hex
    _take(ids, began, token)
    found = to_fetch(ids)
    modules: dict[str, Provider] = {}
    answers: list[Attachment | None] = []
    faults: list[Exception] = []
    for n, pk in enumerate(ids):
        one = found.get(pk)
        if one is None or one.row.fetch_task != token:
            answers.append(one.row if one else None)  # gone, done, or another task's (the file queued twice)
            continue
        if n and (clock() - began).total_seconds() > FETCH_SECONDS:
            rest = ids[n:]
            mine = [p for p in rest if p in found and found[p].row.fetch_task == token]
            _hand_over(mine, token, clock())
            answers += [found[p].row if p in found else None for p in rest if p not in mine]
            break
        try:
            answers.append(_fetch(one, _bound(modules, one.provider), clock))
        except Exception as exc:  # an unforeseen fault with one file holds back none of the others
            logger.exception("attachment %s: the download stopped on an unexpected error", pk)
            faults.append(exc)
            answers.append(None)
    if faults:
        raise faults[0]  # the task ends failed, with its traceback, where support looks; the file stays pending
    return answers


def _take(ids: list[int], now: dt.datetime, token: str) -> None:
    """Take for this task run (`token`) the files still to download that no other task has (a file can be queued
    twice: by its page and by the sweep, say), stamped with the run's start, a run counted for each: one statement
    for the task's files. Only the run that took a file downloads it, so two never download one file together.

    A run counts when it is taken rather than when it ends, so that a run that never ends (its worker killed at the
    time limit, or an unexpected error) counts too, and a file that does that every time is failed in words after
    MAX_RUNS (_never_finished) instead of being queued again for ever. A stamp older than STALLED_AFTER is a dead
    run's: that file is free."""
    free = Q(fetch_task="") | Q(fetch_started_at__lt=now - STALLED_AFTER)
    Attachment.objects.filter(free, pk__in=ids, removed=False, state=Attachment.State.PENDING).update(
        fetch_task=token, fetch_started_at=now, attempts=F("attempts") + 1
    )


def _hand_over(ids: list[int], token: str, now: dt.datetime) -> None:
    """Give back the files this run took and did not start (no run counted) and queue them as a task of their own,
    as of `now`."""
    logger.info("download task ran %s s: %s file(s) queued as a task of their own", FETCH_SECONDS, len(ids))
    Attachment.objects.filter(pk__in=ids, fetch_task=token).update(**UNHELD, attempts=F("attempts") - 1, updated_at=now)
    enqueue_many(fetch_calls(ids))


def _bound(modules: dict[str, Provider], provider: str) -> Provider:
    """The provider's module for this task's downloads, bound to its app once (a query) for all of them."""
    if provider not in modules:
        modules[provider] = get_provider(provider, http=HttpClient(session=_download_session()))
    return modules[provider]


def attachment_fetch(*, attachment_id: int, clock: Clock = timezone.now) -> Attachment | None:
    """Download one file into the firm's storage (a no-op for one stored, removed or gone). Safe to run twice."""
    return attachments_fetch(attachment_ids=[attachment_id], clock=clock)[0]


def _fetch(found: ToFetch, provider: Provider, clock: Clock) -> Attachment | None:
    row = found.row
    limit = settings.ATTACHMENT_MAX_BYTES
    if row.declared_size is not None and row.declared_size > limit:
        return _too_large(row, limit, clock())
    label = provider.label
    if row.attempts > MAX_RUNS:
        row.attempts = MAX_RUNS  # not queued again by a sync: only a new version or a person's "download again"
        return _finish(row, Attachment.State.FAILED, _never_finished(label), clock())
    tries = 0
    while True:
        tries += 1
        try:
            with closing(provider.open_attachment(account=found.account, ref=_ref_of(row))) as answer:
                spooled = _download(row, answer, limit)
            break
        except TooLarge:
            return _too_large(row, limit, clock())
        except CutShort as exc:
            if tries < MAX_TRIES:
                _backoff(provider.http, tries)
                continue
            words = f"{label} stopped sending this file before its end ({exc}), {MAX_TRIES} times."
            return _passing_fault(row, words, "The portal tries again in about 5 minutes.", RETRY_CUT_SHORT, clock())
        except Retryable as exc:
            wait = dt.timedelta(seconds=max(exc.retry_after, 60))  # the provider's Retry-After, honoured
            return _passing_fault(row, exc.message, "The file is downloaded then.", wait, clock())
        except ProviderError as exc:
            row.attempts = MAX_RUNS  # a refusal does not pass by itself; a change of the item tries again
            return _finish(row, Attachment.State.FAILED, f"{label} refused the download: {exc.message}", clock())
    if row.declared_sha256 and spooled.sha256 != row.declared_sha256:
        spooled.close()
        row.attempts = MAX_RUNS
        words = (
            f"The file {label} sent does not match the SHA-256 checksum {label} gives for it, so it was not kept "
            "(it may be damaged). Ask the sender to attach it again."
        )
        return _finish(row, Attachment.State.FAILED, words, clock())
    if not _store(row, spooled, clock()):
        logger.info("attachment %s went or changed while its file downloaded; nothing recorded", row.pk)
        return None
    return row


def _passing_fault(row: Attachment, words: str, then: str, wait: dt.timedelta, now: dt.datetime) -> Attachment | None:
    """Failed on a fault that passes: the sweep tries it again after `wait`, while runs are left; after the last,
    it stays failed until a new version or a person's "download again"."""
    if row.attempts < MAX_RUNS:
        return _finish(row, Attachment.State.FAILED, f"{words} {then}", now, retry_at=now + wait)
    last = words.split(". ")[0].rstrip(".")
    words = (
        f"The download of this file failed {MAX_RUNS} times on a passing fault (the last: {last}). "
        "The portal tries again when the provider lists a new version; support can download it again sooner."
    )
    return _finish(row, Attachment.State.FAILED, words, now)


def _never_finished(label: str) -> str:
    minutes = int(settings.Q_CLUSTER["timeout"]) // 60  # type: ignore[call-overload]  # the settings' int
    return (
        f"The download of this file was tried {MAX_RUNS} times without storing it, and the last try never finished: "
        f"its worker stopped during the task (a task may run {minutes} minutes at most) or an unexpected error ended "
        f"it, which support can see among the failed tasks. Open it at {label}, or ask support to download it again "
        "once the cause is fixed."
    )


def _backoff(client: HttpClient, attempt: int) -> None:
    """The HTTP policy's backoff (with its jitter), slept by its sleeper, which tests replace."""
    (client.sleep or http.sleeper)(client._backoff(attempt))
