"""Writes about provider accounts: connecting, reading and refreshing tokens by account id, and disconnecting.

The token rules themselves (row lock, single-use refresh tokens, invalid_grant) live in providers.tokens, which the
provider clients use directly; here they are bound to the registry, so callers need only an account id.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from connector_portal.models import Firm, User
from connector_portal.services import audit_record, snapshot
from providers.errors import NeedsReauthorization, ProviderError
from providers.models import ProviderAccount
from providers.registry import PROVIDERS, get_provider, provider_label
from providers.tokens import token_current, token_refresh
from providers.types import ProviderUser, TokenSet


@transaction.atomic
def account_connect(
    *,
    firm: Firm,
    user: User | None,
    provider: str,
    provider_user: ProviderUser,
    tokens: TokenSet,
    request: HttpRequest | None = None,
) -> ProviderAccount:
    """Store the provider account a firm user just authorised; reconnecting updates the same row in place."""
    account = (
        ProviderAccount.objects.select_for_update()
        .filter(firm=firm, provider=provider, provider_user_id=provider_user.id)
        .first()
    )
    before = snapshot(account)
    if account is None:
        account = ProviderAccount(firm=firm, provider=provider, provider_user_id=provider_user.id)
    account.user = user
    account.name = provider_user.name[:255]
    account.email = provider_user.email[:254]
    account.access_token = tokens.access_token
    account.refresh_token = tokens.refresh_token
    account.expires_at = tokens.expires_at
    account.tokens_issued_at = timezone.now()
    account.status = ProviderAccount.Status.ACTIVE
    account.last_error = ""
    account.lost_notified_at = None  # a later loss is a new one, told again
    account.save()
    audit_record(
        action="provider_account.reconnect" if before else "provider_account.connect",
        firm=firm,
        actor_user=user,
        target=account,
        before=before,
        after=snapshot(account),
        request=request,
    )
    return account


@dataclass(frozen=True)
class _Registered:
    """An account's provider module, looked up only when a refresh is due: a disabled app hides no unexpired token."""

    key: str

    @property
    def label(self) -> str:
        return provider_label(self.key)

    def refresh(self, *, refresh_token: str) -> TokenSet:
        return get_provider(self.key).refresh(refresh_token=refresh_token)


def account_get_access_token(*, account_id: int, now: dt.datetime | None = None) -> str:
    """A usable access token for the account, refreshed first when it expires within a few minutes (tokens.py)."""
    return token_current(account_id=account_id, provider_for=_Registered, now=now)


def account_refresh(*, account_id: int, rejected_token: str = "", now: dt.datetime | None = None) -> ProviderAccount:
    """Refresh the account's tokens unless another worker already did (see providers.tokens.token_refresh)."""
    return token_refresh(account_id=account_id, provider_for=_Registered, rejected_token=rejected_token, now=now)


# An idle account is refreshed this long before its refresh token would expire unused: Autodesk's 15 days become a
# refresh after 12 idle days, and the hourly schedule has three days of runs to get past a provider outage.
KEEP_ALIVE_MARGIN = dt.timedelta(days=3)


@dataclass(frozen=True)
class KeepAlive:
    """What one keep-alive run did, by account id."""

    refreshed: list[int]
    failed: list[int]  # a passing problem (provider down, rate limited): tried again on the next run
    lost: list[int]  # the provider refused the refresh token: the account needs reconnecting (marked so)


def accounts_keep_alive(*, now: dt.datetime | None = None) -> KeepAlive:
    """Refresh every active account whose refresh token would otherwise expire unused (`Provider.
    refresh_token_idle_lifetime` less KEEP_ALIVE_MARGIN), through the one refresh path (row lock, re-read, single-use
    tokens saved atomically), and record each outcome as an audit event on the account; a refusal also marks the
    account as needing reconnection, with its reason in `last_error`. One query finds the accounts."""
    now = now or timezone.now()
    cutoffs = {
        key: now - (life - KEEP_ALIVE_MARGIN)
        for key, cls in PROVIDERS.items()
        if (life := cls.refresh_token_idle_lifetime) is not None
    }
    due = Q(pk__in=[])
    for key, cutoff in cutoffs.items():
        due |= Q(provider=key) & (Q(tokens_issued_at__lt=cutoff) | Q(tokens_issued_at__isnull=True))
    ids = list(
        ProviderAccount.objects.filter(due, status=ProviderAccount.Status.ACTIVE)
        .order_by("tokens_issued_at", "pk")
        .values_list("pk", "provider")
    )
    result = KeepAlive(refreshed=[], failed=[], lost=[])
    for account_id, provider in ids:
        try:
            account = token_refresh(
                account_id=account_id, provider_for=_Registered, issued_before=cutoffs[provider], now=now
            )
        except NeedsReauthorization:
            result.lost.append(account_id)  # token_refresh marked the account and recorded why
            continue
        except ProviderError as exc:
            result.failed.append(account_id)
            _keep_alive_record(account_id, "provider_account.keep_alive_failed", {"reason": exc.message[:300]})
            continue
        if account.tokens_issued_at == now:
            result.refreshed.append(account_id)
            issued = {"tokens_issued_at": now.isoformat()}
            _keep_alive_record(account_id, "provider_account.keep_alive", issued)
    return result


def _keep_alive_record(account_id: int, action: str, after: dict[str, str]) -> None:
    account = ProviderAccount.objects.select_related("firm").get(pk=account_id)
    audit_record(action=action, firm=account.firm, target=account, after=after)


def account_revoke(*, account: ProviderAccount, actor: User | None = None, request: HttpRequest | None = None) -> None:
    """Disconnect: revoke the tokens at the provider (best effort) and forget them.

    The provider is sent the token its revoke endpoint documents (`Provider.revokes`): Procore's takes the access
    token, refreshed first when it has expired, and revokes the refresh token with it.
    """
    # Best effort: the tokens are forgotten either way (a disabled app included), and the provider expires them.
    with contextlib.suppress(ProviderError):
        module = get_provider(account.provider)
        if module.revokes == "access":
            token = account_get_access_token(account_id=account.pk)
            account.refresh_from_db()
        else:
            token = account.refresh_token
        module.revoke(token=token)
    before = snapshot(account)
    account.access_token = account.refresh_token = ""
    account.expires_at = None
    account.status = ProviderAccount.Status.REVOKED
    account.last_error = f"Disconnected from {provider_label(account.provider)}. Connect again to resume syncing."
    account.save(update_fields=["access_token", "refresh_token", "expires_at", "status", "last_error", "updated_at"])
    audit_record(
        action="provider_account.revoke",
        firm=account.firm,
        actor_user=actor,
        target=account,
        before=before,
        after=snapshot(account),
        request=request,
    )
