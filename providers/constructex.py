"""ConstructEx: no public API is documented; this module holds the contract PROVIDERS.md assumes, and nothing else
in the portal depends on it, so it can be replaced when a published API exists.

Assumed beyond PROVIDERS.md: who-am-I is `GET {api}/api/v1/me` → `{id, name, email}` and revocation is
`POST {auth}/oauth/revoke` (RFC 7009); the client authenticates with client_id/client_secret in the token form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import requests

from providers.base import Provider, expect_list, require
from providers.errors import AccessBlocked, ProviderError
from providers.http import Attempt, error_text
from providers.types import ProviderProject, ProviderUser, TokenSet

if TYPE_CHECKING:
    from providers.models import ProviderAccount

MAX_PAGES = 1000


class ConstructEx(Provider):
    key = "constructex"
    label = "ConstructEx"
    needs_company_choice = False
    supports_pkce = True
    # No public hosts are known: production and provider-sandbox apps must use custom base URLs.
    production = None
    provider_sandbox = None

    def authorization_url(self, *, redirect_uri: str, state: str, code_challenge: str = "") -> str:
        return self._authorize_url(
            "/oauth/authorize", redirect_uri=redirect_uri, state=state, code_challenge=code_challenge
        )

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str = "") -> TokenSet:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.app.client_id,
            "client_secret": self.app.client_secret,
        }
        if code_verifier:
            data["code_verifier"] = code_verifier
        return self._token_request(data)

    def refresh(self, *, refresh_token: str) -> TokenSet:
        return self._token_request(
            {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": self.app.client_id,
                "client_secret": self.app.client_secret,
            }
        )

    def revoke(self, *, token: str) -> None:
        self.http.send(
            "POST",
            f"{self.endpoints.auth}/oauth/revoke",
            data={"token": token, "client_id": self.app.client_id, "client_secret": self.app.client_secret},
            classify=self.classify,
        )

    def who_am_i(self, *, access_token: str) -> ProviderUser:
        body = self._call("GET", f"{self.endpoints.api}/api/v1/me", token=access_token)
        if not isinstance(body, dict):
            body = {}
        user_id = require(body, "id", label=self.label)
        return ProviderUser(id=str(user_id), name=str(body.get("name") or ""), email=str(body.get("email") or ""))

    def list_projects(self, *, account: ProviderAccount, company_id: str = "") -> list[ProviderProject]:
        projects: list[ProviderProject] = []
        cursor = ""
        for _ in range(MAX_PAGES):
            params = {"cursor": cursor} if cursor else None
            body = self._call("GET", f"{self.endpoints.api}/api/v1/projects", account=account, params=params)
            for entry in expect_list(body, label=self.label, key="results"):
                projects.append(
                    ProviderProject(
                        id=str(require(entry, "id", label=self.label)),
                        name=str(entry.get("name") or ""),
                        number=str(entry.get("number") or ""),
                    )
                )
            cursor = str(body.get("next_cursor") or "")
            if not cursor:
                break
        return projects

    def classify(self, response: requests.Response, attempt: Attempt) -> ProviderError:
        if response.status_code == 403:
            return AccessBlocked(
                "Your ConstructEx account is not allowed to use the connector. Ask your ConstructEx administrator to "
                "allow the Newforma connector for your account, then connect again.",
                detail=f"{attempt.method} {attempt.url.split('?')[0]} -> 403: {error_text(response)}",
            )
        return super().classify(response, attempt)
