"""The OAuth connect flow: start (state + PKCE, server-side) and completion (state checks, code exchange, account).

`state` is 256 random bits; only its SHA-256 is stored, bound to the firm, the user, a hash of their session key and
the provider. It is single-use (consumed by a conditional UPDATE, so two callbacks racing cannot both win) and expires
after ten minutes, like the providers' authorization codes. Every refusal raises ConnectFailed with a message for the
person, before the token endpoint is called and before anything is saved.

The flow knows no Project Center project. The caller says where to come back to (`next_url`, a local URL the pages
check, since they know the request's host) and puts in it whatever the next step needs; that page resolves it again,
firm-scoped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from oauthlib.oauth2 import WebApplicationClient

from connector_portal.models import Firm, User
from providers.errors import ProviderError
from providers.models import OAuthState, ProviderAccount
from providers.registry import get_provider, provider_label
from providers.services import account_connect

STATE_MAX_AGE = dt.timedelta(minutes=10)
STALE_STATES_AFTER = dt.timedelta(days=1)


class ConnectFailed(Exception):
    def __init__(
        self,
        message: str,
        *,
        title: str = "The connection was not made",
        retry_next: str = "",
        retry_choose_account: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.title = title
        # Where a new sign-in would come back to (the state's next_url) when starting again can help: a Deny.
        self.retry_next = retry_next
        self.retry_choose_account = retry_choose_account


@dataclass(frozen=True)
class Connected:
    account: ProviderAccount
    next_url: str


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def connect_start(
    *,
    firm: Firm,
    user: User,
    session_key: str,
    provider: str,
    redirect_uri: str,
    next_url: str,
    choose_account: bool = False,
    now: dt.datetime | None = None,
) -> str:
    """Record a new state and return the provider's authorization URL. Raises ProviderNotAvailable.

    `choose_account` asks the provider to let the person sign in as someone else, where it documents how."""
    now = now or timezone.now()
    module = get_provider(provider)
    state = secrets.token_urlsafe(32)
    verifier = challenge = ""
    if module.supports_pkce:
        client = WebApplicationClient(module.app.client_id)
        verifier = client.create_code_verifier(64)
        challenge = client.create_code_challenge(verifier, "S256")
    OAuthState.objects.filter(created_at__lt=now - STALE_STATES_AFTER).delete()  # keep the table small
    OAuthState.objects.create(
        firm=firm,
        user=user,
        session_hash=_sha256(session_key),
        provider=provider,
        state_hash=_sha256(state),
        code_verifier=verifier,
        redirect_uri=redirect_uri,
        next_url=next_url,
        choose_account=choose_account,
        created_at=now,
    )
    url = module.authorization_url(redirect_uri=redirect_uri, state=state, code_challenge=challenge)
    if choose_account and module.choose_account_params:
        url = f"{url}&{urlencode(module.choose_account_params)}"
    return url


def connect_complete(
    *,
    firm: Firm,
    user: User,
    session_key: str,
    provider: str,
    params: Mapping[str, str],
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Connected:
    """Check the callback, trade the code for tokens, learn who the user is and store the account."""
    label = provider_label(provider)
    state = _state_consume(
        firm=firm, user=user, session_key=session_key, provider=provider, value=params.get("state", ""), now=now
    )
    if params.get("error"):
        raise _provider_refusal(label, params["error"], state=state)
    code = params.get("code", "")
    if not code:
        raise ConnectFailed(f"{label} did not send back a sign-in code. Start the connection again.")
    try:
        module = get_provider(provider)
        tokens = module.exchange_code(code=code, redirect_uri=state.redirect_uri, code_verifier=state.code_verifier)
        provider_user = module.who_am_i(access_token=tokens.access_token)
    except ProviderError as exc:
        raise ConnectFailed(exc.message) from exc
    account = account_connect(
        firm=firm, user=user, provider=provider, provider_user=provider_user, tokens=tokens, request=request
    )
    return Connected(account=account, next_url=state.next_url)


def _state_consume(
    *, firm: Firm, user: User, session_key: str, provider: str, value: str, now: dt.datetime | None
) -> OAuthState:
    now = now or timezone.now()
    label = provider_label(provider)
    start_again = f"Start connecting to {label} again from the project's configure page."
    if not value:
        raise ConnectFailed(f"The answer from {label} did not say which connection it belongs to. {start_again}")
    state = OAuthState.objects.filter(state_hash=_sha256(value)).first()
    if state is None:
        raise ConnectFailed(f"This sign-in link is not one the portal started, or it is too old. {start_again}")
    if state.firm_id != firm.pk or state.user_id != user.pk or state.session_hash != _sha256(session_key):
        raise ConnectFailed(
            "This sign-in was started by someone else or in another browser session, so it was not accepted. "
            f"{start_again}"
        )
    if state.provider != provider:
        raise ConnectFailed(
            f"This sign-in was started for {provider_label(state.provider)}, not {label}. {start_again}"
        )
    if state.used_at is not None:
        raise ConnectFailed(f"This sign-in link was already used. {start_again}")
    if state.created_at < now - STATE_MAX_AGE:
        raise ConnectFailed(f"This sign-in took longer than ten minutes and has expired. {start_again}")
    taken = OAuthState.objects.filter(Q(pk=state.pk) & Q(used_at__isnull=True)).update(used_at=now)
    if not taken:  # another request consumed it a moment ago
        raise ConnectFailed(f"This sign-in link was already used. {start_again}")
    return state


def _provider_refusal(label: str, error: str, *, state: OAuthState) -> ConnectFailed:
    if error == "access_denied":
        return ConnectFailed(
            f"You pressed Deny on {label}'s page, so the connector portal may not use your {label} account and "
            f"nothing was connected. To connect, press Try again and choose Allow on {label}'s page.",
            title="Access was not allowed",
            retry_next=state.next_url,
            retry_choose_account=state.choose_account,
        )
    return ConnectFailed(
        f"{label} did not complete the sign-in (it answered “{error[:60]}”). Start again; if it keeps happening, "
        "contact support."
    )
