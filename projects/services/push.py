"""Push: reviewer responses recorded in Project Center, delivered to the provider."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from connector_portal import logcontext
from connector_portal.dates import at_time
from connector_portal.models import Firm
from mappings.constants import normalise
from mappings.matching import TranslationError
from projects.constants import (
    BLOCKED_PROBE,
    DELIVERY_LEASE,
    FIRST_BACKOFF,
    GIVE_UP_AFTER,
    HELD_RECHECK,
    RETRY_BACKOFF_CAP,
)
from projects.models import ItemKindChoices, ItemResponse, ProjectLink, SyncedItem
from projects.ports import ProviderPort, provider_port_for, translate_keyword
from projects.selectors import allowed_keywords_get, response_get_by_key
from projects.services.lease import DeliveryHeartbeat, KeepAlive, LeaseLost, keep_alive_for, lease_owner_new
from projects.services.uploads import (
    outgoing_files,
    response_files_add,
    response_files_settle,
    uploads_for_response,
    uploads_lock_for_response,
)
from providers.errors import NeedsReauthorization, NotYourTurn, ProviderError, Retryable, ToolUnavailable
from providers.http import on_each_attempt
from providers.models import ProviderAccount

logger = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]
# While the connection itself is broken, responses wait (they are not failed and spend no attempt).
WAITING_LINK_STATUSES = (ProjectLink.Status.CONNECTION_LOST, ProjectLink.Status.BLOCKED)


class IdempotencyConflict(Exception):
    """The idempotency key was used before with a different request body."""

    message = (
        "This Idempotency-Key was already used for a different response. Send a new key for a new response, "
        "or repeat the first request exactly."
    )


class ResponseRefused(Exception):
    """The response cannot be sent as it is: a submittal's keyword is not mapped, or an RFI reply has no text."""

    def __init__(self, *, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


def request_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def response_record(
    *,
    firm: Firm,
    item: SyncedItem,
    keyword: str,
    comment: str,
    idempotency_key: str,
    body_hash: str = "",
    check: Callable[[], None] | None = None,
    now: dt.datetime | None = None,
    attachments: Sequence[int] = (),
) -> tuple[ItemResponse, bool]:
    """Store a response and queue its delivery; answer (response, created).

    The same key with the same body answers the first response (created False); with another body it raises
    IdempotencyConflict. `body_hash` defaults to the hash of the item, keyword, comment and attachments. `check` runs
    only for a new key (a repeat is judged by its key alone) and refuses what may not be recorded by raising;
    `attachments` are ids of stored uploads (projects.services.uploads), refused with UploadRefused otherwise.
    """
    now = now or timezone.now()
    hashed: dict[str, Any] = {"item": item.pk, "keyword": keyword, "comment": comment}
    if attachments:  # absent from the hash of a response without files, so keys recorded before keep matching
        hashed["attachments"] = list(attachments)
    body_hash = body_hash or request_hash(hashed)
    existing = response_get_by_key(firm=firm, idempotency_key=idempotency_key)
    if existing is None:
        if check is not None:
            check()
        uploads = (
            uploads_for_response(firm=firm, provider=item.link.provider, upload_ids=attachments) if attachments else []
        )
        try:
            with transaction.atomic():
                uploads = uploads_lock_for_response(uploads=uploads)  # the clean-up may have deleted one since
                response = ItemResponse.objects.create(
                    firm=firm,
                    item=item,
                    link_id=item.link_id,
                    reviewer_id=item.reviewer_id or item.link.account_id,  # sent back in their name
                    keyword=keyword,
                    comment=comment,
                    idempotency_key=idempotency_key,
                    request_hash=body_hash,
                    next_attempt_at=now,
                    created_at=now,
                )
                response_files_add(response=response, uploads=uploads)
                transaction.on_commit(lambda: _queue_delivery(response.pk))
            return response, True
        except IntegrityError:  # the same key raced in from a concurrent request
            existing = ItemResponse.objects.get(firm=firm, idempotency_key=idempotency_key)
    if existing.request_hash != body_hash:
        raise IdempotencyConflict(IdempotencyConflict.message)
    return existing, False


def response_check(*, firm: Firm, item: SyncedItem, keyword: str, comment: str) -> None:
    """A submittal takes a keyword mapped for its connection, an RFI a reply; else ResponseRefused says what fits."""
    if item.kind == ItemKindChoices.RFI:
        if not comment.strip():
            raise ResponseRefused(
                code="reply_required", message="An RFI response is a reply: send its text as `comment`."
            )
        return
    allowed = allowed_keywords_get(firm=firm, project_of_link={item.link_id: item.link.project_id})[item.link_id]
    if normalise(keyword) not in {normalise(k) for k in allowed}:
        words = ", ".join(f"“{k}”" for k in allowed) or "none yet (the connection's response mapping needs fixing)"
        raise ResponseRefused(
            code="keyword_not_allowed",
            message=f"“{keyword}” is not a response keyword of this project's connection. Use one of: {words}.",
            details={"keyword": keyword, "allowed_keywords": allowed},
        )


def response_submit(
    *,
    firm: Firm,
    item: SyncedItem,
    keyword: str,
    comment: str,
    idempotency_key: str,
    attachments: Sequence[int] = (),
) -> tuple[ItemResponse, bool]:
    """Project Center's response to an item: checked, then recorded once per Idempotency-Key (see response_record).

    A repeat is judged by its key alone, as the first one was: it answers the first response even if the mapping has
    changed since.
    """
    return response_record(
        firm=firm,
        item=item,
        keyword=keyword,
        comment=comment,
        idempotency_key=idempotency_key,
        check=lambda: response_check(firm=firm, item=item, keyword=keyword, comment=comment),
        attachments=attachments,
    )


def _queue_delivery(response_id: int) -> None:
    from projects.queue import enqueue

    enqueue("projects.tasks.deliver_response", response_id)


def _claim(response_id: int, now: dt.datetime) -> ItemResponse | None:
    """Mark the response as being sent (one worker only); None when there is nothing to send."""
    with transaction.atomic():
        response = (
            ItemResponse.objects.select_for_update()
            # Not the reviewer: PostgreSQL cannot lock the nullable side of an outer join (read after the lock).
            .select_related("link__account", "link__firm", "item")
            .filter(pk=response_id)
            .first()
        )
        if response is None or response.status != ItemResponse.Status.PENDING:
            return None
        if response.link.status in WAITING_LINK_STATUSES or _reviewer_lost(response):
            return None
        response.status = ItemResponse.Status.DELIVERING
        response.attempts += 1
        # While being sent, `next_attempt_at` is the delivery's lease, held by `delivery_owner`: renewed by heartbeat,
        # lapsed once its worker is gone (responses_resume_orphaned then settles it).
        response.next_attempt_at = now + DELIVERY_LEASE
        response.delivery_owner = lease_owner_new()
        response.save(update_fields=["status", "attempts", "next_attempt_at", "delivery_owner", "updated_at"])
    return response


def _reviewer_lost(response: ItemResponse) -> bool:
    """The response's reviewer must sign in again: it waits for them (the sweep leaves it until they do)."""
    return response.reviewer is not None and response.reviewer.status != ProviderAccount.Status.ACTIVE


def _wait_for_reviewer(response: ItemResponse, exc: NeedsReauthorization, now: dt.datetime) -> bool:
    """One of several receiving users lost their authorisation: only their responses wait, the link syncs on.

    Answers False when the response's reviewer is the link's only working one (then the whole link is lost).
    """
    from projects.selectors import link_reviewer_accounts
    from projects.services.health import account_mark_needs_reauth, reviewer_lost_notify

    reviewer = response.reviewer
    if reviewer is None:
        return False
    others = [a for a in link_reviewer_accounts(link=response.link) if a.pk != reviewer.pk]
    if not any(a.status == ProviderAccount.Status.ACTIVE for a in others):
        return False
    account_mark_needs_reauth(account=reviewer, exc=exc)
    reviewer_lost_notify(link=response.link, account=reviewer, now=now)
    who = reviewer.name or reviewer.email or reviewer.provider_user_id
    words = f"Waiting for {who} to reconnect: {exc.message} It goes out as soon as they sign in again."
    # Due at once: the sweep leaves it alone while the reviewer's account needs re-authorisation.
    _settle(response, ItemResponse.Status.PENDING, words, now=now, retry_at=now)
    return True


def _settle(
    response: ItemResponse, status: str, answer: str, *, now: dt.datetime, retry_at: dt.datetime | None
) -> None:
    """Write how the delivery ended, if it is still this worker's, else raise LeaseLost.

    A worker whose lease lapsed under it (the sweep resumed the response, another worker may be sending it) writes
    nothing: the next attempt's state stands, and that attempt reads the provider before it writes."""
    response.status = status
    response.provider_answer = answer
    response.next_attempt_at = retry_at
    if status == ItemResponse.Status.DELIVERED:
        response.delivered_at = now
    owner, response.delivery_owner = response.delivery_owner, ""
    response.updated_at = timezone.now()  # what `auto_now` would set: an update() does not
    fields = (
        "status",
        "provider_answer",
        "next_attempt_at",
        "delivered_at",
        "option_id",
        "option_name",
        "attempts",
        "delivery_owner",
        "updated_at",
    )
    with transaction.atomic():
        mine = ItemResponse.objects.filter(pk=response.pk, status=ItemResponse.Status.DELIVERING, delivery_owner=owner)
        if not mine.update(**{name: getattr(response, name) for name in fields}):
            raise LeaseLost(f"the delivery of response {response.pk} was taken over")
        if status in (ItemResponse.Status.DELIVERED, ItemResponse.Status.FAILED):
            delivered = status == ItemResponse.Status.DELIVERED
            response_files_settle(response=response, delivered=delivered, detail=answer)


def response_deliver(
    *,
    response_id: int,
    clock: Clock = timezone.now,
    port: ProviderPort | None = None,
    keep_alive: KeepAlive[DeliveryHeartbeat] | None = None,
) -> ItemResponse | None:
    """Send one response to the provider. Safe to run twice: only a pending response is sent, by one worker at once.

    While it is sent, `keep_alive` renews its delivery lease (by default the heartbeat thread on the wall clock, see
    lease.keep_alive_for), as does every provider request. Answers None when there was nothing to send, or when the
    lease was taken over meanwhile (this worker was so slow the sweep resumed the response): then it stopped before
    its next request and wrote nothing."""
    response = _claim(response_id, clock())
    if response is None:
        return None
    logcontext.bind(firm_id=response.link.firm_id, link_id=response.link_id)
    heartbeat = DeliveryHeartbeat(response_id=response.pk, owner=response.delivery_owner, clock=clock)
    try:
        return _send(response, heartbeat, clock, port, keep_alive or keep_alive_for(clock))
    except LeaseLost:
        logger.info("delivery of response %s stopped: another attempt took it over", response.pk)
        return None


def _send(
    response: ItemResponse,
    heartbeat: DeliveryHeartbeat,
    clock: Clock,
    port: ProviderPort | None,
    keep_alive: KeepAlive[DeliveryHeartbeat],
) -> ItemResponse:
    """Send a claimed response and settle it by the provider's answer; LeaseLost once it is not this worker's."""
    link, item = response.link, response.item
    try:
        port = port or provider_port_for(link, account=response.reviewer)
        with keep_alive(heartbeat), on_each_attempt(heartbeat):
            option = translate_keyword(link, item, response.keyword, port)
            if option is not None:
                response.option_id, response.option_name = option.id, option.name
            answer = port.post_response(item, option, response.comment, outgoing_files(response=response))
    except TranslationError as exc:
        _settle(response, ItemResponse.Status.FAILED, str(exc), now=clock(), retry_at=None)
    except NeedsReauthorization as exc:
        from projects.services.health import link_record_failure

        response.attempts -= 1  # not the response's fault: it waits for the reconnect
        if _wait_for_reviewer(response, exc, clock()):
            return response
        link_record_failure(link=link, exc=exc, now=clock())
        _settle(response, ItemResponse.Status.PENDING, exc.message, now=clock(), retry_at=None)
    except ToolUnavailable as exc:
        from projects.services.health import link_record_failure

        # The project's tool is disabled or the user lacks permission on it: the link shows it as blocked, and the
        # response waits (spending no attempt) to go out once the tool is back.
        now = clock()
        response.attempts -= 1
        link_record_failure(link=link, exc=exc, now=now)
        _settle(response, ItemResponse.Status.PENDING, exc.message, now=now, retry_at=now + BLOCKED_PROBE)
    except NotYourTurn as exc:
        # Held, not failed: the reviewer's turn has not come (a later approver step). It waits, spending no attempt,
        # and is tried again now and then; it goes out once their step starts.
        now = clock()
        response.attempts -= 1
        _settle(response, ItemResponse.Status.PENDING, exc.message, now=now, retry_at=now + HELD_RECHECK)
    except Retryable as exc:
        now = clock()
        if now - (response.retried_at or response.created_at) >= GIVE_UP_AFTER:
            _settle(response, ItemResponse.Status.FAILED, _gave_up(exc, response.attempts), now=now, retry_at=None)
        else:
            backoff = min(FIRST_BACKOFF * 2 ** min(response.attempts - 1, 16), RETRY_BACKOFF_CAP)
            wait = max(backoff, dt.timedelta(seconds=exc.retry_after))
            _settle(response, ItemResponse.Status.PENDING, _retrying(exc, now + wait), now=now, retry_at=now + wait)
    except ProviderError as exc:
        # A refusal (closed upstream, response not allowed for this approver, item gone): retrying cannot help.
        _settle(response, ItemResponse.Status.FAILED, exc.message, now=clock(), retry_at=None)
    else:
        now = clock()
        _settle(response, ItemResponse.Status.DELIVERED, answer, now=now, retry_at=None)
        SyncedItem.objects.filter(pk=item.pk).update(echo_pending=True)
    return response


def _gave_up(exc: Retryable, attempts: int) -> str:
    then = exc.gave_up or f"{exc.message} Support can retry it from admin."
    return f"Not delivered after trying for a day ({attempts} attempt{'' if attempts == 1 else 's'}). {then}"


def _retrying(exc: ProviderError, at: dt.datetime) -> str:
    again = at_time(at)
    return f"Not delivered yet: {exc.message} The portal sends it again by itself at {again} UTC; nothing needs doing."


def response_retry(*, response: ItemResponse, now: dt.datetime | None = None) -> bool:
    """Send a failed (or dismissed) response again, with fresh attempts. Answers whether it was queued."""
    if response.status not in (ItemResponse.Status.FAILED, ItemResponse.Status.DISMISSED):
        return False
    response.status = ItemResponse.Status.PENDING
    response.attempts = 0
    response.next_attempt_at = response.retried_at = now or timezone.now()
    response.save(update_fields=["status", "attempts", "next_attempt_at", "retried_at", "updated_at"])
    transaction.on_commit(lambda: _queue_delivery(response.pk))
    return True


def response_dismiss(*, response: ItemResponse) -> bool:
    """Stop trying to deliver a response (it stays visible as dismissed)."""
    if response.status in (ItemResponse.Status.DELIVERED, ItemResponse.Status.DISMISSED):
        return False
    response.status = ItemResponse.Status.DISMISSED
    response.next_attempt_at = None
    response.save(update_fields=["status", "next_attempt_at", "updated_at"])
    return True


ORPHANED_WORDS = (
    "The portal's worker stopped while sending this response. It is read back from the provider first: if it "
    "arrived it is shown as delivered, otherwise it is sent once more. Nothing needs doing."
)


def responses_resume_orphaned(*, now: dt.datetime) -> int:
    """Responses whose sender died mid-call (their delivery lease lapsed) wait to be sent again at once.

    Sending again is safe because every provider's post_response reads the item first and skips a write that an
    earlier attempt made (Procore's approver PATCH sets the same response again, a no-op). The dead attempt is not
    counted: the worker's death was not the response's fault.
    """
    # A lease ends at its time, that moment excluded: the same rule as the link lease (lease_acquire, the sweep).
    orphaned = ItemResponse.objects.filter(status=ItemResponse.Status.DELIVERING, next_attempt_at__lte=now)
    resumed = 0
    for response in orphaned.only("id", "attempts"):
        resumed += ItemResponse.objects.filter(pk=response.pk, status=ItemResponse.Status.DELIVERING).update(
            status=ItemResponse.Status.PENDING,
            attempts=max(response.attempts - 1, 0),
            next_attempt_at=now,
            provider_answer=ORPHANED_WORDS,
            delivery_owner="",  # the lapsed worker's renewals and settle find it theirs no more
        )
    return resumed
