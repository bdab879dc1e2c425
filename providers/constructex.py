"""ConstructEx: no public API is documented; this module holds the contract PROVIDERS.md assumes, and nothing else
in the portal depends on it, so it can be replaced when a published API exists.

Assumed beyond PROVIDERS.md: who-am-I is `GET {api}/api/v1/me` → `{id, name, email}` and revocation is
`POST {auth}/oauth/revoke` (RFC 7009); the client authenticates with client_id/client_secret in the token form.
Item lists take `limit` (at most 200) besides `updated_since` and `cursor`, and list an item deleted upstream with
`deleted: true` (a tombstone) when it changed since `updated_since`. There is no endpoint for review responses: the
five of PROVIDERS.md are fixed, and a review posts the response's name.

No read of a single RFI or of its answers is documented either. Assumed (the sandbox does this): each RFI of the
project listing carries `answers[{id, body, official, author{id, name}, created_at}]`. Before answering an RFI the
portal lists the project's RFIs changed in the last ANSWER_LOOKBACK (posting an answer changes the RFI, so one posted
by an earlier attempt is in that window) and skips the POST when the RFI holds an answer by the receiving user with
the same body: a retry whose first POST reached ConstructEx but lost its answer does not post twice.

Files going out with a response (assumed, and emulated by the sandbox): `POST {api}/api/v1/projects/{id}/uploads`
`{filename, content_type, size, sha256}` → `{id, upload_url}`; `PUT upload_url` with the raw bytes (bearer token,
idempotent: sent again after a lost answer) → `{id, state: "stored"}`; the review or answer then carries
`attachment_ids: [id]`, and each review or answer in the listings carries `attachments[{id, filename, ...}]`. A retried
review is looked up the same way as an RFI's answer: when the reviewer's review already holds this response with every
file, nothing is posted again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import requests
from django.utils import timezone

from providers.answers import (
    counted,
    expect_list,
    holds_answer,
    link_revisions,
    parse_date,
    parse_time,
    person_ids,
    require,
    total_of,
    utc_text,
)
from providers.base import Provider
from providers.errors import AccessBlocked, ProviderError, UnexpectedAnswer
from providers.http import Attempt, error_text
from providers.types import (
    NO_FACTS,
    ItemKind,
    ItemPage,
    ProjectFacts,
    ProviderItem,
    ProviderProject,
    ProviderUser,
    ResponseOption,
)
from providers.uploads import STARTED, UPLOADED, OutgoingFile, raw_body

if TYPE_CHECKING:
    from providers.models import ProviderAccount

MAX_PAGES = 1000
PAGE_LIMIT = 200  # the largest page ConstructEx serves
REVIEW_RESPONSES = ("Approved", "Approved as Noted", "Revise and Resubmit", "Rejected", "For Record Only")
WEB = "https://app.constructex.com"
# How far back an RFI's own earlier answer is looked for before answering it (the push engine's retries come within
# hours; support may retry a failed answer days later).
ANSWER_LOOKBACK = dt.timedelta(days=30)
AUTHORS = ("author", "created_by_id", "created_by")  # fields naming an answer's author, first found first


def item_url(kind: ItemKind, project_id: str, item_id: str) -> str:
    """The item's page in ConstructEx's web app."""
    return f"{WEB}/projects/{project_id}/{'submittals' if kind == 'submittal' else 'rfis'}/{item_id}"


class ConstructEx(Provider):
    key = "constructex"
    label = "ConstructEx"
    needs_company_choice = False
    supports_pkce = True
    supports_response_files = True
    # No public hosts are known: production and provider-sandbox apps must use custom base URLs.
    production = None
    provider_sandbox = None
    # The assumed contract does not say how long a refresh token lives unused; its emulation allows 30 days.
    refresh_token_idle_lifetime = dt.timedelta(days=30)

    def authorization_url(self, *, redirect_uri: str, state: str, code_challenge: str = "") -> str:
        return self._authorize_url(
            "/oauth/authorize", redirect_uri=redirect_uri, state=state, code_challenge=code_challenge
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
        facts: ProjectFacts = NO_FACTS,
    ) -> Iterator[ItemPage[ProviderItem]]:
        for page in counted(self._item_pages(account, project_id, kind, since)):
            yield page.carrying(link_revisions([self._item(kind, e, project_id, receiving_user_id) for e in page]))

    def _item_pages(
        self, account: ProviderAccount, project_id: str, kind: ItemKind, since: dt.datetime | None
    ) -> Iterator[ItemPage[dict[str, Any]]]:
        url = f"{self.endpoints.api}/api/v1/projects/{project_id}/{'submittals' if kind == 'submittal' else 'rfis'}"
        params: dict[str, Any] = {"limit": PAGE_LIMIT}
        if since is not None:
            params["updated_since"] = utc_text(since)
        cursor = ""
        for _ in range(MAX_PAGES):
            body = self._call("GET", url, account=account, params={**params, **({"cursor": cursor} if cursor else {})})
            entries = expect_list(body, label=self.label, key="results")
            # No total is documented; one given as `total` (or `total_count`) is passed on for the progress bar.
            yield ItemPage(entries, total=total_of(body.get("total", body.get("total_count"))))
            cursor = str(body.get("next_cursor") or "")
            if not cursor:
                return

    def _item(self, kind: ItemKind, entry: dict[str, Any], project_id: str, user_id: str) -> ProviderItem:
        item_id = str(require(entry, "id", label=self.label))
        ball = [p for p in entry.get("ball_in_court") or [] if isinstance(p, dict)]
        if kind == "submittal":
            people = person_ids(ball, [r.get("reviewer") for r in entry.get("reviews") or [] if isinstance(r, dict)])
        else:
            people = person_ids(ball, entry.get("assignee"))
        status = str(entry.get("status") or "")
        revision = entry.get("revision")
        return ProviderItem(
            kind=kind,
            provider_id=item_id,
            number=str(entry.get("number") or ""),
            revision=str(revision) if kind == "submittal" and revision is not None else "",
            title=str(entry.get("title") or entry.get("subject") or ""),
            status=status.capitalize(),
            updated_at=parse_time(entry.get("updated_at"), label=self.label),
            due_date=parse_date(entry.get("due_date")),
            ball_in_court=tuple(str(p.get("name") or p["id"]) for p in ball if p.get("id") is not None),
            url=item_url(kind, project_id, item_id),
            for_receiving_user=user_id in people,
            closed=status.lower() == "closed",
            deleted=bool(entry.get("deleted")),
            raw=entry,
        )

    def list_response_options(
        self,
        *,
        account: ProviderAccount,
        company_id: str,
        project_id: str,
        kind: ItemKind,
        facts: ProjectFacts = NO_FACTS,
    ) -> list[ResponseOption]:
        if kind != "submittal":
            return []
        return [ResponseOption(id=name, name=name, standard=name.lower()) for name in REVIEW_RESPONSES]

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
    ) -> None:
        api = self.endpoints.api
        body: dict[str, Any]
        if kind == "rfi":
            if self._answered(account, project_id, item_id, receiving_user_id, comment):
                return  # an earlier attempt's answer reached ConstructEx although its reply was lost: never post twice
            url, body = f"{api}/api/v1/rfis/{item_id}/answers", {"body": comment}
        else:
            url, body = f"{api}/api/v1/submittals/{item_id}/reviews", {"response": option_id, "comment": comment}
            if files:
                files = self._review_files_missing(account, project_id, item_id, receiving_user_id, option_id, files)
                if not files:
                    return  # an earlier attempt's review landed with every file although its answer was lost
        if files:
            body["attachment_ids"] = [self._uploaded(account, project_id, file) for file in files]
        self._call("POST", url, account=account, json=body, classify=self._refusal)

    def _uploaded(self, account: ProviderAccount, project_id: str, file: OutgoingFile) -> str:
        """ConstructEx's id for the file, declaring and PUTting it unless an earlier attempt did (see the docstring)."""
        if file.reusable:
            return file.provider_file_id
        if not file.provider_file_id:
            created = self._call(
                "POST",
                f"{self.endpoints.api}/api/v1/projects/{project_id}/uploads",
                account=account,
                json={
                    "filename": file.filename,
                    "content_type": file.content_type,
                    "size": file.size,
                    "sha256": file.sha256,
                },
            )
            file.note(
                STARTED,
                provider_file_id=str(require(created, "id", label=self.label)),
                upload_url=str(require(created, "upload_url", label=self.label)),
            )
        self._call_raw(
            "PUT",
            str(file.provider_state["upload_url"]),
            account=account,
            headers={"Content-Type": file.content_type},
            content=raw_body(file),
        )
        file.note(UPLOADED)
        return file.provider_file_id

    def _review_files_missing(
        self,
        account: ProviderAccount,
        project_id: str,
        item_id: str,
        user_id: str,
        option_id: str,
        files: Sequence[OutgoingFile],
    ) -> list[OutgoingFile]:
        """The files still to send with the review: all of them unless the reviewer's review already holds this
        response (an earlier attempt's POST landed), then those not among its attachments."""
        since = timezone.now() - ANSWER_LOOKBACK
        for page in self._item_pages(account, project_id, "submittal", since):
            entry = next((e for e in page if str(e.get("id")) == item_id), None)
            if entry is None:
                continue
            for review in entry.get("reviews") or []:
                if str((review.get("reviewer") or {}).get("id")) == user_id and review.get("response") == option_id:
                    held = {str(a.get("filename")) for a in review.get("attachments") or [] if isinstance(a, dict)}
                    return [file for file in files if file.filename not in held]
            break
        return list(files)

    def _answered(self, account: ProviderAccount, project_id: str, item_id: str, user_id: str, body: str) -> bool:
        """Whether the RFI already holds an answer by `user_id` with this body (see the module docstring)."""
        since = timezone.now() - ANSWER_LOOKBACK
        for page in self._item_pages(account, project_id, "rfi", since):
            rfi = next((entry for entry in page if str(entry.get("id")) == item_id), None)
            if rfi is not None:
                answers = rfi.get("answers")
                return holds_answer(answers, user_id=user_id, body=body, authors=AUTHORS, texts=("body",)) is not None
        return False

    def _refusal(self, response: requests.Response, attempt: Attempt) -> ProviderError:
        detail = f"{attempt.method} {attempt.url.split('?')[0]} -> {response.status_code}: {error_text(response)}"
        what = "RFI" if "/rfis/" in attempt.url else "submittal"
        code = ""
        try:
            code = str(((response.json() or {}).get("error") or {}).get("code") or "")
        except (ValueError, AttributeError):
            code = ""
        if response.status_code == 409:
            return UnexpectedAnswer(
                f"ConstructEx refused the response: the {what} is closed and no longer takes responses. If it was "
                "reopened, record the response again; otherwise there is nothing to do.",
                detail=detail,
            )
        if response.status_code in (400, 422):
            return UnexpectedAnswer(
                f"ConstructEx did not accept this response on the {what}. Check the project's response mapping in "
                "the portal, then retry.",
                detail=detail,
            )
        if response.status_code == 403 and code == "not_reviewer":
            return UnexpectedAnswer(
                f"ConstructEx says you are not a reviewer of this {what}, so your response cannot be recorded there. "
                "Ask the project's ConstructEx administrator to add you as a reviewer.",
                detail=detail,
            )
        return self.classify(response, attempt)

    def classify(self, response: requests.Response, attempt: Attempt) -> ProviderError:
        if response.status_code == 403:
            return AccessBlocked(
                "Your ConstructEx account is not allowed to use the connector. Ask your ConstructEx administrator to "
                "allow the Newforma connector for your account, then connect again.",
                detail=f"{attempt.method} {attempt.url.split('?')[0]} -> 403: {error_text(response)}",
            )
        return super().classify(response, attempt)
