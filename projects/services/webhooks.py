"""Procore webhooks: the secret a link's hook sends back, and what a delivery (payload v2.0 or v4.0) does: poke the
link."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from connector_portal.metrics import WEBHOOK_DELIVERIES
from projects.models import FeedEntry, ItemKindChoices, ProjectLink, SyncedItem, WebhookDelivery
from projects.services.feed import feed_append
from projects.services.ingest import REMOVED_FIELDS, item_mark_removed
from projects.services.sweep import SYNC_TASK, link_poke
from providers.errors import ProviderError
from providers.procore import WebhookEvent, webhook_event
from providers.registry import get_provider

logger = logging.getLogger(__name__)
# Procore's webhook resource names -> our item kinds.
RESOURCE_KINDS = {"Submittals": ItemKindChoices.SUBMITTAL, "RFIs": ItemKindChoices.RFI}


class Outcome(StrEnum):
    POKED = "poked"
    DUPLICATE = "duplicate"
    OWN_WRITE = "own write"
    UNAUTHORIZED = "unauthorized"
    UNKNOWN_LINK = "unknown link"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def link_webhook_prepare(*, link: ProjectLink) -> tuple[str, str]:
    """A fresh (destination URL, Authorization header value) for the link's hook. The secret is shown only here."""
    secret = secrets.token_urlsafe(32)
    link.webhook_token = link.webhook_token or secrets.token_urlsafe(24)
    link.webhook_secret_hash = _digest(secret)
    link.save(update_fields=["webhook_token", "webhook_secret_hash", "updated_at"])
    path = reverse("projects:procore_webhook", kwargs={"token": link.webhook_token})
    return f"{settings.PORTAL_BASE_URL}{path}", f"Bearer {secret}"


def link_webhook_registered(*, link: ProjectLink, hook_id: str) -> None:
    link.webhook_hook_id = hook_id
    link.webhook_healthy = bool(hook_id)
    link.save(update_fields=["webhook_hook_id", "webhook_healthy", "updated_at"])


def link_webhooks_register(*, link_id: int) -> str:
    """Ask the provider to call the portal when the link's items change. Safe to run twice; without a hook the link is
    simply polled at its normal interval, so a refusal here is logged, not raised."""
    link = ProjectLink.objects.select_related("account").filter(pk=link_id).first()
    if link is None:
        return "the link is gone"
    provider = get_provider(link.provider)
    if not getattr(provider, "supports_webhooks", False):
        return f"{provider.label} has no webhooks for these items: the link is polled"
    if link.webhook_hook_id:
        return "already registered"
    url, authorization = link_webhook_prepare(link=link)
    try:
        hook_id = provider.register_webhooks(
            account=link.account,
            company_id=link.provider_company_id,
            project_id=link.provider_project_id,
            destination_url=url,
            authorization=authorization,
        )
    except ProviderError as exc:
        logger.warning("Webhook registration for link %s failed: %s", link.pk, exc.detail or exc.message)
        link_webhook_registered(link=link, hook_id="")
        return f"not registered, polling instead: {exc.message}"
    link_webhook_registered(link=link, hook_id=hook_id)
    return "registered"


def webhooks_unregister(*, provider: str, account_id: int, company_id: str, project_id: str, hook_id: str) -> str:
    """Remove a disconnected link's hook at the provider (best effort: a hook left behind only calls a dead URL)."""
    from providers.models import ProviderAccount

    account = ProviderAccount.objects.filter(pk=account_id).first()
    if account is None or not hook_id:
        return "nothing to remove"
    try:
        get_provider(provider).unregister_webhooks(
            account=account, company_id=company_id, project_id=project_id, hook_id=hook_id
        )
    except ProviderError as exc:
        logger.warning("Removing webhook %s failed: %s", hook_id, exc.detail or exc.message)
        return f"not removed: {exc.message}"
    return "removed"


def _item_removed(link: ProjectLink, event: WebhookEvent, now: dt.datetime) -> None:
    """Procore reports deletions only through webhooks: mark the item removed and tell Project Center once."""
    kind = RESOURCE_KINDS.get(event.resource_name)
    resource_id = event.resource_id
    if kind is None or not resource_id:
        return
    with transaction.atomic():
        item = SyncedItem.objects.select_for_update().filter(link=link, kind=kind, provider_id=resource_id).first()
        if item is None or item.removed:
            return
        item_mark_removed(item, now)
        item.save(update_fields=REMOVED_FIELDS)
        feed_append(firm_id=link.firm_id, changes=[(item, FeedEntry.Change.REMOVED)], now=now)


def _own_application_ids() -> set[str]:
    from providers.models import ProviderApp

    ids = set(ProviderApp.objects.filter(provider="procore").values_list("client_id", flat=True))
    extra = getattr(settings, "PROCORE_APPLICATION_ID", "")
    return {str(i) for i in ids | ({extra} if extra else set())}


def _authorized(link: ProjectLink, authorization: str) -> bool:
    if not link.webhook_secret_hash:
        return False
    secret = authorization.removeprefix("Bearer ").strip()
    return hmac.compare_digest(link.webhook_secret_hash, _digest(secret))


R = TypeVar("R")


def _counted(step: Callable[..., R]) -> Callable[..., R]:
    """Count each delivery by the Outcome a step of its handling ends it with (the portal's metrics)."""

    @wraps(step)
    def counted(**kwargs: Any) -> R:
        result = step(**kwargs)
        if isinstance(result, Outcome):
            WEBHOOK_DELIVERIES.labels(provider="procore", outcome=str(result)).inc()
        return result

    return counted


@_counted  # an unknown link or a wrong secret ends the delivery here
def webhook_authorize(*, token: str, authorization: str) -> ProjectLink | Outcome:
    """The link a delivery is for, checked before its body is read: UNKNOWN_LINK or UNAUTHORIZED when it is not."""
    link = ProjectLink.objects.filter(webhook_token=token).exclude(webhook_token="").first()
    if link is None:
        return Outcome.UNKNOWN_LINK
    if not _authorized(link, authorization):
        return Outcome.UNAUTHORIZED
    return link


@_counted
@transaction.atomic  # the delivery is recorded as seen only together with what it did
def webhook_receive(*, link: ProjectLink, payload: dict[str, Any], now: dt.datetime) -> Outcome:
    """Handle one authorized Procore delivery (see `webhook_authorize`): ignore repeats and the portal's own writes,
    poke the link."""
    event = webhook_event(payload)  # payload v2.0 (event_type, integer ids) or v4.0 (reason, string ids)
    source = event.source_application_id
    if source and source in _own_application_ids():
        return Outcome.OWN_WRITE
    delivery_id = event.delivery_id
    if delivery_id:
        try:
            with transaction.atomic():
                WebhookDelivery.objects.create(link=link, delivery_id=delivery_id, received_at=now)
        except IntegrityError:
            return Outcome.DUPLICATE
    if event.event == "delete":
        _item_removed(link, event, now)
    link_poke(link_id=link.pk, now=now)
    ProjectLink.objects.filter(pk=link.pk).update(webhook_last_delivery_at=now, webhook_healthy=True)
    _queue_sync(link.pk)
    return Outcome.POKED


def _queue_sync(link_id: int) -> None:
    from projects.queue import enqueue

    transaction.on_commit(lambda: enqueue(SYNC_TASK, link_id))
