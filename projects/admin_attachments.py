"""Support staff's view of the files synced items carry, and their "download again" (registered from projects.admin).

The download URL is left out on purpose: it is often a signed URL, a credential for as long as it lasts."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
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
    # Where its download stands: taken by a task run (and since when), or when a passing fault is tried again.
    readonly_fields = ["fetch_task", "fetch_started_at", "retry_at"]
    date_hierarchy = "updated_at"
    actions = ["download_again"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Attachment]:
        # The list names each file's item by its number and title: the item's JSON (the provider's whole record,
        # listing every file again) would be read and decoded once per row for nothing.
        return (
            super()
            .get_queryset(request)
            .select_related("item")
            .defer("item__raw", "item__content", "item__ball_in_court")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the sync records files as the provider lists them

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the engine writes every field; support acts through the action

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the next sync would list it again; a removed file is marked so by the sync

    def has_download_again_permission(self, request: HttpRequest) -> bool:
        # Queuing a download writes the file's row (state, attempts): the model's change permission, which a
        # view-only support role lacks. The change form itself stays closed to everyone (has_change_permission).
        return request.user.has_perm(f"{self.opts.app_label}.{get_permission_codename('change', self.opts)}")

    @admin.display(description="bytes")
    def size(self, row: Attachment) -> int | None:
        return row.size

    @admin.action(description="Download again (failed files)", permissions=["download_again"])
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
