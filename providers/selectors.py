"""Reads about provider apps and accounts."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from connector_portal.models import Firm
from connector_portal.tenancy import get_for_firm_or_404, scoped
from providers.models import ProviderAccount, ProviderApp


def provider_app_for(*, provider: str) -> ProviderApp | None:
    """The portal's OAuth app for `provider`, or None when the provider is not available.

    A row in admin wins (a disabled row means "not available"). Without a row, PROVIDER_SANDBOX supplies an unsaved
    app with custom base URLs at the local sandbox and the client it registers (SANDBOX_PROVIDER_APPS), so
    development needs no setup. Read at every call: tests start sandboxes on random ports (SANDBOX_URL).
    """
    app = ProviderApp.objects.filter(provider=provider).first()
    if app is not None:
        return app if app.is_enabled else None
    sandbox = settings.SANDBOX_PROVIDER_APPS.get(provider) if settings.PROVIDER_SANDBOX else None
    if sandbox is None:
        return None
    base = settings.SANDBOX_URL + sandbox["path"]
    return ProviderApp(
        provider=provider,
        client_id=sandbox["client_id"],
        client_secret=sandbox["client_secret"],
        environment=ProviderApp.Environment.CUSTOM,
        auth_base_url=base,
        api_base_url=base,
    )


def accounts_for_firm(*, firm: Firm, provider: str | None = None) -> QuerySet[ProviderAccount]:
    accounts = scoped(ProviderAccount.objects.all(), firm=firm).select_related("user")
    return accounts.filter(provider=provider) if provider else accounts


def account_get(*, firm: Firm, account_id: int | str) -> ProviderAccount:
    """One of the firm's provider accounts; another firm's account is a 404 like a missing one."""
    return get_for_firm_or_404(ProviderAccount.objects.all(), firm=firm, pk=account_id)
