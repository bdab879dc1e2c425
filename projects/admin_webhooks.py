"""Support staff's view of the firms' outbound webhooks and their delivery log (registered from projects.admin)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseModelForm
from django.http import HttpRequest
from django.utils import timezone

from connector_portal.audit_admin import AuditedAdmin, admin_user
from projects.models import OutboundDelivery, OutboundWebhook
from projects.services import outbound


class DeliveryInline(admin.TabularInline):
    model = OutboundDelivery
    fields = ("created_at", "event", "position", "status", "attempts", "response_status", "error", "next_attempt_at")
    readonly_fields = fields
    ordering = ["-created_at", "-pk"]
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False


class WebhookForm(forms.ModelForm):
    class Meta:
        model = OutboundWebhook
        fields = ["firm", "url", "description", "active"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            outbound.webhook_url_check(url)
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["url"]) from exc
        return url


@admin.register(OutboundWebhook)
class OutboundWebhookAdmin(AuditedAdmin[OutboundWebhook]):
    form = WebhookForm
    list_display = ["url", "firm", "active", "consecutive_failures", "last_success_at", "notified_position"]
    list_filter = ["active", "firm"]
    list_select_related = ["firm"]
    search_fields = ["url", "description", "firm__name"]
    readonly_fields = ["disabled_reason", "notified_position", "consecutive_failures", "failing_since", "created_at"]
    inlines = [DeliveryInline]
    actions = ["send_test", "turn_on", "rotate_secret"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*self.readonly_fields, "firm"] if obj is not None else list(self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: OutboundWebhook, form: BaseModelForm, change: bool) -> None:
        actor = {"actor_user": admin_user(request), "request": request}
        if change:
            data = form.cleaned_data
            outbound.webhook_update(
                webhook=OutboundWebhook.objects.get(pk=obj.pk),
                url=data["url"],
                description=data["description"],
                active=data["active"],
                **actor,
            )
            return
        webhook, secret = outbound.webhook_create(
            firm=obj.firm, url=obj.url, description=obj.description, now=timezone.now(), **actor
        )
        obj.pk = webhook.pk
        messages.warning(request, f"Signing secret, shown this once — give it to the firm: {secret}")

    @admin.action(description="Send a test event")
    def send_test(self, request: HttpRequest, queryset: QuerySet[OutboundWebhook]) -> None:
        for webhook in queryset:
            delivery = outbound.webhook_send_test(webhook=webhook, now=timezone.now())
            level = messages.SUCCESS if delivery.status == OutboundDelivery.Status.DELIVERED else messages.ERROR
            words = delivery.error or f"answered HTTP {delivery.response_status}"
            messages.add_message(request, level, f"{webhook.url}: {delivery.get_status_display()} ({words})")

    @admin.action(description="Turn on again (forget the failures)")
    def turn_on(self, request: HttpRequest, queryset: QuerySet[OutboundWebhook]) -> None:
        for webhook in queryset.filter(active=False):
            outbound.webhook_update(webhook=webhook, active=True, actor_user=admin_user(request), request=request)
        messages.success(request, "Turned on. Project Center hears of the next feed growth.")

    @admin.action(description="Replace the signing secret")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[OutboundWebhook]) -> None:
        for webhook in queryset:
            secret = outbound.webhook_rotate_secret(webhook=webhook, actor_user=admin_user(request), request=request)
            messages.warning(request, f"{webhook.url}: new signing secret, shown this once: {secret}")
