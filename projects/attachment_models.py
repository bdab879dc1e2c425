"""Files attached to synced items upstream, and the stored bytes behind them (imported by projects.models)."""

from __future__ import annotations

from django.db import models

from connector_portal.models import FirmOwned


class AttachmentBlob(FirmOwned):
    """One distinct file a firm holds, by content: every attachment with these bytes points here, so a drawing sent
    with ten submittals is stored once. Never shared between firms, so deleting a firm deletes its files."""

    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.BigIntegerField()
    storage_name = models.CharField(max_length=255, help_text="The object's name in the attachments storage.")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["firm", "sha256"], name="attachmentblob_unique_per_firm")]

    def __str__(self) -> str:
        return f"{self.sha256[:12]}… ({self.size} bytes)"


class Attachment(FirmOwned):
    """A file attached to a synced item on the provider: where it hangs, what the provider says of it, and where its
    download stands."""

    class Place(models.TextChoices):
        ITEM = "item", "The item itself"
        QUESTION = "question", "The RFI's question"
        ANSWER = "answer", "An answer"
        APPROVER = "approver", "A reviewer's response"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be downloaded"
        STORED = "stored", "Stored"
        TOO_LARGE = "too_large", "Too large"
        FAILED = "failed", "Failed"

    item = models.ForeignKey("projects.SyncedItem", on_delete=models.CASCADE, related_name="attachments")
    key = models.CharField(max_length=400, help_text="Where it hangs and the provider's id: unique on its item.")
    provider_id = models.CharField(max_length=200)
    version = models.CharField(max_length=100, blank=True)
    place = models.CharField(max_length=10, choices=Place.choices, default=Place.ITEM)
    owner_id = models.CharField(
        max_length=200, blank=True, help_text="The provider's id of the question, answer or approver it hangs on."
    )
    filename = models.CharField(max_length=255, help_text="Safe to save under: no folders, no control characters.")
    content_type = models.CharField(max_length=255, blank=True)
    declared_size = models.BigIntegerField(null=True, blank=True, help_text="The size the provider gave.")
    declared_sha256 = models.CharField(max_length=64, blank=True, help_text="The SHA-256 the provider gave.")
    # Where to fetch it now: may be a signed URL that expires, so it is refreshed by every sync and never shown.
    source_url = models.TextField(editable=False)
    source_authenticated = models.BooleanField(default=False, editable=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    reason = models.TextField(blank=True, help_text="Why it is not stored, in words.")
    blob = models.ForeignKey(AttachmentBlob, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    removed = models.BooleanField(default=False, help_text="No longer attached upstream.")
    attempts = models.PositiveSmallIntegerField(default=0)
    generation = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Raised whenever the file is to be downloaded afresh (a new version, listed again after removal, "
        "removed, tried again by a person): a download begun before records nothing over it.",
    )
    fetch_task = models.CharField(
        max_length=32,
        blank=True,
        default="",
        editable=False,
        help_text="The download task run that took the file (a token of its own): only that run downloads it.",
    )
    fetch_started_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When a download task took the file; cleared when it is to be downloaded afresh or handed on. "
        "A file still waiting long after this lost its download with its worker.",
    )
    retry_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When a file failed on a passing fault is tried again (the provider's Retry-After honoured).",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["item", "place", "id"]
        constraints = [models.UniqueConstraint(fields=["item", "key"], name="attachment_unique_per_item")]
        indexes = [
            models.Index(fields=["state"], name="attachment_state"),
            # The sweep's look for lost downloads reads only the few files waiting, not the firm's whole archive.
            models.Index(
                fields=["fetch_started_at", "updated_at"],
                name="attachment_waiting",
                condition=models.Q(state="pending", removed=False),
            ),
            models.Index(
                fields=["retry_at"], name="attachment_retry", condition=models.Q(state="failed", removed=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} on {self.item_id} ({self.get_state_display()})"

    @property
    def sha256(self) -> str:
        return self.blob.sha256 if self.blob_id and self.blob else ""

    @property
    def size(self) -> int | None:
        return self.blob.size if self.blob_id and self.blob else self.declared_size
