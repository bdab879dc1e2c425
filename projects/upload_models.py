"""Files Project Center attaches to a reviewer's response, and how far each got at the provider.

Kept apart from models.py (imported at its end) so that the response files stand in one module of their own.
An upload is declared first (name, size, SHA-256), then its bytes are PUT; a response names stored uploads, and
each becomes a ResponseFile whose provider-side progress is written step by step, so that a retry after a lost
answer reuses what reached the provider and never attaches a file twice.
"""

from __future__ import annotations

from django.db import models

from connector_portal.models import FirmOwned


class ResponseUpload(FirmOwned):
    """A file declared by Project Center for a response; `stored` once its bytes matched the declared size and hash."""

    class State(models.TextChoices):
        AWAITING = "awaiting_content", "Waiting for its content"
        STORED = "stored", "Stored"

    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    state = models.CharField(max_length=20, choices=State.choices, default=State.AWAITING)
    storage_name = models.CharField(max_length=500, blank=True, help_text="Its name in the attachments storage.")
    idempotency_key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    stored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "idempotency_key"], name="responseupload_unique_key_per_firm"),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.size} bytes)"


class ResponseFile(FirmOwned):
    """One upload attached to one response, with its state at the provider (written after every step)."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        STARTED = "started", "Upload started at the provider"
        UPLOADED = "uploaded", "Uploaded to the provider"
        ATTACHED = "attached", "Attached to the response"

    response = models.ForeignKey("projects.ItemResponse", on_delete=models.CASCADE, related_name="files")
    upload = models.ForeignKey(ResponseUpload, on_delete=models.PROTECT, related_name="uses")
    position = models.PositiveSmallIntegerField(default=0)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    provider_file_id = models.CharField(
        max_length=500, blank=True, help_text="The provider's id for the uploaded file (Procore upload uuid, ...)."
    )
    provider_state = models.JSONField(
        default=dict, blank=True, help_text="What the provider's upload flow needs to resume (no secrets)."
    )
    detail = models.TextField(blank=True, help_text="What happened to it, in words.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["response", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["response", "upload"], name="responsefile_once_per_response"),
        ]

    def __str__(self) -> str:
        return f"{self.upload.filename} on response {self.response_id}"
