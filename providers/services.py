"""Writes about provider accounts: connecting, tokens and their refresh, and the problems a provider reports.

Refresh tokens rotate and are single-use (Procore and Autodesk): a refresh happens under a row lock on the account, the
row is re-read after the lock is taken (another worker may have refreshed meanwhile), and the new pair is saved in the
same transaction. The provider is called while the lock is held on purpose: that is what makes two workers make one
token call. `invalid_grant` is never retried: the account needs the user to reconnect.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from connector_portal.models import Firm, User
from connector_portal.services import audit_record, snapshot
from providers.errors import AccessBlocked, InvalidGrant, NeedsReauthorization, ProviderError
from providers.models import ProviderAccount
from providers.registry import get_provider, provider_label
from providers.types import ProviderUser, TokenSet

# Refresh this long before the access token expires, so a request never starts with a token about to die.
REFRESH_AHEAD_SECONDS = 300


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
    account.status = ProviderAccount.Status.ACTIVE
    account.last_error = ""
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


def account_get_access_token(*, account_id: int, now: dt.datetime | None = None) -> str:
    """A usable access token for the account, refreshed first when it expires within a few minutes.

    Raises NeedsReauthorization when the account needs reconnecting, or the retryable errors of a failed refresh.
    """
    account = ProviderAccount.objects.get(pk=account_id)
    _require_active(account)
    if not account.expires_within(REFRESH_AHEAD_SECONDS, now=now):
        return account.access_token
    return account_refresh(account_id=account_id, now=now).access_token


def account_refresh(*, account_id: int, rejected_token: str = "", now: dt.datetime | None = None) -> ProviderAccount:
    """Refresh the account's tokens unless another worker already did; returns the account with usable tokens.

    `rejected_token` is an access token the provider just answered 401 to: refresh even if it looks unexpired, unless
    the stored token is already a different (newer) one.
    """
    refused: InvalidGrant | None = None
    with transaction.atomic():
        account = ProviderAccount.objects.select_for_update().get(pk=account_id)
        _require_active(account)
        replaced = bool(rejected_token) and account.access_token != rejected_token
        if replaced or (not rejected_token and not account.expires_within(REFRESH_AHEAD_SECONDS, now=now)):
            return account  # someone refreshed while we waited for the lock
        try:
            tokens = get_provider(account.provider).refresh(refresh_token=account.refresh_token)
        except InvalidGrant as exc:
            refused = exc
            _mark_needs_reauth(account, exc)
        else:
            account.access_token = tokens.access_token
            account.refresh_token = tokens.refresh_token
            account.expires_at = tokens.expires_at
            account.last_error = ""
            account.save(update_fields=["access_token", "refresh_token", "expires_at", "last_error", "updated_at"])
            return account
    raise refused


def account_note_error(*, account_id: int, error: ProviderError) -> None:
    """Keep what went wrong on the account, in words: reconnect problems change its status; passing ones do not."""
    if isinstance(error, NeedsReauthorization):
        with transaction.atomic():
            account = ProviderAccount.objects.select_for_update().get(pk=account_id)
            if account.status == ProviderAccount.Status.ACTIVE:
                _mark_needs_reauth(account, error)
    elif isinstance(error, AccessBlocked):
        ProviderAccount.objects.filter(pk=account_id).exclude(last_error=error.message).update(
            last_error=error.message, updated_at=timezone.now()
        )


def account_revoke(*, account: ProviderAccount, actor: User | None = None, request: HttpRequest | None = None) -> None:
    """Disconnect: revoke the refresh token at the provider (best effort) and forget the tokens."""
    # Best effort: the tokens are forgotten either way, and the provider expires them on its own.
    with contextlib.suppress(ProviderError):
        get_provider(account.provider).revoke(token=account.refresh_token)
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


def _require_active(account: ProviderAccount) -> None:
    if account.status != ProviderAccount.Status.ACTIVE:
        raise NeedsReauthorization(
            account.last_error or NeedsReauthorization.for_provider(provider_label(account.provider)).message
        )


def _mark_needs_reauth(account: ProviderAccount, error: ProviderError) -> None:
    before = snapshot(account)
    account.status = ProviderAccount.Status.NEEDS_REAUTH
    account.last_error = error.message
    account.save(update_fields=["status", "last_error", "updated_at"])
    audit_record(
        action="provider_account.needs_reauth",
        firm=account.firm,
        target=account,
        before=before,
        after={**(snapshot(account) or {}), "reason": error.detail[:300]},
    )


@dataclass(frozen=True)
class AccountTokens:
    """The TokenSource of a stored account (see providers.http): refresh ahead of expiry, and once after a 401."""

    account_id: int
    label: str = "the provider"

    def current(self) -> str:
        return account_get_access_token(account_id=self.account_id)

    def after_unauthorized(self, rejected: str) -> str:
        return account_refresh(account_id=self.account_id, rejected_token=rejected).access_token
