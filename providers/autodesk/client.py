"""Autodesk's client: APS OAuth v2, who-am-I, Data Management hubs and projects, JSON:API paging, and refusals.

The token endpoint takes the client by HTTP Basic and refuses it also in the body. Who-am-I is the OIDC userinfo
endpoint, which lives on its own host in production (api.userprofile.autodesk.com) and needs the `user-profile:read`
scope besides the data/account scopes. Hub and project ids keep Autodesk's `b.` prefix; `api_id()` strips it for the
RFI and Submittal APIs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import requests

from providers.answers import expect_list, object_or_empty, require
from providers.base import Endpoints, Provider
from providers.errors import AccessBlocked, NotFound, ProviderError, UnexpectedAnswer
from providers.http import Attempt, error_text
from providers.types import Company, ItemKind, ProviderProject, ProviderUser

if TYPE_CHECKING:
    from providers.models import ProviderAccount

MAX_PAGES = 1000
# Projects found to be BIM 360 (the ACC RFI and submittal APIs answer 404 for them), so later syncs go straight to
# BIM 360's RFI API and skip submittals. Per process: a restart costs one extra request per BIM 360 project.
_BIM360_PROJECTS: set[str] = set()
# A BIM 360 project's RFIs container (its Data Management `relationships.rfis.data.id`), by project id without `b.`:
# BIM 360's RFI API takes the container, not the project. Per process, like `_BIM360_PROJECTS`.
_RFI_CONTAINERS: dict[str, str] = {}
# A hub's data centre (Data Management `attributes.region`: US, EMEA, AUS, ...), by hub id with `b.`: it decides the
# host of an item's page. A hub never moves, so this is remembered per process like `_RFI_CONTAINERS`.
_HUB_REGIONS: dict[str, str] = {}
# BIM 360 and ACC accounts are both this hub type; personal and team (Fusion) hubs have no projects for us.
CONSTRUCTION_HUB = "hubs:autodesk.bim360:Account"
PRODUCTION = Endpoints(
    auth="https://developer.api.autodesk.com",
    api="https://developer.api.autodesk.com",
    profile="https://api.userprofile.autodesk.com",
)


def api_id(dm_id: str) -> str:
    """The id the RFI and Submittal APIs take: the Data Management id without its `b.` prefix."""
    return dm_id.removeprefix("b.")


class Reviewer:
    """The receiving user of one sync or response, with their project roles and company read from Autodesk once,
    when an item or task first needs them (most are the user's own: then no request is made)."""

    def __init__(
        self, client: AutodeskClient, account: ProviderAccount, pid: str, user_id: str, region: str = "US"
    ) -> None:
        self.client, self.account, self.pid, self.user_id, self.region = client, account, pid, user_id, region
        self._groups: frozenset[str] | None = None

    def groups(self) -> frozenset[str]:
        if self._groups is None:
            self._groups = self.client.reviewer_groups(self.account, self.pid, self.user_id, region=self.region)
        return self._groups

    def holds(self, users: Any, roles: Any = (), companies: Any = ()) -> bool:
        """Whether the user is among `users`, or one of their roles or their company among `roles` / `companies`."""
        if self.user_id in {str(u) for u in users or []}:
            return True
        others = {str(g) for g in [*(roles or []), *(companies or [])]}
        return bool(others and others & self.groups())

    def owns(self, task: dict[str, Any]) -> bool:
        """Whether a review task is the user's: assigned to them, or to their role or company (`assignedToType`)."""
        assigned = str(task.get("assignedTo") or "")
        if str(task.get("assignedToType") or "user") == "user":
            return assigned == self.user_id
        return assigned in self.groups()


class AutodeskClient(Provider):
    """What every part of the Autodesk module builds on; `providers.autodesk.Autodesk` adds items and responses."""

    key = "autodesk"
    label = "Autodesk"
    needs_company_choice = True
    company_word = "hub"
    supports_pkce = True
    scopes = ("data:read", "data:write", "data:create", "account:read", "user-profile:read")
    production = PRODUCTION
    provider_sandbox = PRODUCTION  # Autodesk has no separate sandbox host; apps are separate registrations
    refresh_token_idle_lifetime = dt.timedelta(days=15)  # PROVIDERS.md: refresh tokens expire after 15 days unused
    # PROVIDERS.md: the RFI and Submittal APIs' limits are per application across all customers.
    app_requests_per_minute: ClassVar[Mapping[ItemKind, int]] = {"rfi": 100, "submittal": 600}

    @property
    def token_url(self) -> str:
        return f"{self.endpoints.auth}/authentication/v2/token"

    @property
    def _client(self) -> tuple[str, str]:
        return (self.app.client_id, self.app.client_secret)

    @property
    def missing_company_help(self) -> str:
        # Autodesk leaves a hub that has not added the app out of the hub list (no refusal to show).
        return (
            "Autodesk does not list a hub whose account has not added the portal's app. An account administrator "
            "of that BIM 360 / Autodesk Construction Cloud account adds it in Autodesk Account Admin under Custom "
            f"Integrations with the client id {self.app.client_id}; then press Try again."
        )

    # -- OAuth ------------------------------------------------------------------------------------------------------

    def authorization_url(self, *, redirect_uri: str, state: str, code_challenge: str = "") -> str:
        return self._authorize_url(
            "/authentication/v2/authorize",
            redirect_uri=redirect_uri,
            state=state,
            code_challenge=code_challenge,
            scope=" ".join(self.scopes),
        )

    revoke_path = "/authentication/v2/revoke"
    revoke_extra = {"token_type_hint": "refresh_token"}

    def _client_credentials(self) -> tuple[dict[str, str], tuple[str, str] | None]:
        # Confidential clients authenticate with HTTP Basic only: credentials also in the body are a 400.
        return {}, self._client

    def who_am_i(self, *, access_token: str) -> ProviderUser:
        body = self._call("GET", f"{self.endpoints.profile}/userinfo", token=access_token)
        if not isinstance(body, dict):
            body = {}
        user_id = require(body, "sub", label=self.label)
        return ProviderUser(id=str(user_id), name=str(body.get("name") or ""), email=str(body.get("email") or ""))

    # -- listing ----------------------------------------------------------------------------------------------------

    def list_companies(self, *, account: ProviderAccount) -> list[Company]:
        hubs = self._all_pages(account, f"{self.endpoints.api}/project/v1/hubs", None)
        companies = []
        for hub in hubs:
            attributes = hub.get("attributes") or {}
            hub_type = (attributes.get("extension") or {}).get("type", CONSTRUCTION_HUB)
            if hub_type == CONSTRUCTION_HUB:
                companies.append(
                    Company(id=str(require(hub, "id", label=self.label)), name=str(attributes.get("name")))
                )
        return companies

    def list_projects(self, *, account: ProviderAccount, company_id: str = "") -> list[ProviderProject]:
        entries = self._all_pages(
            account,
            f"{self.endpoints.api}/project/v1/hubs/{company_id}/projects",
            {"page[number]": 0, "page[limit]": 200},
        )
        projects = []
        for entry in entries:
            attributes = entry.get("attributes") or {}
            project_type = ((attributes.get("extension") or {}).get("data") or {}).get("projectType", "")
            projects.append(
                ProviderProject(
                    id=str(require(entry, "id", label=self.label)),
                    name=str(attributes.get("name") or ""),
                    company_id=company_id,
                    # There is no public submittals API for BIM 360 projects, only for ACC ones.
                    supports_submittals=project_type != "BIM360",
                )
            )
        return projects

    def rfi_container(self, account: ProviderAccount, hub_id: str, project_id: str) -> str:
        """The project's RFIs container id, read from its Data Management project (`relationships.rfis.data.id`)."""
        pid = api_id(project_id)
        if pid not in _RFI_CONTAINERS:
            hub = hub_id if hub_id.startswith("b.") else f"b.{hub_id}"
            url = f"{self.endpoints.api}/project/v1/hubs/{hub}/projects/b.{pid}"
            body = self._call("GET", url, account=account)
            relationships = object_or_empty(object_or_empty(object_or_empty(body).get("data")).get("relationships"))
            container = object_or_empty(object_or_empty(relationships.get("rfis")).get("data")).get("id")
            if not container:
                raise UnexpectedAnswer(
                    "Autodesk did not say where this BIM 360 project keeps its RFIs, so they cannot be synced. Check "
                    "that the RFIs tool is activated on the project in BIM 360, then sync again.",
                    detail=f"project {project_id} without relationships.rfis.data.id",
                )
            _RFI_CONTAINERS[pid] = str(container)
        return _RFI_CONTAINERS[pid]

    def hub_region(self, account: ProviderAccount, hub_id: str) -> str:
        """The hub's region (`attributes.region` of `GET /project/v1/hubs/{hubId}`); US when Autodesk gives none."""
        hub = hub_id if hub_id.startswith("b.") else f"b.{hub_id}"
        if hub not in _HUB_REGIONS:
            body = self._call("GET", f"{self.endpoints.api}/project/v1/hubs/{hub}", account=account)
            attributes = object_or_empty(object_or_empty(object_or_empty(body).get("data")).get("attributes"))
            _HUB_REGIONS[hub] = str(attributes.get("region") or "US")
        return _HUB_REGIONS[hub]

    def reviewer_groups(
        self, account: ProviderAccount, pid: str, user_id: str, *, region: str = "US"
    ) -> frozenset[str]:
        """The ids of the receiving user's roles in the project and of the company they represent there: what an ACC
        submittal's `ballInCourtRoles` / `ballInCourtCompanies` and a review task's `assignedTo` (with
        `assignedToType` role or company) name. Read from the Account Admin API's project user
        (`GET /construction/admin/v1/projects/{projectId}/users/{userId}`, `roleIds`, `roles[].id`, `companyId`;
        APS reference page admin-projectsprojectId-users-userId-GET, not part of construction.json, which describes
        no project users operation). Empty when Autodesk shows the user no such record (then only tasks assigned to
        the user themself are theirs). The Account Admin API does not route by region itself: an EMEA project's
        user is asked for with `Region: EMEA`."""
        url = f"{self.endpoints.api}/construction/admin/v1/projects/{pid}/users/{user_id}"
        headers = {"Region": region} if region != "US" else None
        try:
            body = object_or_empty(self._call("GET", url, account=account, headers=headers))
        except (NotFound, AccessBlocked):
            return frozenset()
        roles = [object_or_empty(role) for role in body.get("roles") or [] if isinstance(role, dict)]
        ids = {*(str(r) for r in body.get("roleIds") or []), *(str(r.get("id")) for r in roles if r.get("id"))}
        ids |= {str(r["roleGroupId"]) for r in roles if r.get("roleGroupId")}  # shown in APS examples, not described
        if body.get("companyId"):
            ids.add(str(body["companyId"]))
        return frozenset(ids - {""})

    def _all_pages(self, account: ProviderAccount, url: str, params: dict[str, Any] | None) -> list[dict[str, Any]]:
        """JSON:API pages: follow links.next.href until absent."""
        entries: list[dict[str, Any]] = []
        next_url: str | None = url
        for _ in range(MAX_PAGES):
            if not next_url:
                break
            body = self._call("GET", next_url, account=account, params=params)
            entries.extend(expect_list(body, label=self.label, key="data"))
            next_url = ((body.get("links") or {}).get("next") or {}).get("href")
            params = None  # the next link carries the page parameters
        return entries

    # -- errors -----------------------------------------------------------------------------------------------------

    def classify(self, response: requests.Response, attempt: Attempt) -> ProviderError:
        if response.status_code == 403:
            detail = f"{attempt.method} {attempt.url.split('?')[0]} -> 403: {error_text(response)}"
            return AccessBlocked(
                "Your Autodesk account administrator has not added the connector app to this BIM 360 / Autodesk "
                "Construction Cloud account. Ask them to add it under Account Admin → Custom Integrations (they need "
                "the portal's client id from support), then try again.",
                detail=detail,
            )
        return super().classify(response, attempt)
