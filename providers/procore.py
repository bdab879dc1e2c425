"""Procore: OAuth 2.0 at the login host, REST at the API host. Facts from PROVIDERS.md and the endpoint JSON files.

PKCE is not sent: Procore documents neither `code_challenge` nor `code_verifier`, and the portal sends only documented
parameters (tests check every request against ../shared/reference/procore/endpoints). Every call but /me and
/companies carries `Procore-Company-Id`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import requests

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
    total_of,
    utc_text,
)
from providers.errors import AccessBlocked, NotFound, ProviderError, UnexpectedAnswer
from providers.http import Attempt, error_text
from providers.types import Company, ItemKind, ItemPage, ProviderItem, ProviderProject, ProviderUser, ResponseOption

if TYPE_CHECKING:
    from providers.models import ProviderAccount

MAX_PAGES = 1000  # a guard against a provider that keeps answering rel="next"
# Procore's largest page (PROVIDERS.md: per_page max 300 on v1.1 lists). The RFI operation documents no maximum;
# asking for 300 is safe either way because every page's rel="next" link is followed.
PER_PAGE = 300
WEB = "https://app.procore.com"
WEBHOOK_RESOURCES = ("RFIs", "Submittals")
WEBHOOK_EVENTS = ("create", "update", "delete")
WEBHOOK_NAMESPACE = "newforma-connector"
# Fields of an RFI answer that name its author and hold its text, first found first.
AUTHORS = ("created_by_id", "created_by")
TEXTS = ("plain_text_body", "body")


def item_url(kind: ItemKind, project_id: str, item_id: str) -> str:
    """The item's page in Procore's web app."""
    tool = "submittals" if kind == "submittal" else "rfi"
    return f"{WEB}/{project_id}/project/{tool}/{'show/' if kind == 'rfi' else ''}{item_id}"


def _user_ids(*people: Any) -> set[str]:
    """The ids of users given as objects, lists of objects or None."""
    found: set[str] = set()
    for entry in people:
        for person in entry if isinstance(entry, list) else [entry]:
            if isinstance(person, dict) and person.get("id") is not None:
                found.add(str(person["id"]))
    return found


def _names(people: Any) -> tuple[str, ...]:
    people = people if isinstance(people, list) else [people]
    return tuple(str(p.get("name") or p.get("id")) for p in people if isinstance(p, dict) and p.get("id") is not None)


def rfi_answers(rfi: Any) -> list[Any]:
    """The answers of every question of an RFI (Procore's Show RFI JSON: `questions[].answers[]`)."""
    questions = rfi.get("questions") if isinstance(rfi, dict) else None
    return [
        answer
        for question in (questions if isinstance(questions, list) else [])
        if isinstance(question, dict) and isinstance(question.get("answers"), list)
        for answer in question["answers"]
    ]


def company_headers(company_id: str) -> dict[str, str]:
    """Procore wants the company on every call but /me and /companies."""
    return {"Procore-Company-Id": company_id} if company_id else {}


class Procore(Provider):
    key = "procore"
    label = "Procore"
    needs_company_choice = True
    company_word = "company"
    supports_pkce = False
    supports_webhooks = True
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
            {"company_id": company_id, "page": 1, "per_page": 300},
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
        path = "/rest/v1.1/projects/{}/submittals" if kind == "submittal" else "/rest/v1.0/projects/{}/rfis"
        params: dict[str, Any] = {"page": 1, "per_page": PER_PAGE}
        if since is not None:
            params["filters[updated_at]"] = f"{utc_text(since)}...{utc_text(FAR_FUTURE)}"
        read = self._submittal if kind == "submittal" else self._rfi
        url = f"{self.endpoints.api}{path.format(project_id)}"
        for page in counted(self._pages(account, url, params, company_id=company_id)):
            yield page.carrying(link_revisions([read(entry, project_id, receiving_user_id) for entry in page]))

    def _submittal(self, entry: dict[str, Any], project_id: str, user_id: str) -> ProviderItem:
        status = entry.get("status") if isinstance(entry.get("status"), dict) else {}
        words = str(status.get("name") or status.get("status") or "")
        approvers = [a for a in entry.get("approvers") or [] if isinstance(a, dict)]
        people = _user_ids(entry.get("ball_in_court"), [a.get("user") for a in approvers])
        item_id = str(require(entry, "id", label=self.label))
        return ProviderItem(
            kind="submittal",
            provider_id=item_id,
            number=str(entry.get("number") or ""),
            revision=str(entry.get("revision") if entry.get("revision") is not None else ""),
            title=str(entry.get("title") or ""),
            status=words,
            updated_at=parse_time(entry.get("updated_at"), label=self.label),
            due_date=parse_date(entry.get("due_date")),
            ball_in_court=_names(entry.get("ball_in_court")),
            url=item_url("submittal", project_id, item_id),
            for_receiving_user=user_id in people,
            closed=str(status.get("status") or words).lower() == "closed",
            raw=entry,
        )

    def _rfi(self, entry: dict[str, Any], project_id: str, user_id: str) -> ProviderItem:
        ball = entry.get("ball_in_courts") or entry.get("ball_in_court")
        people = _user_ids(ball, entry.get("assignee"), entry.get("assignees"))
        item_id = str(require(entry, "id", label=self.label))
        status = str(entry.get("status") or "")
        return ProviderItem(
            kind="rfi",
            provider_id=item_id,
            number=str(entry.get("number") or ""),
            title=str(entry.get("subject") or ""),
            status=status.capitalize(),
            updated_at=parse_time(entry.get("updated_at"), label=self.label),
            due_date=parse_date(entry.get("due_date")),
            ball_in_court=_names(ball),
            url=item_url("rfi", project_id, item_id),
            for_receiving_user=user_id in people,
            closed=status.lower() == "closed",
            raw=entry,
        )

    def list_response_options(
        self, *, account: ProviderAccount, company_id: str, project_id: str, kind: ItemKind
    ) -> list[ResponseOption]:
        if kind != "submittal":
            return []
        url = f"{self.endpoints.api}/rest/v1.0/projects/{project_id}/submittal_responses"
        entries = self._all_pages(account, url, {"page": 1, "per_page": PER_PAGE}, company_id=company_id)
        # Companies rename responses; `considered` keeps the meaning. "Pending" is no answer a reviewer can give.
        return [
            ResponseOption(id=str(e["id"]), name=str(e.get("name") or ""), standard=str(e.get("considered")).lower())
            for e in entries
            if e.get("id") is not None and str(e.get("considered") or "").lower() not in ("", "pending")
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
        headers = company_headers(company_id)
        api = self.endpoints.api
        if kind == "rfi":
            rfi = self._call(
                "GET", f"{api}/rest/v1.0/projects/{project_id}/rfis/{item_id}", account=account, headers=headers
            )
            # The author is `created_by_id` in Procore's reply JSON (its `created_by` is a name), or an object's id.
            if holds_answer(rfi_answers(rfi), user_id=receiving_user_id, body=comment, authors=AUTHORS, texts=TEXTS):
                return  # an earlier attempt's reply reached Procore although its answer was lost: never post twice
            self._call(
                "POST",
                f"{api}/rest/v1.0/projects/{project_id}/rfis/{item_id}/replies",
                account=account,
                headers=headers,
                json={"reply": {"body": comment, "official": True}},
                classify=self._refusal,
            )
            return
        submittal = self._call(
            "GET", f"{api}/rest/v1.1/projects/{project_id}/submittals/{item_id}", account=account, headers=headers
        )
        approver_id = self._approver_id(submittal, receiving_user_id, option_id)
        body: dict[str, Any] = {"submittal_response_id": int(option_id) if option_id.isdigit() else option_id}
        if comment:
            body["comment"] = comment
        self._call(
            "PATCH",
            f"{api}/rest/v1.0/submittal_approvers/{approver_id}",
            account=account,
            headers=headers,
            params={"project_id": project_id, "submittal_id": item_id},
            json={"submittal_approver": body},
            classify=self._refusal,
        )

    def _approver_id(self, submittal: Any, user_id: str, option_id: str) -> str:
        """The receiving user's approver step: the one still waiting for an answer when they have several, else the
        one already holding this response (a retry whose first PATCH landed sends the same PATCH to the same step,
        which Procore takes as a no-op), else the first."""
        mine = [
            a
            for a in (submittal.get("approvers") or [] if isinstance(submittal, dict) else [])
            if isinstance(a, dict) and str((a.get("user") or {}).get("id")) == user_id and a.get("id") is not None
        ]
        if not mine:
            raise NotFound(
                "You are no longer an approver of this submittal in Procore, so your response cannot be recorded "
                "there. Check the submittal's workflow in Procore.",
                detail=f"no approver for user {user_id}",
            )
        waiting = [a for a in mine if not a.get("returned_date")]
        holding = [a for a in mine if str((a.get("response") or {}).get("id")) == option_id]
        return str((waiting or holding or mine)[0]["id"])

    def _refusal(self, response: requests.Response, attempt: Attempt) -> ProviderError:
        """Why Procore refused a response or reply, in words; access problems keep their usual meaning."""
        detail = f"{attempt.method} {attempt.url.split('?')[0]} -> {response.status_code}: {error_text(response)}"
        what = "submittal" if "submittal" in attempt.url else "RFI"
        if response.status_code == 422:
            return UnexpectedAnswer(
                f"Procore refused the response: the {what} is closed (or replaced by a newer revision) and no longer "
                f"takes responses. If it was reopened, record the response again; otherwise there is nothing to do.",
                detail=detail,
            )
        if response.status_code == 400:
            return UnexpectedAnswer(
                f"Procore did not accept this response for your approver step on the {what}. Check the project's "
                "response mapping in the portal (the response may not be allowed for you), then retry.",
                detail=detail,
            )
        if response.status_code == 403 and "not connected" not in response.text.lower():
            return UnexpectedAnswer(
                f"Procore does not allow your account to respond on this {what} (only the approver or assignee "
                "can). Ask the project's Procore administrator to check your role on it.",
                detail=detail,
            )
        return self.classify(response, attempt)

    # -- webhooks ---------------------------------------------------------------------------------------------------

    def register_webhooks(
        self, *, account: ProviderAccount, company_id: str, project_id: str, destination_url: str, authorization: str
    ) -> str:
        """Create a project hook that POSTs to `destination_url` with `authorization` as its Authorization header,
        with create/update/delete triggers for RFIs and Submittals. Answers the hook id (keep it to unregister).
        All or nothing: when a trigger fails, the new hook is deleted again (best effort) before the error is raised.

        Safe to rerun: hooks of the portal's namespace already sending to `destination_url` (one whose creation answer
        was lost, so its id was never kept) are deleted first, so the project ends with exactly one such hook."""
        api, headers = self.endpoints.api, company_headers(company_id)
        for stale in self._our_hooks(account, company_id, project_id, destination_url):
            # Deleted rather than reused: Procore shows only the last 5 characters of a hook's Authorization header,
            # and the caller has just issued a new secret, so an old hook's deliveries would be refused.
            self.unregister_webhooks(account=account, company_id=company_id, project_id=project_id, hook_id=stale)
        hook = self._call(
            "POST",
            f"{api}/rest/v1.0/webhooks/hooks",
            account=account,
            headers=headers,
            json={
                "project_id": int(project_id),
                "hook": {
                    "api_version": "v2",
                    "namespace": WEBHOOK_NAMESPACE,
                    "destination_url": destination_url,
                    "destination_headers": {"Authorization": authorization},
                },
            },
        )
        hook_id = str(require(hook if isinstance(hook, dict) else {}, "id", label=self.label))
        try:
            for resource in WEBHOOK_RESOURCES:
                for event in WEBHOOK_EVENTS:
                    self._call(
                        "POST",
                        f"{api}/rest/v1.0/webhooks/hooks/{hook_id}/triggers",
                        account=account,
                        headers=headers,
                        json={
                            "project_id": int(project_id),
                            "api_version": "v2",
                            "trigger": {"resource_name": resource, "event_type": event},
                        },
                    )
        except ProviderError:
            # The caller keeps no hook id unless every trigger is in, so a hook left here would be orphaned at Procore
            # and a rerun would add a second one: remove it (best effort) before reporting the failure.
            with contextlib.suppress(ProviderError):
                self.unregister_webhooks(account=account, company_id=company_id, project_id=project_id, hook_id=hook_id)
            raise
        return hook_id

    def _our_hooks(self, account: ProviderAccount, company_id: str, project_id: str, destination_url: str) -> list[str]:
        """Ids of the project's hooks in the portal's namespace that send to `destination_url`."""
        hooks = self._call(
            "GET",
            f"{self.endpoints.api}/rest/v1.0/webhooks/hooks",
            account=account,
            headers=company_headers(company_id),
            params={"company_id": company_id, "project_id": project_id, "namespace": WEBHOOK_NAMESPACE},
        )
        return [
            str(hook["id"])
            for hook in expect_list(hooks, label=self.label)
            if hook.get("id") is not None
            and hook.get("namespace", WEBHOOK_NAMESPACE) == WEBHOOK_NAMESPACE
            and hook.get("destination_url") == destination_url
        ]

    def unregister_webhooks(self, *, account: ProviderAccount, company_id: str, project_id: str, hook_id: str) -> None:
        """Delete the hook (and its triggers). A hook already gone is not an error."""
        try:  # raw: Procore may answer 204 without a body
            self._call_raw(
                "DELETE",
                f"{self.endpoints.api}/rest/v1.0/webhooks/hooks/{hook_id}",
                account=account,
                headers=company_headers(company_id),
                params={"company_id": company_id, "project_id": project_id},
            )
        except NotFound:
            return

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
        from providers.http import parse_json
        from providers.services import account_note_error

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
