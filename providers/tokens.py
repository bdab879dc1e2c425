"""A connected account's tokens as the provider clients use them, and the problems a provider reports about it.

Refresh tokens rotate and are single-use (Procore and Autodesk): a refresh happens under a row lock on the account, the
row is re-read after the lock is taken (another worker may have refreshed meanwhile), and the new pair is saved in the
same transaction. The provider is called while the lock is held on purpose: that is what makes two workers make one
token call. `invalid_grant` is never retried: the account needs the user to reconnect.

This module sits below providers.base and providers.registry: callers pass in how to reach the account's provider
(`provider_for`), so it never looks a provider up itself and no import runs back up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from django.db import transaction
from django.utils import timezone

from connector_portal.services import audit_record, snapshot
from providers.errors import AccessBlocked, InvalidGrant, NeedsReauthorization, ProviderError
from providers.models import ProviderAccount
from providers.types import TokenSet

# Refresh this long before the access token expires, so a request never starts with a token about to die.
REFRESH_AHEAD_SECONDS = 300


class Refresher(Protocol):
    """What a refresh needs of the account's provider module (a providers.base.Provider is one)."""

    @property
    def label(self) -> str: ...

    def refresh(self, *, refresh_token: str) -> TokenSet: ...


# A provider key -> its module; asked only when the account is refused or a refresh is due.
RefresherFor = Callable[[str], Refresher]


def token_current(*, account_id: int, provider_for: RefresherFor, now: dt.datetime | None = None) -> str:
    """A usable access token for the account, refreshed first when it expires within a few minutes.

    Raises NeedsReauthorization when the account needs reconnecting, or the retryable errors of a failed refresh.
    """
    account = ProviderAccount.objects.get(pk=account_id)
    _require_active(account, provider_for)
    if not account.expires_within(REFRESH_AHEAD_SECONDS, now=now):
        return account.access_token
    return token_refresh(account_id=account_id, provider_for=provider_for, now=now).access_token


def token_refresh(
    *,
    account_id: int,
    provider_for: RefresherFor,
    rejected_token: str = "",
    issued_before: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> ProviderAccount:
    """Refresh the account's tokens unless another worker already did; returns the account with usable tokens.

    `rejected_token` is an access token the provider just answered 401 to: refresh even if it looks unexpired, unless
    the stored token is already a different (newer) one. `issued_before` keeps an idle account alive: refresh even
    if the access token looks unexpired when the stored refresh token was issued before then (or at an unknown time).
    """
    now = now or timezone.now()
    refused: InvalidGrant | None = None
    with transaction.atomic():
        account = ProviderAccount.objects.select_for_update().get(pk=account_id)
        _require_active(account, provider_for)
        if not _refresh_due(account, rejected_token=rejected_token, issued_before=issued_before, now=now):
            return account  # someone refreshed while we waited for the lock
        try:
            tokens = provider_for(account.provider).refresh(refresh_token=account.refresh_token)
        except InvalidGrant as exc:
            refused = exc
            _mark_needs_reauth(account, exc)
        else:
            account.access_token = tokens.access_token
            account.refresh_token = tokens.refresh_token
            account.expires_at = tokens.expires_at
            account.tokens_issued_at = now
            account.last_error = ""
            account.save(
                update_fields=[
                    "access_token",
                    "refresh_token",
                    "expires_at",
                    "tokens_issued_at",
                    "last_error",
                    "updated_at",
                ]
            )
            return account
    raise refused


def _refresh_due(
    account: ProviderAccount, *, rejected_token: str, issued_before: dt.datetime | None, now: dt.datetime
) -> bool:
    """Whether the locked, re-read account still needs the refresh its caller asked for."""
    if rejected_token:
        return account.access_token == rejected_token
    if issued_before is not None and (account.tokens_issued_at is None or account.tokens_issued_at < issued_before):
        return True
    return account.expires_within(REFRESH_AHEAD_SECONDS, now=now)


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


@dataclass(frozen=True)
class AccountTokens:
    """The TokenSource of a stored account (see providers.http): refresh ahead of expiry, and once after a 401."""

    account_id: int
    provider_for: RefresherFor

    def current(self) -> str:
        return token_current(account_id=self.account_id, provider_for=self.provider_for)

    def after_unauthorized(self, rejected: str) -> str:
        return token_refresh(
            account_id=self.account_id, provider_for=self.provider_for, rejected_token=rejected
        ).access_token


def _require_active(account: ProviderAccount, provider_for: RefresherFor) -> None:
    if account.status != ProviderAccount.Status.ACTIVE:
        raise NeedsReauthorization(
            account.last_error or NeedsReauthorization.for_provider(provider_for(account.provider).label).message
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
