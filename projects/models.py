"""Links of Project Center projects to provider projects, and what the sync engine keeps for each link."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from connector_portal.dates import when
from connector_portal.models import Connector, FirmOwned
from projects.constants import DEFAULT_SYNC_INTERVAL
from providers.types import ProjectFacts


class ProjectLink(FirmOwned):
    """The connection of one Project Center project to one provider project (at most one per Project Center project)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        CONNECTION_LOST = "connection_lost", "Connection lost — reconnect"
        BLOCKED = "blocked", "Blocked by the provider"
        FAILING = "failing", "Failing"

    project = models.OneToOneField(
        "connector_portal.ProjectCenterProject", on_delete=models.CASCADE, related_name="link"
    )
    provider = models.CharField(max_length=20, choices=Connector.choices)
    # The link's own response mapping; deleted with the link (projects.services.mapping, on disconnect and on delete).
    mapping_table = models.OneToOneField(
        "mappings.MappingTable", null=True, blank=True, on_delete=models.SET_NULL, related_name="link"
    )
    account = models.ForeignKey(
        "providers.ProviderAccount",
        on_delete=models.PROTECT,
        related_name="links",
        help_text="The provider account of the receiving user (the person who receives submittals and RFIs).",
    )
    provider_company_id = models.CharField(
        max_length=100, blank=True, help_text="Procore company id or Autodesk hub id; empty for ConstructEx."
    )
    provider_company_name = models.CharField(max_length=255, blank=True)
    provider_project_id = models.CharField(max_length=100)
    provider_project_name = models.CharField(max_length=255)
    sync_submittals = models.BooleanField(default=True)
    sync_rfis = models.BooleanField("sync RFIs", default=True)
    supports_submittals = models.BooleanField(
        default=True, help_text="False for BIM 360 projects: Autodesk offers no submittals API for them."
    )
    # What the provider told about the project when it was listed (providers.types.ProjectFacts), kept here so that
    # every worker knows it; empty for providers that need none. An Autodesk link made before these were kept gets
    # them on its next sync or response (the project is read from Data Management once, then saved).
    provider_project_type = models.CharField(
        max_length=20, blank=True, help_text="Autodesk: ACC or BIM360 (Data Management's projectType)."
    )
    rfi_container_id = models.CharField(
        "RFIs container id",
        max_length=100,
        blank=True,
        help_text="Autodesk: the project's RFIs container (BIM 360's RFI API takes it, not the project id).",
    )
    region = models.CharField(
        max_length=10, blank=True, help_text="Autodesk: the hub's region (US, EMEA, ...): the host of item pages."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.TextField(blank=True, help_text="What is wrong and what to do, in words.")
    sync_interval = models.PositiveIntegerField(
        "sync interval (seconds)",
        default=DEFAULT_SYNC_INTERVAL,
        help_text="From the start of one poll to the start of the next; stretched only to stay within the budget.",
    )
    next_sync_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # -- sync engine state ------------------------------------------------------------------------------------------
    # Per-kind cursors: the newest provider `updated_at` fully synced. The next pull asks from here minus a look-back.
    submittal_cursor = models.DateTimeField(null=True, blank=True, editable=False)
    rfi_cursor = models.DateTimeField("RFI cursor", null=True, blank=True, editable=False)
    # When the provider's whole item list was last compared with ours: how deletions that no provider reports on its
    # incremental lists (Autodesk, Procore without a webhook) are found.
    reconciled_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The lease: one sync per link at a time; an expired lease (worker killed) can be taken over.
    lease_owner = models.CharField(max_length=32, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    poked_at = models.DateTimeField(
        null=True, blank=True, help_text="Set by a webhook or “Sync now”; the sweep syncs a poked link at once."
    )
    queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    retry_after_until = models.DateTimeField(
        null=True, blank=True, help_text="The provider asked the portal to wait until then (rate limit or outage)."
    )
    failing_since = models.DateTimeField(null=True, blank=True)
    auto_paused = models.BooleanField(
        default=False, help_text="Paused by the portal after failing for a day (probed now and then to recover)."
    )
    reauth_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_run_calls = models.PositiveIntegerField(
        default=0, editable=False, help_text="Provider requests of the last sync (for the rate budget)."
    )
    shared_budget_wait_since = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Due, but held back by the sweep since then: the provider's per-application budget (all firms "
        "together) had no room left.",
    )
    # Procore webhooks. The token names the link in the URL; the secret (sent back as Authorization) is kept hashed.
    webhook_token = models.CharField(max_length=48, blank=True, editable=False)
    webhook_secret_hash = models.CharField(max_length=64, blank=True, editable=False)
    webhook_hook_id = models.CharField(max_length=100, blank=True)
    webhook_healthy = models.BooleanField(default=False)
    webhook_last_delivery_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["webhook_token"], condition=~Q(webhook_token=""), name="projectlink_unique_webhook_token"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} ↔ {self.get_provider_display()} {self.provider_project_name}"

    # The firm of a link is one fact, its project's. `firm` is kept on the row for firm-scoped queries and is
    # derived from the project when not given; Django has no composite foreign key to make the database hold
    # (firm, project) and (firm, account) together, so clean() and save() do. Queryset .update() and bulk_create
    # bypass save(): the services never change these three fields that way.
    FIRM_FIELDS = frozenset({"firm", "project", "account"})

    def clean(self) -> None:
        super().clean()
        self._check_firm()

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None or self.FIRM_FIELDS.intersection(update_fields):
            self._check_firm()
        super().save(*args, **kwargs)

    def _check_firm(self) -> None:
        """Take the firm from the project; refuse a firm or a receiving user's account of another firm."""
        if self.project_id is None:
            return  # the missing project is reported by field validation or the database
        firm_id = self.project.firm_id
        if self.firm_id is None:
            self.firm_id = firm_id
        elif self.firm_id != firm_id:
            raise ValidationError(
                f"This connection is set to firm “{self.firm}”, but its Project Center project {self.project} "
                f"belongs to “{self.project.firm}”. A connection always belongs to its project's firm: "
                "connect the project from that firm instead.",
                code="firm_mismatch",
            )
        if self.account_id is not None and self.account.firm_id != firm_id:
            raise ValidationError(
                f"The receiving user's provider account ({self.account}) belongs to firm “{self.account.firm}”, "
                f"not to “{self.project.firm}”, the firm of Project Center project {self.project}. Choose a "
                "receiving user who signed in to the provider from that firm.",
                code="firm_mismatch",
            )

    FACT_FIELDS = ("provider_project_type", "rfi_container_id", "region")

    @property
    def provider_facts(self) -> ProjectFacts:
        return ProjectFacts(
            project_type=self.provider_project_type, rfi_container_id=self.rfi_container_id, region=self.region
        )

    def set_provider_facts(self, facts: ProjectFacts) -> None:
        self.provider_project_type, self.rfi_container_id, self.region = (
            facts.project_type,
            facts.rfi_container_id,
            facts.region,
        )

    @property
    def provider_name(self) -> str:
        """The provider's name for this project on every page and e-mail: "Autodesk Construction Cloud" or "BIM 360"
        from an Autodesk project's type, so that one project is never called both."""
        from providers.registry import project_provider_label

        return project_provider_label(self.provider, self.provider_facts)

    def cursor_for(self, kind: str) -> dt.datetime | None:
        return getattr(self, f"{kind}_cursor")

    @property
    def kinds(self) -> list[str]:
        """The item kinds this link syncs."""
        return [kind for kind, on in (("submittal", self.sync_submittals), ("rfi", self.sync_rfis)) if on]


class LinkReviewer(FirmOwned):
    """A further receiving user of a link, besides the one who connected it (`ProjectLink.account`).

    An item is received when any receiving user is its reviewer; each signs in at the provider with their own account.
    """

    link = models.ForeignKey(ProjectLink, on_delete=models.CASCADE, related_name="reviewers")
    account = models.ForeignKey("providers.ProviderAccount", on_delete=models.PROTECT, related_name="reviewer_of")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["link", "id"]
        constraints = [models.UniqueConstraint(fields=["link", "account"], name="linkreviewer_unique_per_link")]

    def __str__(self) -> str:
        return f"{self.account} on {self.link_id}"


class ProjectContact(FirmOwned):
    """A member of a Project Center project's team, as Project Center reports it; reviewers are matched by e-mail."""

    project = models.ForeignKey(
        "connector_portal.ProjectCenterProject", on_delete=models.CASCADE, related_name="contacts"
    )
    email = models.EmailField(help_text="Kept in lower case: the key reviewers are matched on.")
    name = models.CharField(max_length=255, blank=True)
    pc_contact_id = models.CharField("Project Center contact id", max_length=100, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["project", "email"]
        constraints = [models.UniqueConstraint(fields=["project", "email"], name="projectcontact_unique_email")]

    def __str__(self) -> str:
        return f"{self.name or self.email} ({self.project_id})"


class ItemKindChoices(models.TextChoices):
    SUBMITTAL = "submittal", "Submittal"
    RFI = "rfi", "RFI"


class SyncedItem(FirmOwned):
    """One submittal or RFI of a link's provider project, as last seen. A revision is its own item."""

    link = models.ForeignKey(ProjectLink, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=10, choices=ItemKindChoices.choices)
    provider_id = models.CharField(max_length=100)
    number = models.CharField(max_length=100, blank=True)
    revision = models.CharField(max_length=20, blank=True)
    title = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=100, blank=True)
    due_date = models.DateField(null=True, blank=True)
    ball_in_court = models.JSONField(default=list, blank=True)
    url = models.URLField(max_length=500, blank=True)
    closed = models.BooleanField(default=False)
    removed = models.BooleanField(default=False, help_text="Deleted or recycled upstream.")
    # Missing from a full listing: removed only if the next full listing misses it too (offset paging can skip a row).
    unlisted_at = models.DateTimeField(null=True, blank=True)
    predecessor = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="revisions")
    # Whose item it is among the link's receiving users: their account sends its responses back.
    reviewer = models.ForeignKey(
        "providers.ProviderAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The receiving user it arrived for; responses go back in their name.",
    )
    provider_updated_at = models.DateTimeField(null=True, blank=True)
    content_hash = models.CharField(max_length=64)
    # What a reviewer reads beyond the envelope (providers.types.ItemContent.as_json): description, RFI question and
    # answers, spec section, people, reviewers, dates, impacts. One JSON value: it is always read and written whole
    # (the feed shows it whole, the hash covers it whole), never filtered on, and each provider fills another part.
    content = models.JSONField(default=dict, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    # Set when the portal posted a response: the provider's resulting change must not come back as incoming.
    echo_pending = models.BooleanField(default=False)
    first_seen_at = models.DateTimeField()
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["link", "kind", "number", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["link", "kind", "provider_id"], name="synceditem_unique_per_link"),
        ]

    def __str__(self) -> str:
        label = "RFI" if self.kind == ItemKindChoices.RFI else "Submittal"
        rev = f" rev {self.revision}" if self.revision else ""
        return f"{label} {self.number}{rev}: {self.title}"[:200]


class FeedSequence(models.Model):
    """The firm's change-feed counter. Taken FOR UPDATE by the transaction that appends, so on PostgreSQL a later
    position can never commit before an earlier one and a reader's cursor never skips a row."""

    firm = models.OneToOneField("connector_portal.Firm", on_delete=models.CASCADE, related_name="+")
    last_position = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Feed of {self.firm_id} at {self.last_position}"


class FeedEntry(FirmOwned):
    """One real change of a synced item, in the order Project Center must read it (append-only)."""

    class Change(models.TextChoices):
        NEW = "new", "New"
        CHANGED = "changed", "Changed"
        REMOVED = "removed", "Removed upstream"

    class Origin(models.TextChoices):
        PROVIDER = "provider", "A change made in the provider"
        # The item's state after the portal posted the reviewer's response (ball in court moved on, status): news for
        # Project Center's record of the item, never a new request to review.
        PORTAL_RESPONSE = "portal_response", "The result of the portal's own response"

    position = models.BigIntegerField(help_text="Per-firm, gap-free in commit order: Project Center's cursor.")
    link = models.ForeignKey(ProjectLink, on_delete=models.CASCADE, related_name="feed_entries")
    item = models.ForeignKey(SyncedItem, on_delete=models.CASCADE, related_name="feed_entries")
    change = models.CharField(max_length=10, choices=Change.choices)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.PROVIDER)
    content_hash = models.CharField(max_length=64)
    snapshot = models.JSONField(default=dict, help_text="The item's fields as they were at this change.")
    created_at = models.DateTimeField()
    pc_item_id = models.CharField("Project Center item id", max_length=100, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["firm", "position"]
        verbose_name_plural = "feed entries"
        constraints = [
            models.UniqueConstraint(fields=["firm", "position"], name="feedentry_unique_position_per_firm"),
        ]

    def __str__(self) -> str:
        return f"#{self.position} {self.get_change_display()} {self.item_id}"


class ItemResponse(FirmOwned):
    """A reviewer's response recorded in Project Center, on its way to the provider."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        DELIVERING = "delivering", "Being sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        DISMISSED = "dismissed", "Dismissed"

    item = models.ForeignKey(SyncedItem, on_delete=models.CASCADE, related_name="responses")
    link = models.ForeignKey(ProjectLink, on_delete=models.CASCADE, related_name="responses")
    # The receiving user the item is for, when recorded: the response is sent with their account.
    reviewer = models.ForeignKey(
        "providers.ProviderAccount", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    keyword = models.CharField("Project Center keyword", max_length=100, blank=True)
    comment = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=255)
    request_hash = models.CharField(
        max_length=64, help_text="Hash of the request body: a reused key with another body is refused."
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # While being sent: the worker sending it (projects.services.lease). Only that worker renews the delivery's lease
    # or settles it, so a worker whose lease lapsed under it cannot overwrite the next attempt.
    delivery_owner = models.CharField(max_length=32, blank=True, editable=False)
    option_id = models.CharField("provider response id", max_length=100, blank=True)
    option_name = models.CharField("provider response", max_length=255, blank=True)
    provider_answer = models.TextField(blank=True, help_text="What the provider said, in words.")
    created_at = models.DateTimeField()
    # When a person last sent it again: the day of passing faults it is tried through counts from then.
    retried_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "idempotency_key"], name="itemresponse_unique_key_per_firm"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="itemresponse_due")]

    def __str__(self) -> str:
        return f"{self.keyword or 'Reply'} on {self.item}"[:200]


class SyncRun(FirmOwned):
    """One pull of a link: when, how it ended, what it counted, and its progress while running."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        RESCHEDULED = "rescheduled", "Rescheduled"
        FAILED = "failed", "Failed"
        INTERRUPTED = "interrupted", "Interrupted"  # its worker died; the next sync carried on from its last page

    link = models.ForeignKey(ProjectLink, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    message = models.TextField(blank=True, help_text="How it ended, in words.")
    fetched = models.PositiveIntegerField(default=0)
    new = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    not_for_user = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    provider_calls = models.PositiveIntegerField(default=0)
    pages_done = models.PositiveIntegerField(default=0)
    expected_items = models.PositiveIntegerField(null=True, blank=True, help_text="When the provider tells a total.")
    held_kinds = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["link", "-started_at"], name="syncrun_link_recent")]

    def __str__(self) -> str:
        return f"Sync of {self.link_id} at {when(self.started_at)} ({self.get_status_display()})"

    @property
    def progress_percent(self) -> int | None:
        if not self.expected_items:
            return None
        return min(100, round(100 * self.fetched / self.expected_items))


class WebhookDelivery(models.Model):
    """A webhook delivery already handled: providers deliver some twice."""

    link = models.ForeignKey(ProjectLink, on_delete=models.CASCADE, related_name="webhook_deliveries")
    delivery_id = models.CharField(max_length=100)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["link", "delivery_id"], name="webhookdelivery_unique_per_link"),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} for link {self.link_id}"


class AccountRateBudget(models.Model):
    """The hourly request limit a provider account reported; the sweep plans its links' polling within it."""

    account = models.OneToOneField("providers.ProviderAccount", on_delete=models.CASCADE, related_name="rate_budget")
    hourly_limit = models.PositiveIntegerField()
    observed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hourly_limit}/hour for {self.account_id}"


# Kept in their own module (this one is long); imported here so Django finds them as projects' models.
from projects.attachment_models import Attachment, AttachmentBlob  # noqa: E402, F401

# Outbound webhooks live in their own module; imported here so Django registers them with the app.
from projects.outbound_models import OutboundDelivery, OutboundWebhook  # noqa: E402, F401

# The files of responses live in a module of their own; imported here so Django finds the models.
from projects.upload_models import ResponseFile as ResponseFile  # noqa: E402
from projects.upload_models import ResponseUpload as ResponseUpload  # noqa: E402
