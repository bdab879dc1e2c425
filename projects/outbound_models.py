"""Webhooks a firm registers so that Project Center hears of new feed entries at once (imported by projects.models)."""

from __future__ import annotations

from django.db import models

from connector_portal.models import FirmOwned
from providers.fields import EncryptedTextField


class OutboundWebhook(FirmOwned):
    """Where the portal tells a firm's Project Center that its feed grew. The secret signs every call; the portal
    needs it in clear to sign, so it is encrypted at rest (not hashed) and shown to the firm only once."""

    url = models.URLField("URL", max_length=500, help_text="Project Center's endpoint; the portal POSTs events here.")
    description = models.CharField(max_length=200, blank=True)
    secret = EncryptedTextField(editable=False)
    active = models.BooleanField(default=True, help_text="Off after repeated failures, or when turned off.")
    disabled_reason = models.TextField(blank=True, help_text="Why it was turned off, in words.")
    # The newest feed position Project Center has been told about, and the failures since the last success.
    notified_position = models.BigIntegerField(default=0, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["firm", "pk"]
        constraints = [models.UniqueConstraint(fields=["firm", "url"], name="outboundwebhook_unique_url_per_firm")]

    def __str__(self) -> str:
        return self.url


class OutboundDelivery(FirmOwned):
    """One event for one webhook and every attempt to deliver it: the delivery log support and the firm read."""

    class Event(models.TextChoices):
        FEED_GREW = "feed.grew", "Feed grew"
        TEST = "test", "Test"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        RETRYING = "retrying", "Failed, will retry"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed, gave up"

    webhook = models.ForeignKey(OutboundWebhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=20, choices=Event.choices)
    position = models.BigIntegerField(help_text="The newest feed position when the event was sent.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="HTTP status answered.")
    error = models.TextField(blank=True, help_text="What went wrong on the last attempt, in words.")
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        constraints = [
            # Feed events are coalesced: one open event per webhook carries the newest position.
            models.UniqueConstraint(
                fields=["webhook"],
                condition=models.Q(event="feed.grew", status__in=["pending", "retrying"]),
                name="outbounddelivery_one_open_feed_event",
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbounddelivery_due"),
            models.Index(fields=["webhook", "-created_at"], name="outbounddelivery_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} #{self.position} to {self.webhook_id}: {self.get_status_display()}"
