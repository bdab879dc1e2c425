"""Support staff's view of the files synced items carry, and their "download again" (registered from projects.admin).

The download URL is left out on purpose: it is often a signed URL, a credential for as long as it lasts."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from connector_portal.audit_admin import AuditedAdmin, admin_user
from projects.models import Attachment
from projects.services.attachments import attachments_download_again


@admin.register(Attachment)
class AttachmentAdmin(AuditedAdmin[Attachment]):
    list_display = ["filename", "firm", "item", "place", "state", "reason", "size", "removed", "updated_at"]
    list_filter = ["state", "place", "removed", "item__link__provider", "firm"]
    list_select_related = ["firm", "item", "blob"]
    search_fields = ["filename", "provider_id", "blob__sha256", "item__number", "item__provider_id"]
    exclude = ["source_url", "source_authenticated"]
    raw_id_fields = ["item", "blob"]
    date_hierarchy = "updated_at"
    actions = ["download_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the sync records files as the provider lists them

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the engine writes every field; support acts through the action

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the next sync would list it again; a removed file is marked so by the sync

    @admin.display(description="bytes")
    def size(self, row: Attachment) -> int | None:
        return row.size

    @admin.action(description="Download again (failed files)")
    def download_again(self, request: HttpRequest, queryset: QuerySet[Attachment]) -> None:
        selected = list(queryset.values_list("pk", flat=True))
        queued = attachments_download_again(
            attachment_ids=selected, now=timezone.now(), actor=admin_user(request), request=request
        )
        skipped = len(selected) - queued
        note = (
            f" {skipped} were not failed (stored, waiting, too large or removed upstream) and were left as they are."
            if skipped
            else ""
        )
        messages.success(request, f"Queued {queued} file(s) to download again.{note}")
