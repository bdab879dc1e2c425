"""The one small interface every provider module implements. The rest of the portal only ever sees this.

A provider object is bound to the portal's OAuth app for that provider (client id/secret and base URLs); get one with
`providers.registry.get_provider(name)`. Methods that act for a connected account take the ProviderAccount: they fetch
its access token (refreshing ahead of expiry under a row lock), retry once after a 401 with a refreshed token, and note
problems on the account (status / last_error) before raising the typed errors of `providers.errors`.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import urlencode

import requests

from providers.answers import token_set
from providers.downloads import open_download
from providers.errors import (
    InvalidGrant,
    NeedsReauthorization,
    NotFound,
    ProviderError,
    ProviderNotAvailable,
    UnexpectedAnswer,
)
from providers.http import (
    Attempt,
    HttpClient,
    RateLimitObserver,
    StaticToken,
    TokenSource,
    error_code,
    error_text,
)
from providers.models import ProviderApp
from providers.tokens import AccountTokens, account_note_error
from providers.types import (
    NO_FACTS,
    AttachmentRef,
    Company,
    ItemKind,
    ItemPage,
    ProjectFacts,
    ProviderItem,
    ProviderProject,
    ProviderUser,
    RateLimit,
    ResponseOption,
    TokenSet,
)
from providers.uploads import OutgoingFile

if TYPE_CHECKING:
    from providers.models import ProviderAccount


HourlyLimitObserver = Callable[[int, int], None]
# Which of these provider ids of the kind the caller already keeps (it follows those to the end, whoever holds them).
StoredIds = Callable[[Collection[str]], set[str]]
ProjectFactsObserver = Callable[[ProjectFacts], None]


@dataclass(frozen=True)
class Endpoints:
    """Base URLs (no trailing slash). `profile` is where who-am-I lives when the provider keeps it elsewhere."""

    auth: str
    api: str
    profile: str = ""


class Provider(ABC):
    key: ClassVar[str]
    label: ClassVar[str]
    # Procore companies / Autodesk hubs: the user picks one before projects are listed (never the first silently).
    needs_company_choice: ClassVar[bool] = False
    company_word: ClassVar[str] = "company"
    supports_pkce: ClassVar[bool] = True
    # What the authorize URL adds to make the provider ask who signs in even when its own session remembers someone
    # ("Sign in as someone else"); empty where the provider documents no such parameter (Procore, ConstructEx).
    choose_account_params: ClassVar[Mapping[str, str]] = {}
    scopes: ClassVar[tuple[str, ...]] = ()
    production: ClassVar[Endpoints | None] = None
    provider_sandbox: ClassVar[Endpoints | None] = None
    # Whether register_webhooks/unregister_webhooks work (Procore); the others are polled.
    supports_webhooks: ClassVar[bool] = False
    # Whether post_response can attach files (providers.uploads); a response with files for another provider is refused
    # when recorded, so no file is silently left behind.
    supports_response_files: ClassVar[bool] = False
    # How long a refresh token lives unused (None: until revoked). Idle accounts are refreshed before then
    # (providers.services.accounts_keep_alive), so a firm whose links pause for a while need not reconnect.
    refresh_token_idle_lifetime: ClassVar[dt.timedelta | None] = None
    # Requests a minute the provider allows the whole application (every firm together) on each kind's API; empty when
    # its limits are per user only. The sweep keeps all links' polling of the provider inside them.
    app_requests_per_minute: ClassVar[Mapping[ItemKind, int]] = {}

    @classmethod
    def project_label(cls, facts: ProjectFacts) -> str:
        """The provider's name for one of its projects: what the pages call it (Autodesk names the product)."""
        return cls.label

    def __init__(
        self, *, app: ProviderApp, http: HttpClient | None = None, on_hourly_limit: HourlyLimitObserver | None = None
    ) -> None:
        self.app = app
        self.http = http or HttpClient()
        self.http.label = self.label
        self.endpoints = self._endpoints()
        # Told (account id, hourly request limit) whenever an account's answers reveal its limit, so that whoever plans
        # the account's polling (projects.ports) can keep within it; this package never stores it itself.
        self.on_hourly_limit = on_hourly_limit
        # Told a project's facts (ProjectFacts) when a call had to read them because it was handed none (a link made
        # before they were kept), so that whoever holds the link keeps them and no later call reads them again.
        self.on_project_facts: ProjectFactsObserver | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.app.environment}>"

    # -- messages a firm user sees ----------------------------------------------------------------------------------

    @property
    def no_companies_message(self) -> str:
        return f"Your {self.label} account belongs to no {self.company_word} that the portal can use."

    @property
    def missing_company_help(self) -> str:
        """What to do when the list of companies lacks the one the user expects (or has none)."""
        return (
            f"Ask an administrator of the {self.label} {self.company_word} to add your account to it, then try again."
        )

    @property
    def no_projects_message(self) -> str:
        return (
            f"{self.label} lists no project for your account here. You only see projects whose project team you are "
            f"on: ask a {self.label} project administrator to add you to the project's team, then reload this page."
        )

    # -- OAuth ------------------------------------------------------------------------------------------------------

    @abstractmethod
    def authorization_url(self, *, redirect_uri: str, state: str, code_challenge: str = "") -> str:
        """Where to send the user's browser to sign in and consent. `code_challenge` is PKCE S256, when supported."""

    # How the portal proves who it is at the token and revoke endpoints: client id and secret in the form body
    # (Procore, ConstructEx); Autodesk overrides `_client_credentials` to use HTTP Basic instead.
    revoke_path: ClassVar[str] = "/oauth/revoke"
    revoke_extra: ClassVar[dict[str, str]] = {}
    # Which of the account's tokens the revoke endpoint takes: Procore documents the access token (revoking it ends
    # its refresh token too); the others take the refresh token.
    revokes: ClassVar[Literal["access", "refresh"]] = "refresh"

    def _client_credentials(self) -> tuple[dict[str, str], tuple[str, str] | None]:
        return {"client_id": self.app.client_id, "client_secret": self.app.client_secret}, None

    def _token_grant(self, data: dict[str, str]) -> TokenSet:
        form, basic = self._client_credentials()
        return self._token_request({**data, **form}, basic=basic)

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str = "") -> TokenSet:
        """Trade an authorization code for tokens. `invalid_grant` raises InvalidGrant (never retried)."""
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if code_verifier:
            data["code_verifier"] = code_verifier
        return self._token_grant(data)

    def refresh(self, *, refresh_token: str) -> TokenSet:
        """Trade a refresh token for a new pair (they rotate: the old one is dead at once). InvalidGrant on refusal."""
        return self._token_grant({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def revoke(self, *, token: str) -> None:
        """Revoke a refresh or access token at the provider. Unknown tokens are not an error."""
        form, basic = self._client_credentials()
        self.http.send(
            "POST",
            f"{self.endpoints.auth}{self.revoke_path}",
            data={"token": token, **self.revoke_extra, **form},
            basic=basic,
            classify=self.classify,
        )

    @abstractmethod
    def who_am_i(self, *, access_token: str) -> ProviderUser:
        """The provider user the token belongs to (a stable id, display name and email)."""

    # -- listing ----------------------------------------------------------------------------------------------------

    def list_companies(self, *, account: ProviderAccount) -> list[Company]:
        """Companies (Procore) or hubs (Autodesk) the user can use; empty for providers without them."""
        return []

    @abstractmethod
    def list_projects(self, *, account: ProviderAccount, company_id: str = "") -> list[ProviderProject]:
        """Every project (all pages) the provider says this user can access, in `company_id` when needed."""

    # -- sync (implemented by the sync-engine issue; the contract is fixed here) --------------------------------------

    def list_items_changed_since(
        self,
        *,
        account: ProviderAccount,
        company_id: str,
        project_id: str,
        kind: ItemKind,
        since: dt.datetime | None,
        receiving_user_id: str,
        facts: ProjectFacts = NO_FACTS,
        also_receiving: Sequence[str] = (),
        stored: StoredIds | None = None,
    ) -> Iterator[ItemPage[ProviderItem]]:
        """Yield the project's submittals or RFIs updated at or after `since` (all of them when None), page by page.

        - `company_id` / `project_id` are the ids of ProviderProject/Company as listed (Autodesk keeps the `b.` prefix
          here; the module strips it where the RFI/Submittal APIs need it). `facts` are the project's as listed
          (ProviderProject.facts, kept on the link); a provider that needs them and is handed none reads them.
          `since` is aware; subtracting a look-back is the caller's job. `receiving_user_id` is
          ProviderAccount.provider_user_id; `also_receiving` the further receiving users' (a link can have several).
        - One yielded list per provider page, in the provider's order, so the caller can commit each page with its
          cursor. Every item of the page is yielded, with `for_receiving_user` telling whether a receiving user
          (`receiving_user_id` or one of `also_receiving`) is or was its reviewer: its assignee, ball-in-court or one
          of its approvers now, or earlier in its workflow (a closed or superseded item the user reviewed is theirs,
          on the first sync and on a full listing alike), and `receivers` which of them. The caller keeps only
          those. `stored` tells which ids the caller keeps already (it follows them whoever holds them): a provider
          that must make extra requests to learn who reviewed an item skips those.
        - ProviderItem.updated_at is aware (UTC); `raw` holds the provider's JSON for the item.
        - Each page is an ItemPage (a list) with `total`, the number of items the whole listing holds when the provider
          says, and `calls`, the HTTP requests it cost (see `counted`).
        - A kind the project does not support (Autodesk BIM 360 submittals) yields nothing, or one empty page carrying
          the requests spent finding that out.
        - Raises the errors of providers.errors (RateLimited / ProviderUnavailable carry `retry_after`).
        """
        raise NotImplementedError(f"{self.label}: listing changed items is built by the sync issue.")

    def list_response_options(
        self,
        *,
        account: ProviderAccount,
        company_id: str,
        project_id: str,
        kind: ItemKind,
        facts: ProjectFacts = NO_FACTS,
    ) -> list[ResponseOption]:
        """The responses a reviewer can give on this project's items of `kind` (all pages).

        `standard` is the stable meaning in lower case (Procore `considered`, Autodesk category name, ConstructEx
        response name) that mappings match on; `name` is what the provider shows; `id` is what post_response sends.
        RFIs have no response list: providers return [] for kind "rfi".
        """
        raise NotImplementedError(f"{self.label}: response options are built by the sync issue.")

    def post_response(
        self,
        *,
        account: ProviderAccount,
        company_id: str,
        project_id: str,
        kind: ItemKind,
        item_id: str,
        receiving_user_id: str,
        option_id: str,
        comment: str,
        facts: ProjectFacts = NO_FACTS,
        files: Sequence[OutgoingFile] = (),
    ) -> str | None:
        """Record the receiving user's response on the provider; a sentence for the user when the provider recorded
        less than asked (Procore: a reply posted as a response because the user may not mark it official), else None.

        Submittals: the approver response of `receiving_user_id` with `option_id` (a ResponseOption.id) and `comment`
        (Procore: PATCH the user's submittal_approver; Autodesk: close the user's review task;
        ConstructEx: POST a review).
        RFIs: an official answer whose body is `comment` (`option_id` is ignored).
        `files` go with it, uploaded the way the provider documents (providers.uploads): each step is noted on the
        file, and a file an earlier attempt uploaded or attached is reused, never attached twice.
        Raises NotFound when the item (or the user's approver step) is gone, AccessBlocked when the provider refuses,
        UnexpectedAnswer when the provider rejects the response value (e.g. not valid for this approver); the retryable
        errors carry `retry_after`. Never retried on a lost answer (it may have been recorded): the caller decides.
        """
        raise NotImplementedError(f"{self.label}: posting responses is built by the sync issue.")

    def open_attachment(self, *, account: ProviderAccount, ref: AttachmentRef) -> requests.Response:
        """The answer carrying one attached file's bytes (body unread: iterate it in chunks, then close it), after
        following the provider's redirects to its storage. Raises the errors of providers.errors."""
        auth = self._auth(account) if ref.authenticated else None
        return open_download(self.http, ref.url, classify=self.classify, auth=auth)

    def register_webhooks(
        self, *, account: ProviderAccount, company_id: str, project_id: str, destination_url: str, authorization: str
    ) -> str:
        """Ask the provider to POST item changes of the project to `destination_url` (with `authorization` as the
        Authorization header); answers the hook id. Only where `supports_webhooks`."""
        raise NotImplementedError(f"{self.label} has no webhooks for submittals and RFIs: links are polled.")

    def unregister_webhooks(self, *, account: ProviderAccount, company_id: str, project_id: str, hook_id: str) -> None:
        raise NotImplementedError(f"{self.label} has no webhooks for submittals and RFIs.")

    # -- shared plumbing for the modules ----------------------------------------------------------------------------

    def _endpoints(self) -> Endpoints:
        environment = self.app.environment
        if environment == ProviderApp.Environment.CUSTOM:
            if not (self.app.auth_base_url and self.app.api_base_url):
                raise ProviderNotAvailable.for_provider(self.label)
            auth, api = self.app.auth_base_url.rstrip("/"), self.app.api_base_url.rstrip("/")
            return Endpoints(auth=auth, api=api, profile=api)
        chosen = self.production if environment == ProviderApp.Environment.PRODUCTION else self.provider_sandbox
        if chosen is None:
            raise ProviderNotAvailable.for_provider(self.label)
        return chosen

    def _auth(self, account: ProviderAccount) -> TokenSource:
        # This module refreshes its own accounts: it is bound to the app whose client the refresh must use.
        return AccountTokens(account_id=account.pk, provider_for=lambda key: self)

    def _call(
        self, method: str, url: str, *, account: ProviderAccount | None = None, token: str = "", **kw: Any
    ) -> Any:
        """Send an API request as `account` (or with a bare `token` during connect) and return its JSON."""
        auth = self._auth(account) if account is not None else StaticToken(token, self.label)
        classify = kw.pop("classify", None) or self.classify  # posting a response refuses in its own words
        observe = self._rate_limit_observer(account)
        try:
            return self.http.send_json(method, url, auth=auth, classify=classify, on_rate_limit=observe, **kw)
        except ProviderError as exc:
            if account is not None:
                account_note_error(account_id=account.pk, error=exc)
            raise

    def _call_raw(self, method: str, url: str, *, account: ProviderAccount, **kw: Any) -> requests.Response:
        """Like _call, for answers whose headers matter (pagination)."""
        observe = self._rate_limit_observer(account)
        try:
            return self.http.send(
                method, url, auth=self._auth(account), classify=self.classify, on_rate_limit=observe, **kw
            )
        except ProviderError as exc:
            account_note_error(account_id=account.pk, error=exc)
            raise

    def _rate_limit_observer(self, account: ProviderAccount | None) -> RateLimitObserver | None:
        """Passes an account's hourly limit on to `on_hourly_limit` when its answers' headers reveal it."""
        report = self.on_hourly_limit
        if account is None or report is None:
            return None
        account_id = account.pk

        def observe(seen: RateLimit) -> None:
            if seen.hourly_limit is not None:
                report(account_id, seen.hourly_limit)

        return observe

    def _token_request(self, data: dict[str, str], *, basic: tuple[str, str] | None = None) -> TokenSet:
        body = self.http.send_json("POST", self.token_url, data=data, basic=basic, classify=self.classify_token_error)
        return token_set(body, label=self.label)

    def _authorize_url(self, path: str, *, redirect_uri: str, state: str, code_challenge: str, **extra: str) -> str:
        # Built here rather than by requests-oauthlib: oauthlib refuses plain-http URLs (the local sandbox) unless a
        # process-wide environment flag is set, which would weaken every other OAuth use in the process.
        params = {"response_type": "code", "client_id": self.app.client_id, "redirect_uri": redirect_uri, **extra}
        params["state"] = state
        if code_challenge and self.supports_pkce:
            params.update(code_challenge=code_challenge, code_challenge_method="S256")
        return f"{self.endpoints.auth}{path}?{urlencode(params)}"

    @property
    def token_url(self) -> str:
        return f"{self.endpoints.auth}/oauth/token"

    def classify_token_error(self, response: requests.Response, attempt: Attempt) -> ProviderError:
        """The token endpoint's refusals: invalid_grant means the user must sign in again; anything else is ours."""
        code = error_code(response)
        detail = f"token endpoint -> {response.status_code} {code}".strip()
        if code == "invalid_grant":
            return InvalidGrant(NeedsReauthorization.for_provider(self.label).message, detail=detail)
        return UnexpectedAnswer(
            f"{self.label} refused the portal's sign-in request ({code or response.status_code}). "
            "Try connecting again; if it keeps failing, contact support: the portal's app registration may be wrong.",
            detail=detail,
        )

    def classify(self, response: requests.Response, attempt: Attempt) -> ProviderError:
        """Default mapping of API refusals; modules override to name their access problems precisely."""
        detail = f"{attempt.method} {attempt.url.split('?')[0]} -> {response.status_code}: {error_text(response)}"
        if response.status_code == 401:
            return NeedsReauthorization(NeedsReauthorization.for_provider(self.label).message, detail=detail)
        if response.status_code == 404:
            return NotFound(NotFound.for_provider(self.label).message, detail=detail)
        return UnexpectedAnswer(UnexpectedAnswer.for_provider(self.label).message, detail=detail)
