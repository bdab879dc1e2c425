"""The portal's OAuth registration with each provider, and the provider accounts firm users connect."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from connector_portal.dates import when
from connector_portal.models import Connector, FirmOwned
from providers.fields import EncryptedTextField


class ProviderApp(models.Model):
    """The portal's OAuth client registration with one provider. Managed by support staff in admin."""

    class Environment(models.TextChoices):
        PRODUCTION = "production", "Production"
        PROVIDER_SANDBOX = "provider_sandbox", "The provider's own sandbox"
        CUSTOM = "custom", "Custom base URLs"

    provider = models.CharField(max_length=20, choices=Connector.choices, unique=True)
    client_id = models.CharField(max_length=255)
    client_secret = EncryptedTextField(blank=True)
    environment = models.CharField(max_length=20, choices=Environment.choices, default=Environment.PRODUCTION)
    auth_base_url = models.URLField(blank=True, help_text="Only for custom base URLs.")
    api_base_url = models.URLField(blank=True, help_text="Only for custom base URLs.")
    is_enabled = models.BooleanField("enabled", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider"]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} app ({self.get_environment_display()})"


class ProviderAccount(FirmOwned):
    """A provider user account that a firm user connected by OAuth. Tokens are encrypted at rest."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        NEEDS_REAUTH = "needs_reauth", "Needs re-authorisation"
        REVOKED = "revoked", "Revoked"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="provider_accounts",
        help_text="The portal user who connected (or last reconnected) this account.",
    )
    provider = models.CharField(max_length=20, choices=Connector.choices)
    provider_user_id = models.CharField(max_length=100)
    name = models.CharField(max_length=255, blank=True)
    email = models.EmailField(blank=True)
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    tokens_issued_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="When the provider issued the stored refresh token (at connect or the last refresh).",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    last_error = models.TextField(blank=True, help_text="The last problem, in words a firm user understands.")
    # When the firm was told this receiving user must sign in again; cleared when they do, so each loss is told once.
    lost_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "provider", "provider_user_id"], name="provideraccount_unique_per_firm"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()}: {self.name or self.email or self.provider_user_id}"

    def expires_within(self, seconds: int, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.expires_at is None or self.expires_at <= now + dt.timedelta(seconds=seconds)


class OAuthState(FirmOwned):
    """A connect attempt in flight: the server-side half of the OAuth `state`, single-use and short-lived.

    Only a hash of the state is stored (the browser holds the value); it is bound to the user, their session and the
    provider, and keeps the PKCE verifier (encrypted), the exact redirect URI to repeat at the token endpoint and
    `next_url`, the local page the caller chose to come back to. That URL is all the state knows of why the sign-in
    was started: providers know no Project Center project, so the page it lands on finds its own, firm-scoped.
    """

    state_hash = models.CharField(max_length=64, unique=True)
    provider = models.CharField(max_length=20, choices=Connector.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_hash = models.CharField(max_length=64)
    code_verifier = EncryptedTextField(blank=True)
    redirect_uri = models.CharField(max_length=500)
    next_url = models.CharField(max_length=500, blank=True)
    # "Sign in as someone else" was asked for: a Try again after a Deny asks for it again.
    choose_account = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "OAuth state"

    def __str__(self) -> str:
        return f"{self.get_provider_display()} connect started {when(self.created_at)}"
