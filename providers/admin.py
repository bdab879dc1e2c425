"""Support admin for the portal's provider apps and the provider accounts firms connected. Secrets are never shown."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from connector_portal.audit_admin import AuditedAdmin, admin_user
from providers.models import ProviderAccount, ProviderApp
from providers.services import account_revoke


class ProviderAppForm(forms.ModelForm):
    # Write-only: the stored secret is never rendered back; leaving the box empty keeps it.
    client_secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only. Leave empty to keep the stored secret.",
    )

    class Meta:
        model = ProviderApp
        fields = [
            "provider",
            "environment",
            "client_id",
            "client_secret",
            "auth_base_url",
            "api_base_url",
            "is_enabled",
        ]

    def clean_client_secret(self) -> str:
        secret = self.cleaned_data.get("client_secret", "")
        if secret:
            return secret
        if self.instance.pk:
            return ProviderApp.objects.get(pk=self.instance.pk).client_secret
        raise forms.ValidationError("Enter the client secret the provider issued for this app.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("environment") == ProviderApp.Environment.CUSTOM and not (
            data.get("auth_base_url") and data.get("api_base_url")
        ):
            raise forms.ValidationError("Custom base URLs need both the auth and the API base URL.")
        return data


@admin.register(ProviderApp)
class ProviderAppAdmin(AuditedAdmin):
    form = ProviderAppForm
    list_display = ["provider", "environment", "client_id", "has_secret", "is_enabled", "updated_at"]
    list_filter = ["environment", "is_enabled"]
    search_fields = ["provider", "client_id"]

    @admin.display(boolean=True, description="secret set")
    def has_secret(self, obj: ProviderApp) -> bool:
        return bool(obj.client_secret)


@admin.register(ProviderAccount)
class ProviderAccountAdmin(AuditedAdmin):
    list_display = ["__str__", "firm", "provider", "email", "status", "expires_at", "short_error", "updated_at"]
    list_filter = ["provider", "status", "firm"]
    search_fields = ["name", "email", "provider_user_id", "firm__name", "user__email"]
    list_select_related = ["firm", "user"]
    # Tokens are deliberately absent from every field list.
    fields = [
        "firm",
        "user",
        "provider",
        "provider_user_id",
        "name",
        "email",
        "status",
        "last_error",
        "expires_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [
        "firm",
        "user",
        "provider",
        "provider_user_id",
        "name",
        "email",
        "expires_at",
        "created_at",
        "updated_at",
    ]
    actions = ["disconnect"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # accounts only come from a user's OAuth consent

    @admin.display(description="last error")
    def short_error(self, obj: ProviderAccount) -> str:
        return obj.last_error[:80]

    @admin.action(description="Disconnect (revoke at the provider and forget the tokens)")
    def disconnect(self, request: HttpRequest, queryset: QuerySet[ProviderAccount]) -> None:
        for account in queryset.select_related("firm"):
            account_revoke(account=account, actor=admin_user(request), request=request)
        messages.success(request, f"Disconnected {queryset.count()} account(s). Their owners must connect again.")
