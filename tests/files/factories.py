"""Attachments for tests: a synced item's file, stored in the attachments storage as the download task keeps it."""

from __future__ import annotations

from django.utils import timezone

from connector_portal.files import blob_name, spool, spooled_save
from projects.models import Attachment, AttachmentBlob, SyncedItem


def attachment_add(
    item: SyncedItem,
    data: bytes | None = b"%PDF-1.4 shop drawing",
    *,
    filename: str = "A-501.pdf",
    provider_id: str = "9001",
    content_type: str = "application/pdf",
) -> Attachment:
    """A file of `item`: stored with `data`, or pending (not downloaded yet) with None."""
    now = timezone.now()
    blob = None
    if data is not None:
        spooled = spool(iter([data]) if data else iter(()), max_bytes=len(data) + 1)
        sha = spooled.sha256
        name = spooled_save(spooled, name=blob_name(firm_id=item.firm_id, sha256=sha))
        blob, _ = AttachmentBlob.objects.get_or_create(
            firm_id=item.firm_id, sha256=sha, defaults={"size": len(data), "storage_name": name, "created_at": now}
        )
    return Attachment.objects.create(
        firm_id=item.firm_id,
        item=item,
        key=f"item::{provider_id}",
        provider_id=provider_id,
        filename=filename,
        content_type=content_type,
        source_url=f"https://storage.example.com/{provider_id}",
        state=Attachment.State.STORED if blob else Attachment.State.PENDING,
        blob=blob,
        created_at=now,
        updated_at=now,
    )
