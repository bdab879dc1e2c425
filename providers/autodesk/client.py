"""Autodesk's client: APS OAuth v2, who-am-I, Data Management hubs and projects, JSON:API paging, and refusals.

The token endpoint takes the client by HTTP Basic and refuses it also in the body. Who-am-I is the OIDC userinfo
endpoint, which lives on its own host in production (api.userprofile.autodesk.com) and needs the `user-profile:read`
scope besides the data/account scopes. Hub and project ids keep Autodesk's `b.` prefix; `api_id()` strips it for the
RFI and Submittal APIs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import requests

from providers.answers import expect_list, object_or_empty, require
from providers.base import Endpoints, Provider
from providers.errors import AccessBlocked, NotFound, ProviderError, ToolUnavailable, UnexpectedAnswer
from providers.http import Attempt, error_text
from providers.types import Company, ItemKind, ProjectFacts, ProviderProject, ProviderUser

if TYPE_CHECKING:
    from providers.models import ProviderAccount

MAX_PAGES = 1000
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


# The project tools whose APIs the portal calls, by the paths of their APIs (ACC v3 / BIM 360 v2 RFIs, ACC submittals).
_TOOL_PATHS = (("RFIs", ("/construction/rfis/", "/bim360/rfis/")), ("Submittals", ("/construction/submittals/",)))
# What Autodesk's refusal says when the hub's account has not added (or has removed) the app under Custom Integrations.
_HUB_REFUSAL = ("custom integrations",)


def project_tool(url: str) -> str:
    """The project tool ("RFIs", "Submittals") a call belongs to, or "" for any other call."""
    path = url.split("?")[0]
    return next((tool for tool, parts in _TOOL_PATHS if any(part in path for part in parts)), "")


def _dm_id(some_id: str) -> str:
    """The Data Management id (with `b.`) of a hub or project id given with or without it."""
    return some_id if some_id.startswith("b.") else f"b.{some_id}"


def _facts(entry: dict[str, Any], region: str) -> ProjectFacts:
    """A Data Management project's facts: `attributes.extension.data.projectType` (ACC, BIM360) and
    `relationships.rfis.data.id` (its RFIs container), with its hub's `region`."""
    extension = object_or_empty(object_or_empty(entry.get("attributes")).get("extension"))
    rfis = object_or_empty(object_or_empty(entry.get("relationships")).get("rfis"))
    return ProjectFacts(
        project_type=str(object_or_empty(extension.get("data")).get("projectType") or ""),
        rfi_container_id=str(object_or_empty(rfis.get("data")).get("id") or ""),
        region=region,
    )


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


class Reviewers:
    """Every receiving user of one sync (a link can have several), read with the one account that lists the items."""

    def __init__(
        self, client: AutodeskClient, account: ProviderAccount, pid: str, user_ids: Sequence[str], region: str = "US"
    ) -> None:
        self.account, self.region = account, region
        self.each = [Reviewer(client, account, pid, user_id, region=region) for user_id in user_ids]
        # The project's submittal responses by id (AutodeskItems reads them once, when a review task first needs one).
        self.response_names: dict[str, str] | None = None

    def holding(self, users: Any, roles: Any = (), companies: Any = ()) -> tuple[str, ...]:
        """The receiving users who hold an item (see Reviewer.holds), in the order they were given."""
        return tuple(r.user_id for r in self.each if r.holds(users, roles, companies))

    def owner(self, task: dict[str, Any]) -> str:
        """The first receiving user whose review task this is ('' when none)."""
        return next((r.user_id for r in self.each if r.owns(task)), "")


class AutodeskClient(Provider):
    """What every part of the Autodesk module builds on; `providers.autodesk.Autodesk` adds items and responses."""

    key = "autodesk"
    label = "Autodesk"
    needs_company_choice = True
    company_word = "hub"
    supports_pkce = True
    choose_account_params = {"prompt": "login"}  # authentication.yaml: always prompt, whatever the session
    scopes = ("data:read", "data:write", "data:create", "account:read", "user-profile:read")
    production = PRODUCTION
    provider_sandbox = PRODUCTION  # Autodesk has no separate sandbox host; apps are separate registrations
    refresh_token_idle_lifetime = dt.timedelta(days=15)  # PROVIDERS.md: refresh tokens expire after 15 days unused
    # PROVIDERS.md: the RFI and Submittal APIs' limits are per application across all customers.
    app_requests_per_minute: ClassVar[Mapping[ItemKind, int]] = {"rfi": 100, "submittal": 600}

    @classmethod
    def project_label(cls, facts: ProjectFacts) -> str:
        # One Autodesk name per project, from its type: a firm knows its project as ACC or BIM 360, not "Autodesk".
        if facts.project_type == "ACC":
            return "Autodesk Construction Cloud"
        return "BIM 360" if facts.bim360 else cls.label  # not read yet: the company's name until the next sync

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
        """The hub's projects with their facts (ProjectFacts): the region is the hub's, read once when it has any."""
        entries = self._all_pages(
            account,
            f"{self.endpoints.api}/project/v1/hubs/{company_id}/projects",
            {"page[number]": 0, "page[limit]": 200},
        )
        region = self._hub_region(account, company_id) if entries else ""
        projects = []
        for entry in entries:
            attributes = entry.get("attributes") or {}
            facts = _facts(entry, region)
            projects.append(
                ProviderProject(
                    id=str(require(entry, "id", label=self.label)),
                    name=str(attributes.get("name") or ""),
                    company_id=company_id,
                    # There is no public submittals API for BIM 360 projects, only for ACC ones.
                    supports_submittals=not facts.bim360,
                    facts=facts,
                )
            )
        return projects

    def project_facts(self, account: ProviderAccount, hub_id: str, project_id: str) -> ProjectFacts:
        """The project's facts read from Data Management: the project (`GET /project/v1/hubs/{hubId}/projects/
        {projectId}`) and its hub's region (`GET /project/v1/hubs/{hubId}`)."""
        hub = _dm_id(hub_id)
        url = f"{self.endpoints.api}/project/v1/hubs/{hub}/projects/{_dm_id(project_id)}"
        entry = object_or_empty(object_or_empty(self._call("GET", url, account=account)).get("data"))
        return _facts(entry, self._hub_region(account, hub))

    def known_facts(self, account: ProviderAccount, hub_id: str, project_id: str, facts: ProjectFacts) -> ProjectFacts:
        """`facts` when they were read before (kept on the link), else read now and told to `on_project_facts`."""
        if facts.known:
            return facts
        read = self.project_facts(account, hub_id, project_id)
        if self.on_project_facts is not None:
            self.on_project_facts(read)
        return read

    def rfi_container(self, account: ProviderAccount, hub_id: str, project_id: str, facts: ProjectFacts) -> str:
        """The BIM 360 project's RFIs container id (Data Management's `relationships.rfis.data.id`). Read again when
        the project had none when its facts were read (its RFIs tool may have been activated since)."""
        if not facts.rfi_container_id:
            read = self.project_facts(account, hub_id, project_id)
            if read.rfi_container_id and self.on_project_facts is not None:
                self.on_project_facts(read)
            facts = read
        if not facts.rfi_container_id:
            raise UnexpectedAnswer(
                "Autodesk did not say where this BIM 360 project keeps its RFIs, so they cannot be synced. Check "
                "that the RFIs tool is activated on the project in BIM 360, then sync again.",
                detail=f"project {project_id} without relationships.rfis.data.id",
            )
        return facts.rfi_container_id

    def _hub_region(self, account: ProviderAccount, hub_id: str) -> str:
        """The hub's region (`attributes.region` of `GET /project/v1/hubs/{hubId}`); US when Autodesk gives none."""
        body = self._call("GET", f"{self.endpoints.api}/project/v1/hubs/{_dm_id(hub_id)}", account=account)
        attributes = object_or_empty(object_or_empty(object_or_empty(body).get("data")).get("attributes"))
        return str(attributes.get("region") or "US")

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
        if response.status_code != 403:
            return super().classify(response, attempt)
        detail = f"{attempt.method} {attempt.url.split('?')[0]} -> 403: {error_text(response)}"
        text = response.text.lower()
        tool = project_tool(attempt.url)
        if tool and not any(marker in text for marker in _HUB_REFUSAL):
            # Not every Autodesk 403 is the hub's: a project's RFIs or Submittals refused mean the receiving user is
            # not on the project or has no permission in that tool (or it is not activated there).
            if "not a member" in text:
                return ToolUnavailable(
                    f"Autodesk refused this project's {tool}: the receiving user is not a member of the project. Ask "
                    "a project administrator to add them to the project's members in Autodesk (Project Admin → "
                    f"Members) with access to the {tool} tool, or choose another receiving user; syncing then "
                    "resumes.",
                    detail=detail,
                )
            return ToolUnavailable(
                f"Autodesk refused this project's {tool}: the receiving user has no permission in the project's "
                f"{tool} tool, or the tool is not activated on the project. Ask a project administrator to activate "
                f"the {tool} tool and give the user a permission level in it (Project Admin → {tool}); syncing then "
                "resumes.",
                detail=detail,
            )
        return AccessBlocked(
            "Your Autodesk account administrator has not added the connector app to this BIM 360 / Autodesk "
            "Construction Cloud account. Ask them to add it under Account Admin → Custom Integrations (they need "
            f"the portal's client id {self.app.client_id}), then try again.",
            detail=detail,
        )
