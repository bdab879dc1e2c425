"""Procore's client: where it lives, OAuth, who-am-I, companies and projects, paging, and what its refusals mean.

PKCE is not sent: Procore documents neither `code_challenge` nor `code_verifier`, and the portal sends only documented
parameters (tests check every request against ../shared/reference/procore/endpoints). Every call but /me and
/companies carries `Procore-Company-Id`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import requests

from providers.answers import expect_list, require, total_of
from providers.base import Endpoints, Provider
from providers.errors import AccessBlocked, NotFound, ProviderError, ToolUnavailable
from providers.http import Attempt, error_text, parse_json
from providers.tokens import account_note_error
from providers.types import Company, ItemPage, ProviderProject, ProviderUser

if TYPE_CHECKING:
    from providers.models import ProviderAccount

MAX_PAGES = 1000  # a guard against a provider that keeps answering rel="next"
# Item lists (submittals, RFIs, submittal responses) are read 2,000 a page: the largest page Procore's pagination guide
# recommends (PROVIDERS.md, corrections; older versions allowed 10,000). Fewer requests leave more of the hourly limit
# for other links, and a page still fits the engine's budgets: it is committed on its own (one transaction per page),
# 2,000 items take under a second to ingest and a few MB to hold, well inside the 30 s read timeout and the lease.
# Every page's rel="next" link is followed, so a provider that serves less per page loses nothing.
PER_PAGE = 2_000
# The v1.1 projects list is the one list documented with a smaller maximum.
PROJECTS_PER_PAGE = 300


_TOOL_PATHS = (
    ("Submittals", re.compile(r"/rest/v1\.\d/(projects/\d+/submittal|submittal_approvers)")),
    ("RFIs", re.compile(r"/rest/v1\.\d/projects/\d+/rfis")),
)


def project_tool(url: str) -> str:
    """The project tool ("Submittals", "RFIs") a call belongs to, or "" for any other call."""
    path = url.split("?")[0]
    return next((tool for tool, pattern in _TOOL_PATHS if pattern.search(path)), "")


def tool_refused(tool: str, *, detail: str) -> ToolUnavailable:
    return ToolUnavailable(
        f"The {tool} tool is disabled on this Procore project or the receiving user has no permission on it. "
        "Enable the tool or give the user at least Standard permission on it, then sync again.",
        detail=detail,
    )


def company_headers(company_id: str) -> dict[str, str]:
    """Procore wants the company on every call but /me and /companies."""
    return {"Procore-Company-Id": company_id} if company_id else {}


class ProcoreClient(Provider):
    """What every part of the Procore module builds on; `providers.procore.Procore` adds items, responses and hooks."""

    key = "procore"
    label = "Procore"
    needs_company_choice = True
    company_word = "company"
    supports_pkce = False
    supports_webhooks = True
    revokes = "access"  # POST /oauth/revoke documents the access token; it revokes the refresh token with it
    production = Endpoints(auth="https://login.procore.com", api="https://api.procore.com")
    provider_sandbox = Endpoints(auth="https://login-sandbox.procore.com", api="https://sandbox.procore.com")

    # -- OAuth ------------------------------------------------------------------------------------------------------

    def authorization_url(self, *, redirect_uri: str, state: str, code_challenge: str = "") -> str:
        return self._authorize_url("/oauth/authorize", redirect_uri=redirect_uri, state=state, code_challenge="")

    def who_am_i(self, *, access_token: str) -> ProviderUser:
        body = self._call("GET", f"{self.endpoints.api}/rest/v1.0/me", token=access_token)
        if not isinstance(body, dict):
            body = {}
        user_id = require(body, "id", label=self.label)
        return ProviderUser(id=str(user_id), name=str(body.get("name") or ""), email=str(body.get("login") or ""))

    # -- listing ----------------------------------------------------------------------------------------------------

    def list_companies(self, *, account: ProviderAccount) -> list[Company]:
        entries = self._all_pages(account, f"{self.endpoints.api}/rest/v1.0/companies", {"page": 1, "per_page": 100})
        return [
            Company(id=str(require(entry, "id", label=self.label)), name=str(entry.get("name") or ""))
            for entry in entries
            if entry.get("is_active", True) is not False
        ]

    def list_projects(self, *, account: ProviderAccount, company_id: str = "") -> list[ProviderProject]:
        entries = self._all_pages(
            account,
            f"{self.endpoints.api}/rest/v1.1/projects",
            {"company_id": company_id, "page": 1, "per_page": PROJECTS_PER_PAGE},
            company_id=company_id,
        )
        return [
            ProviderProject(
                id=str(require(entry, "id", label=self.label)),
                name=str(entry.get("name") or entry.get("display_name") or ""),
                number=str(entry.get("project_number") or ""),
                company_id=company_id,
            )
            for entry in entries
        ]

    # -- paging -----------------------------------------------------------------------------------------------------

    def _all_pages(
        self, account: ProviderAccount, url: str, params: dict[str, Any], *, company_id: str = ""
    ) -> list[dict[str, Any]]:
        return [entry for page in self._pages(account, url, params, company_id=company_id) for entry in page]

    def _pages(
        self, account: ProviderAccount, url: str, params: dict[str, Any], *, company_id: str = ""
    ) -> Iterator[ItemPage[dict[str, Any]]]:
        """Each page's objects, following rel="next" in the Link header until the last page (which has none), with the
        listing's size from the `Total` header."""
        next_url: str | None = url
        page_params: dict[str, Any] | None = params
        for _ in range(MAX_PAGES):
            if next_url is None:
                return
            response = self._call_raw(
                "GET", next_url, account=account, params=page_params, headers=company_headers(company_id)
            )
            entries = expect_list(self._json(response, account), label=self.label)
            yield ItemPage(entries, total=total_of(response.headers.get("Total")))
            next_url = response.links.get("next", {}).get("url")
            page_params = None  # the next link carries every query parameter

    def _json(self, response: requests.Response, account: ProviderAccount) -> Any:
        try:
            return parse_json(response, label=self.label)
        except ProviderError as exc:
            account_note_error(account_id=account.pk, error=exc)
            raise

    # -- errors -----------------------------------------------------------------------------------------------------

    def classify(self, response: requests.Response, attempt: Attempt) -> ProviderError:
        detail = f"{attempt.method} {attempt.url.split('?')[0]} -> {response.status_code}: {error_text(response)}"
        company_call = "/rest/" in attempt.url and not attempt.url.split("?")[0].endswith(("/me", "/companies"))
        if response.status_code == 403 and "not connected" in response.text.lower():
            return AccessBlocked(
                "A Procore company administrator has disconnected the connector app from this company "
                "(Procore App Management). Ask them to reinstall it, then reconnect.",
                detail=detail,
            )
        tool = project_tool(attempt.url)
        if response.status_code == 403 and tool:
            # A project's Submittals or RFIs refused: that tool is disabled there or the user lacks permission on it.
            return tool_refused(tool, detail=detail)
        if response.status_code == 403 or (response.status_code == 401 and attempt.refreshed and company_call):
            # A freshly refreshed token still refused on a company call: the app is not installed / allowed there.
            return AccessBlocked(
                "This Procore company does not allow connections from outside applications, or the connector app "
                "is not installed in it. A Procore company administrator must install the app (App Management) or "
                "allow user installs; then connect again.",
                detail=detail,
            )
        if response.status_code == 404:
            return NotFound(NotFound.for_provider(self.label).message, detail=detail)
        return super().classify(response, attempt)
