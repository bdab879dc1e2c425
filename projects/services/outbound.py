"""Outbound webhooks: telling a firm's Project Center that its feed grew, so it need not poll.

An event is thin (the newest feed position and where to read); Project Center then reads the feed from its cursor as
usual, so a lost, late, repeated or out-of-order event can never lose or duplicate an entry. Feed events are coalesced:
each webhook has at most one open event, whose position moves up as the feed grows.

Each call is signed: `X-Portal-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` with the Unix time in
`X-Portal-Timestamp`; `signature_verify` is the check Project Center performs. A failed call is retried with backoff
(the `projects.webhook_retries` schedule, every minute; a `Retry-After` answer is honoured), and after
`OUTBOUND_WEBHOOK_DISABLE_AFTER` failed attempts in a row the webhook is turned off and the firm's admins are emailed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from connector_portal.dates import when
from connector_portal.models import Firm, Membership
from connector_portal.services import audit_record
from projects.models import FeedSequence, OutboundDelivery, OutboundWebhook
from projects.services.outbound_address import UnsafeAddress, webhook_address_check, webhook_addresses
from projects.services.outbound_transport import pinned_post
from providers.http import retry_after_seconds

SIGNATURE_HEADER = "X-Portal-Signature"
TIMESTAMP_HEADER = "X-Portal-Timestamp"
SIGNATURE_TOLERANCE = 300  # seconds: what Project Center should accept, against replays
# Waits after the 1st, 2nd, ... failed attempt (the minute schedule rounds the short ones up): ~3.4 hours in all.
BACKOFF = (10, 30, 120, 600, 1800, 3600, 7200)
MAX_ATTEMPTS = len(BACKOFF) + 1
# An attempt in flight holds its delivery this long: a worker that dies mid-call is retried after it.
ATTEMPT_LEASE = dt.timedelta(seconds=60)
OPEN = (OutboundDelivery.Status.PENDING, OutboundDelivery.Status.RETRYING)
Clock = Callable[[], dt.datetime]


class WebhookExists(Exception):
    """The firm already has a webhook at this URL."""

    message = "This URL is already registered; change or delete that webhook instead."


def secret_new() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def signature_for(*, secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def signature_verify(*, secret: str, timestamp: str, body: bytes, signature: str, now: float) -> bool:
    """Project Center's check: a fresh timestamp and a signature made with the secret over it and the body."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > SIGNATURE_TOLERANCE:
        return False
    return hmac.compare_digest(signature_for(secret=secret, timestamp=int(timestamp), body=body), signature)


# -- registering ---------------------------------------------------------------------------------------------------


def webhook_url_check(url: str) -> None:
    """Refuse (ValidationError on `url`) a URL that is not https://, or whose host is not a public address."""
    if not url.startswith("https://") and not (settings.OUTBOUND_WEBHOOKS_ALLOW_HTTP and url.startswith("http://")):
        raise ValidationError({"url": "The webhook URL must start with https:// (events carry a signature only)."})
    try:
        webhook_address_check(url)
    except UnsafeAddress as exc:
        raise ValidationError({"url": exc.message}) from exc


def _feed_position(firm_id: int) -> int:
    return FeedSequence.objects.filter(firm_id=firm_id).values_list("last_position", flat=True).first() or 0


def _audit(action: str, webhook: OutboundWebhook, actor: dict[str, Any]) -> None:
    # What changed, never the secret.
    after = {"url": webhook.url, "description": webhook.description, "active": webhook.active}
    audit_record(action=action, firm=webhook.firm, target=webhook, after=after, **actor)


def webhook_create(
    *, firm: Firm, url: str, description: str = "", now: dt.datetime, **actor: Any
) -> tuple[OutboundWebhook, str]:
    """Register a webhook; answers it with its secret, which is never shown again. Only later growth is announced.

    `actor`: audit_record's actor_user / actor_token / request."""
    webhook_url_check(url)
    if OutboundWebhook.objects.filter(firm=firm, url=url).exists():
        raise WebhookExists()
    secret = secret_new()
    webhook = OutboundWebhook.objects.create(
        firm=firm,
        url=url,
        description=description,
        secret=secret,
        notified_position=_feed_position(firm.pk),
        created_at=now,
    )
    _audit("webhook.create", webhook, actor)
    return webhook, secret


def webhook_rotate_secret(*, webhook: OutboundWebhook, **actor: Any) -> str:
    """A new secret, effective for the next call; the old one stops working at once."""
    webhook.secret = secret_new()
    webhook.save(update_fields=["secret"])
    _audit("webhook.rotate_secret", webhook, actor)
    return webhook.secret


def webhook_delete(*, webhook: OutboundWebhook, **actor: Any) -> None:
    _audit("webhook.delete", webhook, actor)
    webhook.delete()


def webhook_update(
    *,
    webhook: OutboundWebhook,
    url: str | None = None,
    description: str | None = None,
    active: bool | None = None,
    **actor: Any,
) -> OutboundWebhook:
    """Change the URL or description, or turn it off or on again (turning on forgets the failures)."""
    fields: list[str] = []
    if url is not None and url != webhook.url:
        webhook_url_check(url)
        if OutboundWebhook.objects.filter(firm_id=webhook.firm_id, url=url).exclude(pk=webhook.pk).exists():
            raise WebhookExists()
        webhook.url, fields = url, [*fields, "url"]
    if description is not None:
        webhook.description, fields = description, [*fields, "description"]
    if active is not None and active != webhook.active:
        webhook.active, webhook.disabled_reason = active, "" if active else "Turned off by the firm."
        webhook.consecutive_failures, webhook.failing_since = 0, None
        fields += ["active", "disabled_reason", "consecutive_failures", "failing_since"]
    if fields:
        webhook.save(update_fields=fields)
        _audit("webhook.update", webhook, actor)
    return webhook


# -- events --------------------------------------------------------------------------------------------------------


def feed_grew(*, firm_id: int) -> None:
    """Called inside the transaction that appended to the feed: once it commits, queue the firm's notification.

    The check is one indexed query; firms without webhooks queue nothing."""
    if OutboundWebhook.objects.filter(firm_id=firm_id, active=True).exists():
        from django_q.tasks import async_task

        transaction.on_commit(lambda: async_task("projects.tasks.notify_webhooks", firm_id))


def webhooks_notify(*, firm_id: int, now: dt.datetime) -> list[int]:
    """Open (or move up) one feed event per active webhook that is behind the feed; answers the deliveries due now."""
    position = _feed_position(firm_id)
    behind = OutboundWebhook.objects.filter(firm_id=firm_id, active=True, notified_position__lt=position)
    due = []
    for webhook in behind:
        delivery = _open_event(webhook, position, now)
        if delivery.next_attempt_at is None or delivery.next_attempt_at <= now:
            due.append(delivery.pk)
    return due


def _open_event(webhook: OutboundWebhook, position: int, now: dt.datetime) -> OutboundDelivery:
    open_events = OutboundDelivery.objects.filter(
        webhook=webhook, event=OutboundDelivery.Event.FEED_GREW, status__in=OPEN
    )
    open_events.filter(position__lt=position).update(position=position)
    delivery = open_events.first()
    if delivery is not None:
        return delivery
    try:
        with transaction.atomic():
            return OutboundDelivery.objects.create(
                firm_id=webhook.firm_id,
                webhook=webhook,
                event=OutboundDelivery.Event.FEED_GREW,
                position=position,
                created_at=now,
            )
    except IntegrityError:  # opened by a concurrent notification a moment ago
        return open_events.get()


def webhook_send_test(*, webhook: OutboundWebhook, now: dt.datetime) -> OutboundDelivery:
    """A signed test event sent at once, also to a turned-off webhook (to check it before turning it on again)."""
    delivery = OutboundDelivery.objects.create(
        firm_id=webhook.firm_id,
        webhook=webhook,
        event=OutboundDelivery.Event.TEST,
        position=_feed_position(webhook.firm_id),
        created_at=now,
    )
    return delivery_attempt(delivery_id=delivery.pk, clock=lambda: now) or delivery


def deliveries_retry_due(*, now: dt.datetime) -> list[int]:
    """The minute schedule: open events whose wait is over, and webhooks left behind the feed (a queued
    notification lost with its worker) — so every growth is announced eventually."""
    position = FeedSequence.objects.filter(firm_id=OuterRef("firm_id")).values("last_position")[:1]
    lagging = OutboundWebhook.objects.filter(active=True).filter(notified_position__lt=Subquery(position))
    for firm_id in set(lagging.values_list("firm_id", flat=True)):
        webhooks_notify(firm_id=firm_id, now=now)
    due = OutboundDelivery.objects.filter(status__in=OPEN, webhook__active=True).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return list(due.values_list("pk", flat=True))


# -- delivering ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: int | None
    error: str
    wait: float | None  # seconds the endpoint asked us to wait (Retry-After)
    duration_ms: int


def event_body(delivery: OutboundDelivery) -> bytes:
    feed_url = settings.PORTAL_BASE_URL + reverse("api-v1:feed")
    event = {
        "id": delivery.pk,
        "type": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "data": {"position": delivery.position, "feed_url": feed_url},
    }
    return json.dumps(event, separators=(",", ":")).encode()


def _post(webhook: OutboundWebhook, body: bytes, addresses: list[str]) -> Outcome:
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "connector-portal-webhooks/1",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature_for(secret=webhook.secret, timestamp=timestamp, body=body),
    }
    began = time.perf_counter()
    try:
        response = pinned_post(
            webhook.url, addresses=addresses, data=body, headers=headers, timeout=settings.OUTBOUND_WEBHOOK_TIMEOUT
        )
    except requests.RequestException as exc:
        took = round((time.perf_counter() - began) * 1000)
        return Outcome(None, f"Could not reach the endpoint ({type(exc).__name__}).", None, took)
    took = round((time.perf_counter() - began) * 1000)
    if 200 <= response.status_code < 300:
        return Outcome(response.status_code, "", None, took)
    wait = retry_after_seconds(response, now=time.time())
    return Outcome(response.status_code, f"The endpoint answered HTTP {response.status_code}.", wait, took)


def _claim(delivery_id: int, now: dt.datetime) -> OutboundDelivery | None:
    """Take an open, due delivery for one attempt (one statement, so two workers never send the same attempt)."""
    claimed = (
        OutboundDelivery.objects.filter(pk=delivery_id, status__in=OPEN)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(attempts=F("attempts") + 1, next_attempt_at=now + ATTEMPT_LEASE, last_attempt_at=now)
    )
    if not claimed:
        return None
    return OutboundDelivery.objects.select_related("webhook").get(pk=delivery_id)


def delivery_attempt(*, delivery_id: int, clock: Clock = timezone.now) -> OutboundDelivery | None:
    """Send one open delivery once, if it is due; None when there was nothing to send. Safe to run twice."""
    delivery = _claim(delivery_id, clock())
    if delivery is None:
        return None
    webhook = delivery.webhook
    if not webhook.active and delivery.event != OutboundDelivery.Event.TEST:
        return None
    try:
        # Again (what its host resolves to may have changed since it was registered), and the call connects to
        # exactly these addresses: its host is not resolved a second time.
        addresses = webhook_addresses(webhook.url)
    except UnsafeAddress as exc:
        return _failed(delivery, Outcome(None, f"Not sent: {exc.message}", None, 0), clock())
    outcome = _post(webhook, event_body(delivery), addresses)
    now = clock()
    if outcome.error:
        return _failed(delivery, outcome, now)
    return _delivered(delivery, outcome, now)


def _delivered(delivery: OutboundDelivery, outcome: Outcome, now: dt.datetime) -> OutboundDelivery:
    fields = {"response_status": outcome.status, "error": "", "duration_ms": outcome.duration_ms}
    # The feed may have grown while this was in flight and moved the open event up: then it stays open, due now.
    done = OutboundDelivery.objects.filter(pk=delivery.pk, position=delivery.position).update(
        status=OutboundDelivery.Status.DELIVERED, delivered_at=now, next_attempt_at=None, **fields
    )
    if not done:
        OutboundDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now, **fields)
        transaction.on_commit(lambda: _queue_attempt(delivery.pk))
    if delivery.event == OutboundDelivery.Event.FEED_GREW:
        OutboundWebhook.objects.filter(pk=delivery.webhook_id, notified_position__lt=delivery.position).update(
            notified_position=delivery.position
        )
    OutboundWebhook.objects.filter(pk=delivery.webhook_id).update(
        consecutive_failures=0, failing_since=None, last_success_at=now
    )
    delivery.refresh_from_db()
    return delivery


def _queue_attempt(delivery_id: int) -> None:
    from django_q.tasks import async_task

    async_task("projects.tasks.deliver_webhook", delivery_id)


def _failed(delivery: OutboundDelivery, outcome: Outcome, now: dt.datetime) -> OutboundDelivery:
    test = delivery.event == OutboundDelivery.Event.TEST
    gave_up = test or delivery.attempts >= MAX_ATTEMPTS
    wait = max(BACKOFF[min(delivery.attempts, len(BACKOFF)) - 1], outcome.wait or 0)
    delivery.status = OutboundDelivery.Status.FAILED if gave_up else OutboundDelivery.Status.RETRYING
    delivery.next_attempt_at = None if gave_up else now + dt.timedelta(seconds=min(wait, BACKOFF[-1]))
    delivery.response_status, delivery.error, delivery.duration_ms = outcome.status, outcome.error, outcome.duration_ms
    delivery.save(update_fields=["status", "next_attempt_at", "response_status", "error", "duration_ms"])
    if not test:  # a failed test tells the person who pressed it; it does not count towards turning the webhook off
        _count_failure(delivery.webhook, outcome, now)
    return delivery


def _count_failure(webhook: OutboundWebhook, outcome: Outcome, now: dt.datetime) -> None:
    OutboundWebhook.objects.filter(pk=webhook.pk, failing_since__isnull=True).update(failing_since=now)
    OutboundWebhook.objects.filter(pk=webhook.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    webhook.refresh_from_db(fields=["consecutive_failures", "failing_since", "active"])
    if webhook.active and webhook.consecutive_failures >= settings.OUTBOUND_WEBHOOK_DISABLE_AFTER:
        reason = (
            f"Turned off after {webhook.consecutive_failures} failed attempts in a row since "
            f"{when(webhook.failing_since or now)} UTC. Last: {outcome.error} Fix the endpoint, press "
            "“Send test”, then turn the webhook on again. Until then, Project Center must poll the feed."
        )
        turned_off = OutboundWebhook.objects.filter(pk=webhook.pk, active=True).update(
            active=False, disabled_reason=reason
        )
        if turned_off:
            OutboundDelivery.objects.filter(webhook=webhook, status__in=OPEN).update(
                status=OutboundDelivery.Status.FAILED, next_attempt_at=None
            )
            _email_admins(webhook, reason)


def _email_admins(webhook: OutboundWebhook, reason: str) -> None:
    recipients = list(
        Membership.objects.filter(firm_id=webhook.firm_id, role=Membership.Role.ADMIN, user__is_active=True)
        .values_list("user__email", flat=True)
        .order_by("user__email")
    )
    if not recipients:
        return
    subject = "[Connector portal] Project Center webhook turned off"
    body = (
        f"The connector portal could not reach your Project Center webhook at {webhook.url}.\n\n{reason}\n\n"
        "Nothing in the feed is lost: Project Center reads every entry from its cursor when it next polls.\n"
    )
    transaction.on_commit(lambda: send_mail(subject, body, None, recipients))
