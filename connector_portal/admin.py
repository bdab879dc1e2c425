from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from connector_portal.audit_admin import AuditedAdmin, admin_user
from connector_portal.models import (
    AuditEvent,
    Firm,
    Licence,
    Membership,
    ProjectCenterProject,
    ServiceAccountToken,
    User,
)
from connector_portal.services import (
    audit_record,
    service_token_create,
    service_token_revoke,
    user_send_set_password_email,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


class UserMembershipInline(MembershipInline):
    autocomplete_fields = ["firm"]
    fields = ["firm", "role", "created_at"]


class LicenceInline(admin.StackedInline):
    model = Licence
    can_delete = False
    fields = [("procore", "autodesk", "constructex"), "valid_until"]


class ServiceAccountTokenInline(admin.TabularInline):
    """Tokens are listed here; they are created on their own page, which shows the secret once."""

    model = ServiceAccountToken
    extra = 0
    can_delete = False
    readonly_fields = ("name", "prefix", "status", "created_at", "expires_at", "last_used_at")
    fields = readonly_fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Firm)
class FirmAdmin(AuditedAdmin):
    list_display = ["name", "slug", "is_active", "member_count", "active_token_count", "created_at"]
    list_filter = ["is_active", "licence__procore", "licence__autodesk", "licence__constructex"]
    search_fields = ["name", "slug", "memberships__user__email"]
    prepopulated_fields = {"slug": ("name",)}
    inlines = [LicenceInline, MembershipInline, ServiceAccountTokenInline]
    readonly_fields = ["new_token_link"]
    fields = ["name", "slug", "is_active", "new_token_link"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Firm]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                _members=Count("memberships", distinct=True),
                _tokens=Count("service_tokens", filter=Q(service_tokens__revoked_at__isnull=True), distinct=True),
            )
        )

    @admin.display(description="Members", ordering="_members")
    def member_count(self, obj: Firm) -> int:
        return obj._members  # type: ignore[attr-defined]

    @admin.display(description="Active API tokens", ordering="_tokens")
    def active_token_count(self, obj: Firm) -> int:
        return obj._tokens  # type: ignore[attr-defined]

    @admin.display(description="API service account")
    def new_token_link(self, obj: Firm) -> str:
        if not obj.pk:
            return "Save the firm first, then create its API service-account token."
        url = reverse("admin:connector_portal_serviceaccounttoken_add") + f"?firm={obj.pk}"
        return format_html('<a class="button" href="{}">Create an API service-account token</a>', url)


@admin.register(ProjectCenterProject)
class ProjectCenterProjectAdmin(AuditedAdmin):
    list_display = ["__str__", "pc_project_id", "firm", "created_at"]
    list_filter = ["firm"]
    list_select_related = ["firm"]
    search_fields = ["name", "number", "pc_project_id", "firm__name"]
    autocomplete_fields = ["firm"]

    def get_readonly_fields(self, request: HttpRequest, obj: ProjectCenterProject | None = None) -> list[str]:
        # A project's firm is also its link's firm: moving it would leave the link with the old one.
        return ["firm"] if obj is not None else []


class TokenCreateForm(forms.Form):
    firm = forms.ModelChoiceField(queryset=Firm.objects.all())
    name = forms.CharField(max_length=100, initial="Project Center")
    expires_at = forms.DateTimeField(required=False, help_text="Optional. Leave empty for no expiry (UTC).")


@admin.register(ServiceAccountToken)
class ServiceAccountTokenAdmin(AuditedAdmin):
    list_display = ["__str__", "firm", "status", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "firm"]
    list_select_related = ["firm"]
    search_fields = ["name", "prefix", "firm__name"]
    readonly_fields = ["firm", "prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    fields = ["firm", "name", "prefix", "expires_at", "created_at", "created_by", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = TokenCreateForm(request.POST or None, initial=request.GET.dict())
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": "Create an API service-account token",
        }
        if request.method == "POST" and form.is_valid():
            with transaction.atomic():
                token, raw = service_token_create(
                    firm=form.cleaned_data["firm"],
                    name=form.cleaned_data["name"],
                    expires_at=form.cleaned_data["expires_at"],
                    created_by=admin_user(request),
                    request=request,
                )
            response = TemplateResponse(
                request,
                "admin/connector_portal/token_created.html",
                {**context, "token": token, "raw_token": raw, "title": "Token created"},
            )
            response["Cache-Control"] = "no-store"
            return response
        return TemplateResponse(request, "admin/connector_portal/token_add.html", context)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead, so the audit trail keeps its actor

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ServiceAccountToken]) -> None:
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            service_token_revoke(token=token, actor=admin_user(request), request=request)
            count += 1
        messages.success(request, f"Revoked {count} token(s). Project Center can no longer use them.")


class UserInviteForm(forms.ModelForm):
    """Support creates people without a password; they choose one from the email they receive."""

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "is_staff"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("A user with this email address already exists.")
        return email

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


@admin.register(User)
class PortalUserAdmin(AuditedAdmin[User], UserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active", "memberships__firm"]
    search_fields = ["email", "first_name", "last_name"]
    inlines = [UserMembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "first_name", "last_name")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "first_name", "last_name", "is_staff")}),)
    add_form = UserInviteForm
    readonly_fields = ["last_login", "date_joined"]
    actions = ["send_set_password_email"]

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            transaction.on_commit(lambda: user_send_set_password_email(user=obj))
            messages.info(request, f"A set-password email is on its way to {obj.email}.")

    @admin.action(description="Send a set-password email")
    def send_set_password_email(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            user_send_set_password_email(user=user)
            audit_record(action="admin.user.send_set_password_email", target=user, request=request)
        messages.success(request, f"Sent {queryset.count()} set-password email(s).")


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ["user", "firm", "role", "created_at"]
    list_filter = ["role", "firm"]
    list_select_related = ["user", "firm"]
    search_fields = ["user__email", "firm__name"]
    autocomplete_fields = ["user", "firm"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "firm", "actor_label", "action", "target_label", "ip_address"]
    list_filter = ["action", "firm"]
    list_select_related = ["firm"]
    search_fields = ["actor_label", "action", "target_label", "target_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# allauth's own admin shows Authenticator.data, the (encrypted) TOTP and recovery-code seeds: replace it with one that
# never displays or edits them. Support can see who has two-factor set up, and delete an authenticator to reset it.
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    list_display = ("user", "type", "created_at", "last_used_at")
    list_filter = ("type", "created_at", "last_used_at")
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = fields
    search_fields = ("user__email",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
