"""ConstructEx: no public API is documented; this module holds the contract PROVIDERS.md assumes, and nothing else
in the portal depends on it, so it can be replaced when a published API exists.

Assumed beyond PROVIDERS.md: who-am-I is `GET {api}/api/v1/me` → `{id, name, email}` and revocation is
`POST {auth}/oauth/revoke` (RFC 7009); the client authenticates with client_id/client_secret in the token form.
Item lists take `limit` (at most 200) besides `updated_since` and `cursor`, and list an item deleted upstream with
`deleted: true` (a tombstone) when it changed since `updated_since`. There is no endpoint for review responses: the
five of PROVIDERS.md are fixed, and a review posts the response's name.

No read of a single item, of an RFI's answers or of a submittal's reviews is documented either. Assumed (the sandbox
does this): each RFI of the project listing carries `answers[{id, body, official, author{id, name}, created_at}]`,
each submittal `reviews[{id, reviewer{id, name}, response, comment, returned_at}]`. Before answering an RFI or
reviewing a submittal the portal lists the project's items of that kind changed in the last ANSWER_LOOKBACK (posting
changes the item, so one posted by an earlier attempt is in that window) and skips the POST when the item already
holds the receiving user's answer with the same body, or their review with the same response and comment: a retry
whose first POST reached ConstructEx but lost its answer (or whose worker died) does not post twice.

An item's content (ItemContent) is assumed in the listing too: both kinds carry `description`, `spec_section{number,
title}`, `received_from{id, name, company}`, `manager{id, name}`, `responsible_contractor` (a company name) and
`created_at`, `received_at`, `issued_at`, `sent_at`, `due_date`; a submittal `type` and `reviews[{reviewer{id, name},
step, response, comment, returned_at}]`; an RFI `question`, `question_html`, its `answers` and `cost_impact` /
`schedule_impact` as `{status, value}`.

Files (assumed): a submittal or RFI (its question) carries `attachments[{id, version, filename, content_type, size,
sha256, download_url}]` and each RFI answer its own `attachments[]` alike. `download_url` takes the account's token and
redirects to a signed, expiring storage URL; `size` and `sha256` are ConstructEx's own, so a download that does not
match them is refused.

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
    holders,
    holds_answer,
    link_revisions,
    object_or_empty,
    parse_date,
    parse_time,
    person_id,
    person_ids,
    require,
    same_text,
    total_of,
    utc_text,
)
from providers.base import Provider, StoredIds
from providers.content import date_of, impact_of, latest, person_of, plain_text, spec_section_of, text, time_of
from providers.errors import AccessBlocked, ProviderError, UnexpectedAnswer
from providers.http import Attempt, error_text
from providers.types import (
    NO_FACTS,
    Answer,
    AttachmentPlace,
    AttachmentRef,
    ItemContent,
    ItemDates,
    ItemKind,
    ItemPage,
    Person,
    ProjectFacts,
    ProviderItem,
    ProviderProject,
    ProviderUser,
    ResponseOption,
    Reviewer,
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


def _review_with(submittal: dict[str, Any], user_id: str, response: str, comment: str) -> dict[str, Any] | None:
    """The user's review on the listed submittal when it already holds this response (and this comment, when it
    shows one): how a review an earlier attempt posted is recognised."""
    for review in submittal.get("reviews") or []:
        if not isinstance(review, dict) or person_id(review.get("reviewer")) != user_id:
            continue
        shown = review.get("comment")
        if review.get("response") == response and (shown is None or same_text(shown, comment)):
            return review
    return None


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
        also_receiving: Sequence[str] = (),
        stored: StoredIds | None = None,
    ) -> Iterator[ItemPage[ProviderItem]]:
        # Every approver and reviewer is on the listed item itself, past ones included: `stored` is not needed.
        receiving = (receiving_user_id, *also_receiving)
        for page in counted(self._item_pages(account, project_id, kind, since)):
            yield page.carrying(link_revisions([self._item(kind, e, project_id, receiving) for e in page]))

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

    def _item(self, kind: ItemKind, entry: dict[str, Any], project_id: str, receiving: Sequence[str]) -> ProviderItem:
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
            for_receiving_user=bool(holders(receiving, people)),
            receivers=holders(receiving, people),
            closed=status.lower() == "closed",
            deleted=bool(entry.get("deleted")),
            attachments=_attachments(kind, entry),
            content=item_content(kind, entry),
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
        listed = self._listed(account, project_id, kind, item_id)
        if kind == "rfi":
            answers = listed.get("answers")
            if holds_answer(answers, user_id=receiving_user_id, body=comment, authors=AUTHORS, texts=("body",)):
                return  # an earlier attempt's answer reached ConstructEx although its reply was lost: never post twice
            url, body = f"{api}/api/v1/rfis/{item_id}/answers", {"body": comment}
        else:
            url, body = f"{api}/api/v1/submittals/{item_id}/reviews", {"response": option_id, "comment": comment}
            earlier = _review_with(listed, receiving_user_id, option_id, comment)
            if earlier is not None:
                # An earlier attempt's review landed although its answer was lost (or its worker died): never twice,
                # unless files it should have carried are missing from it.
                held = {str(a.get("filename")) for a in earlier.get("attachments") or [] if isinstance(a, dict)}
                files = [file for file in files if file.filename not in held]
                if not files:
                    return
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

    def _listed(self, account: ProviderAccount, project_id: str, kind: ItemKind, item_id: str) -> dict[str, Any]:
        """The item as the project's listing of items changed in the last ANSWER_LOOKBACK shows it (empty when it is
        not there): the only documented read of an item, its answers and its reviews (see the module docstring)."""
        since = timezone.now() - ANSWER_LOOKBACK
        for page in self._item_pages(account, project_id, kind, since):
            entry = next((entry for entry in page if str(entry.get("id")) == item_id), None)
            if entry is not None:
                return entry
        return {}

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


def _attachment(entry: Any, place: AttachmentPlace, owner: str) -> AttachmentRef | None:
    if not isinstance(entry, dict) or entry.get("id") is None or not isinstance(entry.get("download_url"), str):
        return None
    size = entry.get("size")
    return AttachmentRef(
        provider_id=str(entry["id"]),
        filename=str(entry.get("filename") or f"attachment-{entry['id']}"),
        url=entry["download_url"],
        place=place,
        owner_id=owner,
        version=str(entry.get("version") or ""),
        content_type=str(entry.get("content_type") or ""),
        size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
        sha256=str(entry.get("sha256") or "").lower(),
        authenticated=True,
    )


def _attachments(kind: ItemKind, entry: dict[str, Any]) -> tuple[AttachmentRef, ...]:
    """An RFI's own files are its question's (ConstructEx has one question per RFI)."""
    place: AttachmentPlace = "question" if kind == "rfi" else "item"
    refs = [_attachment(a, place, "") for a in entry.get("attachments") or []]
    for answer in entry.get("answers") or []:
        if isinstance(answer, dict):
            refs.extend(_attachment(a, "answer", str(answer.get("id"))) for a in answer.get("attachments") or [])
    return tuple(ref for ref in refs if ref is not None)


def _objects(value: Any) -> list[dict[str, Any]]:
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def _review(review: dict[str, Any]) -> Reviewer:
    step = review.get("step")
    return Reviewer(
        person=person_of(review.get("reviewer")) or Person(),
        step=step if isinstance(step, int) and not isinstance(step, bool) else None,
        response=text(review.get("response")),
        comment=text(review.get("comment")),
        returned_date=date_of(review.get("returned_at")),
    )


def _answer(answer: dict[str, Any]) -> Answer:
    return Answer(
        text=plain_text(answer.get("body")),
        rich_text=text(answer.get("body_html")),
        author=person_of(answer.get("author")) or Person(),
        date=time_of(answer.get("created_at")),
        official=answer.get("official") is True,
    )


def item_content(kind: ItemKind, entry: dict[str, Any]) -> ItemContent:
    """The item's content as the assumed contract lists it (module docstring)."""
    spec = object_or_empty(entry.get("spec_section"))
    reviewers = tuple(_review(r) for r in _objects(entry.get("reviews"))) if kind == "submittal" else ()
    answers = tuple(_answer(a) for a in _objects(entry.get("answers"))) if kind == "rfi" else ()
    official = [a.date.date() for a in answers if a.official and a.date]
    rfi = kind == "rfi"
    return ItemContent(
        description=plain_text(entry.get("description")),
        question=plain_text(entry.get("question")) if rfi else "",
        question_rich_text=text(entry.get("question_html")) if rfi else "",
        answers=answers,
        spec_section=spec_section_of(spec.get("number"), spec.get("title")),
        submittal_type=text(entry.get("type")) if not rfi else "",
        received_from=person_of(entry.get("received_from")),
        manager=person_of(entry.get("manager")),
        responsible_contractor=text(entry.get("responsible_contractor")),
        reviewers=reviewers,
        dates=ItemDates(
            created=date_of(entry.get("created_at")),
            received=date_of(entry.get("received_at")),
            issued=date_of(entry.get("issued_at")),
            sent_to_reviewer=date_of(entry.get("sent_at")),
            due=date_of(entry.get("due_date")),
            returned=latest(*(r.returned_date for r in reviewers), *official),
        ),
        cost_impact=impact_of(entry.get("cost_impact")) if rfi else None,
        schedule_impact=impact_of(entry.get("schedule_impact")) if rfi else None,
    )
