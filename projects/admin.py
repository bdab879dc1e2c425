"""Support staff's view of links, synced items, the feed, responses and sync runs."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from connector_portal.audit_admin import AuditedAdmin, admin_user
from projects.models import (
    FeedEntry,
    ItemResponse,
    LinkReviewer,
    ProjectContact,
    ProjectLink,
    ResponseFile,
    ResponseUpload,
    SyncedItem,
    SyncRun,
)
from projects.services import (
    SyncRefused,
    link_disconnect,
    link_pause,
    link_resume,
    link_sync_now,
)
from projects.services.response_actions import Action, response_act


class ReadOnlyAdmin(AuditedAdmin):
    """Rows the engine writes: support staff read them and act through explicit actions only."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class LinkReviewerInline(admin.TabularInline):
    """The link's further receiving users, as the firm added them on the connection page (read here only)."""

    model = LinkReviewer
    fields = ["account", "added_by", "created_at"]
    readonly_fields = ["account", "added_by", "created_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ProjectContact)
class ProjectContactAdmin(ReadOnlyAdmin):
    list_display = ["email", "name", "pc_contact_id", "project", "firm", "updated_at"]
    list_select_related = ["project", "firm"]
    list_filter = ["firm"]
    search_fields = ["email", "name", "project__pc_project_id"]


@admin.register(ProjectLink)
class ProjectLinkAdmin(AuditedAdmin[ProjectLink]):
    inlines = [LinkReviewerInline]
    list_display = [
        "__str__",
        "firm",
        "provider",
        "status",
        "status_reason",
        "last_synced_at",
        "next_sync_at",
        "item_count",
        "failed_responses",
        "webhook_healthy",
    ]
    list_filter = ["provider", "status", "auto_paused", "webhook_healthy", "firm"]
    list_select_related = ["firm", "project", "account"]
    search_fields = ["project__name", "project__pc_project_id", "provider_project_name", "firm__name"]
    # Which firm, project and receiving user a link has is changed by the firm through the portal (connect,
    # switch the receiving user, disconnect), never typed in here as raw ids.
    readonly_fields = [
        "firm",
        "project",
        "account",
        "mapping_table",
        "submittal_cursor",
        "rfi_cursor",
        "lease_owner",
        "lease_until",
        "queued_at",
        "reauth_notified_at",
        "last_run_calls",
        "webhook_token",
        "created_at",
        "updated_at",
    ]
    exclude = ["webhook_secret_hash"]
    raw_id_fields = ["created_by"]
    actions = ["sync_now", "pause", "resume"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a link is made by the connect wizard: it needs the provider's sign-in and a mapping table

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProjectLink]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                item_count=Count("items", distinct=True),
                failed_responses=Count("responses", filter=Q(responses__status="failed"), distinct=True),
            )
        )

    @admin.display(description="items", ordering="item_count")
    def item_count(self, obj: ProjectLink) -> int:
        return obj.item_count  # type: ignore[attr-defined]

    @admin.display(description="failed responses", ordering="failed_responses")
    def failed_responses(self, obj: ProjectLink) -> int:
        return obj.failed_responses  # type: ignore[attr-defined]

    @admin.action(description="Sync now")
    def sync_now(self, request: HttpRequest, queryset: QuerySet[ProjectLink]) -> None:
        queued = 0
        for link in queryset.select_related("firm", "project"):
            try:
                link_sync_now(link=link, actor_user=admin_user(request), request=request)
            except SyncRefused as refused:
                messages.warning(request, f"{link}: {refused.message}")
                continue
            queued += 1
        messages.success(request, f"Queued a sync of {queued} connection(s).")

    @admin.action(description="Pause syncing")
    def pause(self, request: HttpRequest, queryset: QuerySet[ProjectLink]) -> None:
        paused = self._each(request, queryset, link_pause)
        messages.success(request, f"Paused {paused} connection(s). They stay paused until someone resumes them.")

    @admin.action(description="Resume syncing")
    def resume(self, request: HttpRequest, queryset: QuerySet[ProjectLink]) -> None:
        resumed = self._each(request, queryset.filter(status=ProjectLink.Status.PAUSED), link_resume)
        others = queryset.count() - resumed
        note = f" {others} were not paused and stay as they are (a lost connection is mended by reconnecting)."
        messages.success(request, f"Resumed {resumed} connection(s)." + (note if others else ""))

    def _each(self, request: HttpRequest, queryset: QuerySet[ProjectLink], change: Callable[..., None]) -> int:
        """Apply a lifecycle service to each selected link as the staff member; how many links it was applied to."""
        links = list(queryset.select_related("firm", "project"))
        for link in links:
            change(link=link, actor=admin_user(request), request=request)
        return len(links)

    def delete_model(self, request: HttpRequest, obj: ProjectLink) -> None:
        link_disconnect(link=obj, actor=admin_user(request), request=request)  # also removes the provider's webhook

    @transaction.atomic  # all the selected links go, or none
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ProjectLink]) -> None:
        for link in queryset.select_related("firm", "project", "account"):
            self.delete_model(request, link)


@admin.register(SyncedItem)
class SyncedItemAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "status", "closed", "removed", "due_date", "link", "changed_at", "entries"]
    list_filter = ["kind", "closed", "removed", "link__provider", "firm"]
    list_select_related = ["link__project", "firm"]
    search_fields = ["number", "title", "provider_id", "link__project__name"]
    raw_id_fields = ["link", "predecessor"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SyncedItem]:
        return super().get_queryset(request).annotate(entry_count=Count("feed_entries"))

    @admin.display(description="feed entries", ordering="entry_count")
    def entries(self, obj: SyncedItem) -> int:
        return obj.entry_count  # type: ignore[attr-defined]


@admin.register(FeedEntry)
class FeedEntryAdmin(ReadOnlyAdmin):
    list_display = ["position", "firm", "change", "item", "created_at", "pc_item_id", "acknowledged_at"]
    list_filter = ["change", ("acknowledged_at", admin.EmptyFieldListFilter), "firm"]
    list_select_related = ["firm", "item"]
    search_fields = ["item__number", "item__title", "pc_item_id"]
    raw_id_fields = ["link", "item"]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # append-only: Project Center's cursor depends on every position staying


class ResponseFileInline(admin.TabularInline):
    """Each file of the response and how far it got at the provider (the delivery's files, as the API shows them)."""

    model = ResponseFile
    fields = ("filename", "size", "state", "provider_file_id", "detail", "updated_at")
    readonly_fields = ("filename", "size", "state", "provider_file_id", "detail", "updated_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="file")
    def filename(self, row: ResponseFile) -> str:
        return row.upload.filename

    @admin.display(description="bytes")
    def size(self, row: ResponseFile) -> int:
        return row.upload.size

    def get_queryset(self, request: HttpRequest) -> QuerySet[ResponseFile]:
        return super().get_queryset(request).select_related("upload")


@admin.register(ResponseUpload)
class ResponseUploadAdmin(ReadOnlyAdmin):
    list_display = ["filename", "firm", "size", "state", "created_at", "stored_at", "attached_to"]
    list_filter = ["state", "firm"]
    list_select_related = ["firm"]
    search_fields = ["filename", "sha256", "idempotency_key"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ResponseUpload]:
        return super().get_queryset(request).annotate(responses=Count("uses"))

    @admin.display(description="responses", ordering="responses")
    def attached_to(self, upload: ResponseUpload) -> int:
        return getattr(upload, "responses", 0)


@admin.register(ItemResponse)
class ItemResponseAdmin(ReadOnlyAdmin):
    inlines = [ResponseFileInline]
    list_display = ["__str__", "firm", "status", "attempts", "provider_answer", "created_at", "delivered_at"]
    list_filter = ["status", "link__provider", "firm"]
    list_select_related = ["firm", "item", "link"]
    search_fields = ["keyword", "comment", "idempotency_key", "item__number", "item__title"]
    raw_id_fields = ["item", "link"]
    actions = ["retry", "dismiss"]

    @admin.action(description="Retry delivery")
    def retry(self, request: HttpRequest, queryset: QuerySet[ItemResponse]) -> None:
        self._act(request, queryset, "retry", "Queued {n} response(s) again.")

    @admin.action(description="Dismiss (stop trying)")
    def dismiss(self, request: HttpRequest, queryset: QuerySet[ItemResponse]) -> None:
        self._act(request, queryset, "dismiss", "Dismissed {n} response(s).")

    def _act(
        self,
        request: HttpRequest,
        queryset: QuerySet[ItemResponse],
        verb: Action,
        done: str,
    ) -> None:
        acted = sum(
            response_act(response=response, action=verb, prefix="admin.itemresponse", request=request)
            for response in queryset.select_related("firm")
        )
        messages.success(request, done.format(n=acted))


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = [
        "link",
        "started_at",
        "finished_at",
        "status",
        "fetched",
        "new",
        "changed",
        "unchanged",
        "not_for_user",
        "errors",
        "provider_calls",
    ]
    list_filter = ["status", "link__provider", "firm"]
    list_select_related = ["link__project", "firm"]
    search_fields = ["link__project__name", "message"]
    date_hierarchy = "started_at"
    raw_id_fields = ["link"]


# The other admin modules register themselves on import.
from projects import admin_attachments, admin_webhooks  # noqa: E402, F401
