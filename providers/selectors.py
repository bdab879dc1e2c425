"""Reads about provider apps and accounts."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from connector_portal.models import Firm
from connector_portal.tenancy import get_for_firm_or_404, scoped
from providers.models import ProviderAccount, ProviderApp
from providers.sandbox.constants import SANDBOX_CLIENTS


def provider_app_for(*, provider: str) -> ProviderApp | None:
    """The portal's OAuth app for `provider`, or None when the provider is not available.

    A row in admin wins (a disabled row means "not available"). Without a row, PROVIDER_SANDBOX supplies an unsaved
    app pointing at the local sandbox with the client the sandbox registers, so development needs no setup.
    """
    app = ProviderApp.objects.filter(provider=provider).first()
    if app is not None:
        return app if app.is_enabled else None
    if settings.PROVIDER_SANDBOX and provider in SANDBOX_CLIENTS:
        client_id, client_secret = SANDBOX_CLIENTS[provider]
        return ProviderApp(
            provider=provider,
            client_id=client_id,
            client_secret=client_secret,
            environment=ProviderApp.Environment.LOCAL_SANDBOX,
        )
    return None


def accounts_for_firm(*, firm: Firm, provider: str | None = None) -> QuerySet[ProviderAccount]:
    accounts = scoped(ProviderAccount.objects.all(), firm=firm).select_related("user")
    return accounts.filter(provider=provider) if provider else accounts


def account_get(*, firm: Firm, account_id: int | str) -> ProviderAccount:
    """One of the firm's provider accounts; another firm's account is a 404 like a missing one."""
    return get_for_firm_or_404(ProviderAccount.objects.all(), firm=firm, pk=account_id)
