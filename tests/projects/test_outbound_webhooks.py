"""Outbound webhooks: Project Center hears that the feed grew; signed, retried, turned off after repeated failure."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable

import pytest
import requests
import responses
from django.core import mail
from django.db import connection, transaction

from connector_portal.models import Firm, Membership, User
from projects import tasks
from projects.models import FeedSequence, OutboundDelivery, OutboundWebhook, ProjectLink
from projects.services import outbound
from tests.api.factories import entries_append, item_add
from tests.projects.conftest import T0, Clock

HOOK = "https://pc.example.com/hooks/portal"


@pytest.fixture
def webhook(firm: Firm) -> tuple[OutboundWebhook, str]:
    return outbound.webhook_create(firm=firm, url=HOOK, now=T0)


def _grow(link: ProjectLink, provider_id: str, capture: Callable) -> None:
    """A page of the sync commits one new item to the feed (and its on-commit notification runs)."""
    with capture(execute=True):
        entries_append([item_add(link, provider_id)])


def _body(call: responses.Call) -> bytes:
    body = call.request.body
    assert isinstance(body, bytes)
    return body


def _signed_by(secret: str, call: responses.Call) -> bool:
    headers = call.request.headers
    return outbound.signature_verify(
        secret=secret,
        timestamp=headers[outbound.TIMESTAMP_HEADER],
        body=_body(call),
        signature=headers[outbound.SIGNATURE_HEADER],
        now=time.time(),
    )


@responses.activate
def test_a_growing_feed_posts_a_thin_signed_event_with_the_newest_position(
    link: ProjectLink, webhook: tuple[OutboundWebhook, str], django_capture_on_commit_callbacks: Callable
) -> None:
    responses.post(HOOK, status=204)
    hook, secret = webhook

    _grow(link, "501", django_capture_on_commit_callbacks)

    (call,) = responses.calls
    newest = FeedSequence.objects.get(firm=link.firm).last_position
    event = json.loads(_body(call))
    assert event["type"] == "feed.grew" and event["data"]["position"] == newest
    assert event["data"]["feed_url"].endswith("/api/v1/feed/")
    assert set(event) == {"id", "type", "created_at", "data"}  # thin: nothing of the item itself
    assert _signed_by(secret, call)
    hook.refresh_from_db()
    assert hook.notified_position == newest and hook.deliveries.get().status == OutboundDelivery.Status.DELIVERED


def test_a_signature_over_another_body_or_an_old_timestamp_does_not_verify() -> None:
    body, now = b'{"type":"feed.grew"}', 1_800_000_000
    signature = outbound.signature_for(secret="whsec_a", timestamp=now, body=body)

    def verify(**kw: object) -> bool:
        args = {"secret": "whsec_a", "timestamp": str(now), "body": body, "signature": signature, "now": now + 1}
        return outbound.signature_verify(**{**args, **kw})  # type: ignore[arg-type]

    assert verify()
    assert not verify(body=b'{"type":"feed.grew","x":1}')
    assert not verify(secret="whsec_b")
    assert not verify(now=now + outbound.SIGNATURE_TOLERANCE + 1)
    assert not verify(timestamp="not-a-time")


@responses.activate
def test_notifying_twice_sends_once(link: ProjectLink, webhook: tuple[OutboundWebhook, str]) -> None:
    responses.post(HOOK, status=200)
    entries_append([item_add(link, "502")])  # on_commit not run: as if the task were queued

    tasks.notify_webhooks(link.firm_id)
    tasks.notify_webhooks(link.firm_id)

    assert len(responses.calls) == 1


def test_the_secret_is_encrypted_at_rest_and_answered_only_at_creation(webhook: tuple[OutboundWebhook, str]) -> None:
    hook, secret = webhook
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secret FROM {OutboundWebhook._meta.db_table} WHERE id = %s", [hook.pk])
        (stored,) = cursor.fetchone()
    assert secret.startswith("whsec_") and secret not in stored
    assert OutboundWebhook.objects.get(pk=hook.pk).secret == secret


def test_a_webhook_must_be_https_unless_plain_http_is_allowed(firm: Firm, settings: object) -> None:
    settings.OUTBOUND_WEBHOOKS_ALLOW_HTTP = False  # type: ignore[attr-defined]
    with pytest.raises(outbound.ValidationError, match="https://"):
        outbound.webhook_create(firm=firm, url="http://pc.example.com/hook", now=T0)


@responses.activate
def test_a_failed_call_is_retried_after_its_backoff_and_success_forgets_the_failures(
    link: ProjectLink, webhook: tuple[OutboundWebhook, str]
) -> None:
    responses.post(HOOK, status=500)
    clock = Clock()
    entries_append([item_add(link, "503")])
    (due,) = outbound.webhooks_notify(firm_id=link.firm_id, now=clock())
    delivery = outbound.delivery_attempt(delivery_id=due, clock=clock)
    assert delivery is not None and delivery.status == OutboundDelivery.Status.RETRYING
    assert "HTTP 500" in delivery.error and delivery.next_attempt_at == T0 + dt.timedelta(seconds=10)

    assert outbound.deliveries_retry_due(now=clock.advance(seconds=5)) == []
    assert outbound.deliveries_retry_due(now=clock.advance(seconds=5)) == [due]
    responses.replace(responses.POST, HOOK, status=204)
    delivery = outbound.delivery_attempt(delivery_id=due, clock=clock)

    assert delivery is not None and delivery.status == OutboundDelivery.Status.DELIVERED and delivery.attempts == 2
    assert OutboundWebhook.objects.get(pk=webhook[0].pk).consecutive_failures == 0


@responses.activate
def test_an_endpoint_asking_to_wait_is_not_called_again_sooner(
    link: ProjectLink, webhook: tuple[OutboundWebhook, str]
) -> None:
    responses.post(HOOK, status=429, headers={"Retry-After": "900"})
    entries_append([item_add(link, "504")])
    (due,) = outbound.webhooks_notify(firm_id=link.firm_id, now=T0)

    delivery = outbound.delivery_attempt(delivery_id=due, clock=lambda: T0)

    assert delivery is not None and delivery.next_attempt_at == T0 + dt.timedelta(seconds=900)


@responses.activate
def test_an_attempt_whose_worker_died_is_tried_again_after_its_lease(
    link: ProjectLink, webhook: tuple[OutboundWebhook, str]
) -> None:
    responses.post(HOOK, status=204)
    entries_append([item_add(link, "505")])
    (due,) = outbound.webhooks_notify(firm_id=link.firm_id, now=T0)
    assert outbound._claim(due, T0) is not None  # claimed, then the worker is SIGKILLed before it records anything

    assert outbound.delivery_attempt(delivery_id=due, clock=lambda: T0 + dt.timedelta(seconds=30)) is None
    later = T0 + outbound.ATTEMPT_LEASE
    assert outbound.deliveries_retry_due(now=later) == [due]
    delivery = outbound.delivery_attempt(delivery_id=due, clock=lambda: later)
    assert delivery is not None and delivery.status == OutboundDelivery.Status.DELIVERED


@responses.activate
def test_growth_while_an_event_waits_moves_it_up_instead_of_queueing_another(
    link: ProjectLink, webhook: tuple[OutboundWebhook, str]
) -> None:
    responses.post(HOOK, status=503)
    entries_append([item_add(link, "506")])
    (due,) = outbound.webhooks_notify(firm_id=link.firm_id, now=T0)
    outbound.delivery_attempt(delivery_id=due, clock=lambda: T0)
    entries_append([item_add(link, "507")])

    assert outbound.webhooks_notify(firm_id=link.firm_id, now=T0 + dt.timedelta(seconds=1)) == []  # still waiting

    (event,) = OutboundDelivery.objects.filter(webhook=webhook[0])
    assert event.position == FeedSequence.objects.get(firm=link.firm).last_position


@responses.activate
def test_repeated_failure_turns_the_webhook_off_and_emails_the_firms_admins_once(
    link: ProjectLink,
    webhook: tuple[OutboundWebhook, str],
    make_member: Callable[..., User],
    django_capture_on_commit_callbacks: Callable,
) -> None:
    make_member(link.firm, "admin@acme.example.com", role=Membership.Role.ADMIN)
    make_member(link.firm, "plain@acme.example.com")
    responses.post(HOOK, body=requests.ConnectionError("refused"))
    clock = Clock()
    entries_append([item_add(link, "508")])
    (due,) = outbound.webhooks_notify(firm_id=link.firm_id, now=clock())

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(outbound.MAX_ATTEMPTS):
            with transaction.atomic():
                outbound.delivery_attempt(delivery_id=due, clock=clock)
            clock.advance(hours=3)
        assert outbound.deliveries_retry_due(now=clock()) == []

    hook = OutboundWebhook.objects.get(pk=webhook[0].pk)
    assert not hook.active and "8 failed attempts in a row" in hook.disabled_reason
    assert "Could not reach the endpoint" in hook.disabled_reason
    (email,) = mail.outbox
    assert email.to == ["admin@acme.example.com"] and HOOK in email.body and "turned off" in email.subject
    assert OutboundDelivery.objects.get(pk=due).status == OutboundDelivery.Status.FAILED


@responses.activate
def test_send_test_reaches_a_turned_off_webhook_and_its_failure_does_not_count(
    webhook: tuple[OutboundWebhook, str],
) -> None:
    hook, secret = webhook
    outbound.webhook_update(webhook=hook, active=False)
    responses.post(HOOK, status=500)

    failed = outbound.webhook_send_test(webhook=hook, now=T0)
    responses.replace(responses.POST, HOOK, status=200)
    passed = outbound.webhook_send_test(webhook=hook, now=T0)

    assert failed.status == OutboundDelivery.Status.FAILED and failed.response_status == 500
    assert passed.status == OutboundDelivery.Status.DELIVERED and _signed_by(secret, responses.calls[1])
    assert json.loads(_body(responses.calls[1]))["type"] == "test"
    assert OutboundWebhook.objects.get(pk=hook.pk).consecutive_failures == 0


@responses.activate
def test_a_lost_notification_is_caught_up_by_the_minute_schedule(
    link: ProjectLink, webhook: tuple[OutboundWebhook, str]
) -> None:
    responses.post(HOOK, status=204)
    entries_append([item_add(link, "509")])  # its queued notification died with the worker

    assert tasks.webhook_retries() == 1

    assert len(responses.calls) == 1


def test_firms_without_webhooks_queue_nothing_when_their_feed_grows(
    link: ProjectLink, django_capture_on_commit_callbacks: Callable
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        entries_append([item_add(link, "510")])
    assert callbacks == []


def test_a_webhook_url_inside_the_portals_network_is_refused(firm: Firm) -> None:
    with pytest.raises(outbound.ValidationError, match=r"192\.168\.4\.2 is a private network address"):
        outbound.webhook_create(firm=firm, url="https://192.168.4.2/hook", now=T0)
    assert not OutboundWebhook.objects.exists()


@responses.activate
def test_a_delivery_to_a_host_that_now_resolves_inside_the_network_is_not_sent_and_logged_as_failed(
    link: ProjectLink, webhook: tuple[OutboundWebhook, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a webhook registered while its host resolved to a public address, whose DNS now answers a private one
    from projects.services import outbound_address

    responses.post(HOOK, status=204)
    monkeypatch.setattr(outbound_address, "resolve", lambda host, port: ["10.0.0.7"])
    entries_append([item_add(link, "520")])
    (due,) = outbound.webhooks_notify(firm_id=link.firm_id, now=T0)

    # When its delivery is attempted
    delivery = outbound.delivery_attempt(delivery_id=due, clock=Clock())

    # Then nothing is sent, and the log says why; it is retried (DNS may change back) and counts as a failure
    assert len(responses.calls) == 0
    assert delivery is not None and delivery.status == OutboundDelivery.Status.RETRYING
    assert delivery.error.startswith("Not sent: ") and "resolves to 10.0.0.7" in delivery.error
    assert "private network address" in delivery.error
    hook, _ = webhook
    hook.refresh_from_db()
    assert hook.consecutive_failures == 1


@responses.activate
def test_a_test_event_to_a_host_inside_the_network_fails_with_the_reason(
    webhook: tuple[OutboundWebhook, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from projects.services import outbound_address

    responses.post(HOOK, status=204)
    monkeypatch.setattr(outbound_address, "resolve", lambda host, port: ["169.254.169.254"])

    delivery = outbound.webhook_send_test(webhook=webhook[0], now=T0)

    assert len(responses.calls) == 0 and delivery.status == OutboundDelivery.Status.FAILED
    assert "link-local address" in delivery.error
