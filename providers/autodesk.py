"""Autodesk BIM 360 / Autodesk Construction Cloud: APS OAuth v2, Data Management hubs and projects.

Facts from PROVIDERS.md and ../shared/reference/autodesk/*.yaml. The token endpoint takes the client by HTTP Basic and
refuses it also in the body. Who-am-I is the OIDC userinfo endpoint, which lives on its own host in production
(api.userprofile.autodesk.com) and needs the `user-profile:read` scope besides the data/account scopes.
Hub and project ids keep Autodesk's `b.` prefix; `api_id()` strips it for the RFI and Submittal APIs.

Posting is safe to retry after a lost answer: an RFI answer is skipped when the RFI already holds a response by the
receiving user with the same text (read from the RFI's `responses` when its JSON has them, else from
`GET .../rfis/{rfiId}/responses`, which ACC's published v3 list does not name: a 404 there means "none known"); a
review task already completed with the same response counts as done rather than being closed again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import requests

from mappings.constants import AUTODESK_CATEGORY_STANDARDS
from providers.base import (
    FAR_FUTURE,
    Endpoints,
    Provider,
    counted,
    expect_list,
    holds_answer,
    link_revisions,
    parse_date,
    parse_time,
    require,
    same_text,
    total_of,
    utc_text,
)
from providers.errors import AccessBlocked, NotFound, ProviderError, UnexpectedAnswer
from providers.http import Attempt, error_text
from providers.types import Company, ItemKind, ItemPage, ProviderItem, ProviderProject, ProviderUser, ResponseOption

if TYPE_CHECKING:
    from providers.models import ProviderAccount

MAX_PAGES = 1000
RFI_LIMIT = 200  # the largest page of the RFI APIs (v3 search and BIM 360 v2)
SUBMITTAL_LIMIT = 50  # the largest page of ACC submittal items
CLOSED_RFI = frozenset({"closed", "void"})
# "answered" is an open RFI with an official response, waiting for its manager to close it. Shown as "Open" (like a
# Procore RFI with an official reply): otherwise the portal's own answer would come back as a status change.
RFI_STATUS_WORDS = {"answered": "Open"}
# ACC submittal item statusId -> words (the sandbox and ACC's defaults; unknown ids are shown as they come).
SUBMITTAL_STATUSES = {"1": "Draft", "2": "Open", "3": "Closed", "4": "Void"}
CLOSED_SUBMITTAL = frozenset({"3", "4"})
# Projects found to be BIM 360 (the ACC RFI and submittal APIs answer 404 for them), so later syncs go straight to
# BIM 360's RFI API and skip submittals. Per process: a restart costs one extra request per BIM 360 project.
_BIM360_PROJECTS: set[str] = set()
# Fields of an RFI response that name its author and hold its text, first found first.
AUTHORS = ("createdBy", "createdById")
TEXTS = ("content", "text", "body")
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


def item_url(kind: ItemKind, project_id: str, item_id: str, *, bim360: bool = False) -> str:
    """The item's page in Autodesk Construction Cloud (or BIM 360 for its RFIs)."""
    if bim360:
        return f"https://docs.b360.autodesk.com/projects/{project_id}/rfis?preview={item_id}"
    if kind == "submittal":
        return f"https://acc.autodesk.com/build/submittals/projects/{project_id}/items/{item_id}"
    return f"https://acc.autodesk.com/build/rfis/projects/{project_id}?preview={item_id}"


def _closed_with(task: dict[str, Any], option_id: str, comment: str) -> bool:
    """Whether a review task is already completed with this response (and this comment, when the task shows one)."""
    if task.get("status") != "completed" or str(task.get("responseId")) != option_id:
        return False
    return "responseComment" not in task or same_text(task.get("responseComment") or "", comment)


class Autodesk(Provider):
    key = "autodesk"
    label = "Autodesk"
    needs_company_choice = True
    company_word = "hub"
    supports_pkce = True
    scopes = ("data:read", "data:write", "data:create", "account:read", "user-profile:read")
    production = PRODUCTION
    provider_sandbox = PRODUCTION  # Autodesk has no separate sandbox host; apps are separate registrations

    @property
    def token_url(self) -> str:
        return f"{self.endpoints.auth}/authentication/v2/token"

    @property
    def _client(self) -> tuple[str, str]:
        return (self.app.client_id, self.app.client_secret)

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

    # -- sync -------------------------------------------------------------------------------------------------------

    def list_items_changed_since(
        self,
        *,
        account: ProviderAccount,
        company_id: str,
        project_id: str,
        kind: ItemKind,
        since: dt.datetime | None,
        receiving_user_id: str,
    ) -> Iterator[ItemPage[ProviderItem]]:
        pid = api_id(project_id)
        updated = f"{utc_text(since)}..{utc_text(FAR_FUTURE)}" if since is not None else None
        if kind == "submittal":
            pages = self._submittal_pages(account, pid, updated)
        elif pid in _BIM360_PROJECTS:
            pages = self._bim360_rfi_pages(account, pid, updated)
        else:
            pages = self._rfi_pages(account, pid, updated)
        for page in counted(pages):
            yield page.carrying(link_revisions([self._item(kind, entry, pid, receiving_user_id) for entry in page]))

    def _offset_pages(self, fetch: Any, limit: int) -> Iterator[ItemPage[dict[str, Any]]]:
        """Offset paging until `totalResults` is reached (or a short page, when the total is missing)."""
        offset = 0
        for _ in range(MAX_PAGES):
            body = fetch(offset)
            if not isinstance(body, dict):
                raise UnexpectedAnswer.for_provider(self.label, detail="a page that is not an object")
            results = expect_list(body, label=self.label, key="data" if "results" not in body else "results")
            pagination = body.get("pagination") if isinstance(body.get("pagination"), dict) else {}
            total = total_of(pagination.get("totalResults", body.get("totalResults")))
            yield ItemPage(results, total=total)
            offset += len(results)
            if not results or (offset >= total if isinstance(total, int) else len(results) < limit):
                return

    def _rfi_pages(self, account: ProviderAccount, pid: str, updated: str | None) -> Iterator[ItemPage[dict[str, Any]]]:
        url = f"{self.endpoints.api}/construction/rfis/v3/projects/{pid}/search:rfis"

        def fetch(offset: int) -> Any:
            body: dict[str, Any] = {"limit": RFI_LIMIT, "offset": offset}
            if updated:
                body["filter"] = {"updatedAt": updated}
            return self._call("POST", url, account=account, json=body)

        try:
            first = fetch(0)
        except NotFound:
            _BIM360_PROJECTS.add(pid)  # ACC's RFI API does not know BIM 360 projects
            yield from self._bim360_rfi_pages(account, pid, updated)
            return
        yield from self._offset_pages(lambda offset: first if offset == 0 else fetch(offset), RFI_LIMIT)

    def _bim360_rfi_pages(
        self, account: ProviderAccount, pid: str, updated: str | None
    ) -> Iterator[ItemPage[dict[str, Any]]]:
        # The sandbox (and this client) take the project id as the RFI container id.
        url = f"{self.endpoints.api}/bim360/rfis/v2/containers/{pid}/rfis"
        params: dict[str, Any] = {"limit": RFI_LIMIT}
        if updated:
            params["filter[updatedAt]"] = updated
        yield from self._offset_pages(
            lambda offset: self._call("GET", url, account=account, params={**params, "offset": offset}), RFI_LIMIT
        )

    def _submittal_pages(
        self, account: ProviderAccount, pid: str, updated: str | None
    ) -> Iterator[ItemPage[dict[str, Any]]]:
        if pid in _BIM360_PROJECTS:
            return  # BIM 360 has no public submittals API
        url = f"{self.endpoints.api}/construction/submittals/v2/projects/{pid}/items"
        params: dict[str, Any] = {"limit": SUBMITTAL_LIMIT}
        if updated:
            params["filter[updatedAt]"] = updated
        try:
            first = self._call("GET", url, account=account, params={**params, "offset": 0})
        except NotFound:
            _BIM360_PROJECTS.add(pid)
            return
        yield from self._offset_pages(
            lambda offset: (
                first if offset == 0 else self._call("GET", url, account=account, params={**params, "offset": offset})
            ),
            SUBMITTAL_LIMIT,
        )

    def _item(self, kind: ItemKind, entry: dict[str, Any], pid: str, user_id: str) -> ProviderItem:
        attributes = entry.get("attributes") if isinstance(entry.get("attributes"), dict) else entry  # BIM 360 v2
        item_id = str(require(entry, "id", label=self.label))
        updated_at = parse_time(attributes.get("updatedAt"), label=self.label)
        if kind == "submittal":
            status_id = str(attributes.get("statusId") or "")
            ball = tuple(str(u) for u in attributes.get("ballInCourtUsers") or [])
            return ProviderItem(
                kind=kind,
                provider_id=item_id,
                number=str(attributes.get("customIdentifierHumanReadable") or attributes.get("customIdentifier") or ""),
                revision=str(attributes.get("revision") if attributes.get("revision") is not None else ""),
                title=str(attributes.get("title") or ""),
                status=SUBMITTAL_STATUSES.get(status_id, status_id),
                updated_at=updated_at,
                due_date=parse_date(attributes.get("dueDate")),
                ball_in_court=ball,
                url=item_url(kind, pid, item_id),
                # Reviewers live in the item's steps (a request per item): ball-in-court is what the list tells.
                for_receiving_user=user_id in ball,
                closed=status_id in CLOSED_SUBMITTAL,
                raw=entry,
            )
        status = str(attributes.get("status") or "")
        assigned = {str(a.get("id")) for a in attributes.get("assignedTo") or [] if isinstance(a, dict)}
        ball = tuple(str(u) for u in attributes.get("ballInCourt") or [] if u)
        return ProviderItem(
            kind=kind,
            provider_id=item_id,
            number=str(attributes.get("customIdentifier") or ""),
            title=str(attributes.get("title") or ""),
            status=RFI_STATUS_WORDS.get(status.lower(), status.capitalize()),
            updated_at=updated_at,
            due_date=parse_date(attributes.get("dueDate")),
            ball_in_court=ball,
            url=item_url(kind, pid, item_id, bim360=pid in _BIM360_PROJECTS),
            for_receiving_user=user_id in assigned or user_id in ball,
            closed=status.lower() in CLOSED_RFI,
            raw=entry,
        )

    def list_response_options(
        self, *, account: ProviderAccount, company_id: str, project_id: str, kind: ItemKind
    ) -> list[ResponseOption]:
        if kind != "submittal" or api_id(project_id) in _BIM360_PROJECTS:
            return []
        url = f"{self.endpoints.api}/construction/submittals/v2/projects/{api_id(project_id)}/responses"
        body = self._call("GET", url, account=account)
        entries = expect_list(body, label=self.label, key="results") if isinstance(body, dict) else body
        return [
            ResponseOption(
                id=str(e["id"]),
                name=str(e.get("value") or ""),
                standard=AUTODESK_CATEGORY_STANDARDS.get(int(e.get("categoryId") or 0), str(e.get("value")).lower()),
            )
            for e in expect_list(entries, label=self.label)
            if e.get("id") is not None
        ]

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
    ) -> None:
        pid = api_id(project_id)
        if kind == "rfi":
            if pid in _BIM360_PROJECTS:
                raise UnexpectedAnswer(
                    "The portal cannot answer BIM 360 RFIs yet (only Autodesk Construction Cloud ones). "
                    "Answer this RFI in BIM 360.",
                    detail="BIM 360 RFI response",
                )
            rfi = f"{self.endpoints.api}/construction/rfis/v3/projects/{pid}/rfis/{item_id}"
            answers = self._rfi_responses(account, rfi)
            if holds_answer(answers, user_id=receiving_user_id, body=comment, authors=AUTHORS, texts=TEXTS):
                return  # an earlier attempt's response reached Autodesk although its answer was lost: never twice
            self._call("POST", f"{rfi}/responses", account=account, json={"content": comment}, classify=self._refusal)
            return
        base = f"{self.endpoints.api}/construction/submittals/v2/projects/{pid}/items/{item_id}"
        step_id, task = self._my_task(account, base, receiving_user_id, option_id, comment)
        if _closed_with(task, option_id, comment):
            return  # an earlier attempt closed it with this response and its answer was lost: that is success
        body: dict[str, Any] = {"responseId": option_id}
        if comment:
            body["responseComment"] = comment
        self._call(
            "POST",
            f"{base}/steps/{step_id}/tasks/{task.get('id')}:close",
            account=account,
            json=body,
            classify=self._refusal,
        )

    def _rfi_responses(self, account: ProviderAccount, rfi_url: str) -> list[Any]:
        """The responses an RFI already has: the RFI's own `responses` when its JSON lists them, else its responses
        listing (GET .../responses; unconfirmed upstream, so a 404 there means "none known")."""
        rfi = self._call("GET", rfi_url, account=account)
        if isinstance(rfi, dict) and isinstance(rfi.get("responses"), list):
            return rfi["responses"]
        try:
            listing = self._call("GET", f"{rfi_url}/responses", account=account)
        except NotFound:
            return []
        found = listing.get("results") if isinstance(listing, dict) else listing
        return found if isinstance(found, list) else []

    def _my_task(
        self, account: ProviderAccount, base: str, user_id: str, option_id: str, comment: str
    ) -> tuple[str, dict[str, Any]]:
        """(step id, task) of the receiving user's review task: the open one when there are several, else the one
        already closed with this response (by an earlier attempt whose answer was lost), else the first."""
        steps = expect_list(self._call("GET", f"{base}/steps", account=account), label=self.label, key="results")
        mine: list[tuple[str, dict[str, Any]]] = []
        for step in steps:
            tasks = step.get("tasks")
            if tasks is None:
                body = self._call("GET", f"{base}/steps/{step.get('id')}/tasks", account=account)
                tasks = expect_list(body, label=self.label, key="results")
            mine += [(str(step.get("id")), t) for t in tasks if isinstance(t, dict) and t.get("assignedTo") == user_id]
        if not mine:
            raise NotFound(
                "You have no review task on this submittal in Autodesk, so your response cannot be recorded there. "
                "Check the submittal's review steps in Autodesk Construction Cloud.",
                detail=f"no task for user {user_id}",
            )
        open_tasks = [(s, t) for s, t in mine if t.get("status") != "completed"]
        closed_with = [(s, t) for s, t in mine if _closed_with(t, option_id, comment)]
        return (open_tasks or closed_with or mine)[0]

    def _refusal(self, response: requests.Response, attempt: Attempt) -> ProviderError:
        detail = f"{attempt.method} {attempt.url.split('?')[0]} -> {response.status_code}: {error_text(response)}"
        what = "RFI" if "/rfis/" in attempt.url else "submittal"
        if response.status_code == 422:
            return UnexpectedAnswer(
                f"Autodesk refused the response: the {what} is closed and no longer takes responses. If it was "
                "reopened, record the response again; otherwise there is nothing to do.",
                detail=detail,
            )
        if response.status_code == 400:
            return UnexpectedAnswer(
                f"Autodesk did not accept this response on the {what}. Check the project's response mapping in the "
                "portal, then retry.",
                detail=detail,
            )
        if response.status_code == 403 and "custom integrations" not in response.text.lower():
            return UnexpectedAnswer(
                f"Autodesk does not allow your account to respond on this {what} (only its reviewer or assignee "
                "can). Ask the project's administrator to check your role on it.",
                detail=detail,
            )
        return self.classify(response, attempt)

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
