"""Posting a reviewer's response to Procore: the approver response on a submittal, an official reply on an RFI.

An official reply needs Admin on the RFIs tool, the RFI manager's seat or the "Mark Official Responses" permission; a
plain assignee may only add a non-official reply. The official reply is tried first; when Procore refuses it (403),
the reply is posted as a response and the user is told that marking it official needs the RFI manager.

A submittal approver may respond only while their workflow step is the ball in court: a response for an approver of
a later step is not sent but held (NotYourTurn); the portal sends it once their step starts.

Safe to retry after a lost answer: an RFI reply is skipped when the RFI (Show RFI) already holds one by the receiving
user with the same text (and the user is told again when the replies list says it went in as a non-official one),
and a retried submittal response PATCHes the approver step it answered the first time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import requests

from providers.answers import holds_answer
from providers.errors import NotFound, NotYourTurn, ProviderError
from providers.http import Attempt
from providers.procore.client import PER_PAGE, company_headers
from providers.procore.items import current_step, waits_for_turn
from providers.procore.uploads import ProcoreUploads
from providers.refusals import RefusalWords, response_refusal
from providers.types import NO_FACTS, ItemKind, ProjectFacts
from providers.uploads import OutgoingFile

if TYPE_CHECKING:
    from providers.models import ProviderAccount

# Fields of an RFI answer that name its author and hold its text, first found first.
AUTHORS = ("created_by_id", "created_by")
TEXTS = ("plain_text_body", "body")

REFUSALS = RefusalWords(
    closed=(
        "Procore refused the response: the {what} is closed (or replaced by a newer revision) and no longer "
        "takes responses. If it was reopened, record the response again; otherwise there is nothing to do."
    ),
    not_accepted=(
        "Procore did not accept this response for your approver step on the {what}. Check the project's "
        "response mapping in the portal (the response may not be allowed for you), then retry."
    ),
    not_allowed=(
        "Procore does not allow your account to respond on this {what} (only the approver or assignee "
        "can). Ask the project's Procore administrator to check your role on it."
    ),
    access_marker="not connected",  # "App is not connected to this company": classify says whom to ask
)

NOT_OFFICIAL = (
    "Posted in Procore as a response, not as the official answer: marking it official needs the RFI manager (or "
    "Admin on the RFIs tool, or the “Mark Official Responses” permission). Ask the RFI manager to mark it official."
)


class OfficialRefused(ProviderError):
    """Procore refused `official: true` on an RFI reply (403): the user may only add a non-official reply."""


def rfi_answers(rfi: Any) -> list[Any]:
    """The answers of every question of an RFI (Procore's Show RFI JSON: `questions[].answers[]`)."""
    questions = rfi.get("questions") if isinstance(rfi, dict) else None
    return [
        answer
        for question in (questions if isinstance(questions, list) else [])
        if isinstance(question, dict) and isinstance(question.get("answers"), list)
        for answer in question["answers"]
    ]


class ProcoreResponses(ProcoreUploads):
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
        headers = company_headers(company_id)
        api = self.endpoints.api
        if kind == "rfi":
            rfi = self._call(
                "GET", f"{api}/rest/v1.0/projects/{project_id}/rfis/{item_id}", account=account, headers=headers
            )
            replies = f"{api}/rest/v1.0/projects/{project_id}/rfis/{item_id}/replies"
            # The author is `created_by_id` in Procore's reply JSON (its `created_by` is a name), or an object's id.
            if holds_answer(rfi_answers(rfi), user_id=receiving_user_id, body=comment, authors=AUTHORS, texts=TEXTS):
                # An earlier attempt's reply reached Procore although its answer was lost: never post twice, but say
                # what it became when it went in as a non-official reply.
                # Its files went in with it (one request): they are not attached again either.
                return self._earlier_reply_note(account, company_id, replies, receiving_user_id, comment)
            reply: dict[str, Any] = {"body": comment}
            if files:
                reply["upload_ids"] = self.upload_ids(
                    account=account, company_id=company_id, project_id=project_id, files=files
                )
            try:
                self._call(
                    "POST",
                    replies,
                    account=account,
                    headers=headers,
                    json={"reply": {**reply, "official": True}},
                    classify=self._official_refusal,
                )
            except OfficialRefused:
                self._call(
                    "POST",
                    replies,
                    account=account,
                    headers=headers,
                    json={"reply": {**reply, "official": False}},
                    classify=self._refusal,
                )
                return NOT_OFFICIAL
            return None
        submittal = self._call(
            "GET", f"{api}/rest/v1.1/projects/{project_id}/submittals/{item_id}", account=account, headers=headers
        )
        approver_id = self._approver_id(submittal, receiving_user_id, option_id)
        self._check_turn(submittal, approver_id)
        body: dict[str, Any] = {"submittal_response_id": int(option_id) if option_id.isdigit() else option_id}
        if comment:
            body["comment"] = comment
        if files:
            approver = next(a for a in submittal.get("approvers") or [] if str(a.get("id")) == approver_id)
            missing = files_not_attached(approver, option_id, files)
            if not missing:
                return None  # an earlier attempt's PATCH landed with every file although its answer was lost
            body["upload_ids"] = self.upload_ids(
                account=account, company_id=company_id, project_id=project_id, files=missing
            )
        self._call(
            "PATCH",
            f"{api}/rest/v1.0/submittal_approvers/{approver_id}",
            account=account,
            headers=headers,
            # `send_emails` defaults to false: without it nobody at the contractor hears of the response.
            params={"project_id": project_id, "submittal_id": item_id, "send_emails": "true"},
            json={"submittal_approver": body},
            classify=self._refusal,
        )
        return None

    def _earlier_reply_note(
        self, account: ProviderAccount, company_id: str, replies: str, user_id: str, comment: str
    ) -> str | None:
        """NOT_OFFICIAL when the user's earlier reply went in as a non-official one, else None. Show RFI does not
        document an answer's `official`; the replies list does, so it is read here, only after a lost answer."""
        listed = self._all_pages(account, replies, {"page": 1, "per_page": PER_PAGE}, company_id=company_id)
        earlier = holds_answer(listed, user_id=user_id, body=comment, authors=AUTHORS, texts=TEXTS)
        return NOT_OFFICIAL if earlier is not None and earlier.get("official") is False else None

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
        step = current_step([a for a in submittal.get("approvers") or [] if isinstance(a, dict)])
        # A step whose turn it is first: one of a later step is held until its step starts.
        waiting = sorted((a for a in mine if not a.get("returned_date")), key=lambda a: waits_for_turn(a, step))
        holding = [a for a in mine if str((a.get("response") or {}).get("id")) == option_id]
        return str((waiting or holding or mine)[0]["id"])

    def _check_turn(self, submittal: Any, approver_id: str) -> None:
        """Procore takes an approver's response only while their workflow step is the ball in court: a response for a
        later step is held (NotYourTurn) rather than sent to be refused."""
        approvers = [a for a in submittal.get("approvers") or [] if isinstance(a, dict)]
        step = current_step(approvers)
        mine = next(a for a in approvers if str(a.get("id")) == approver_id)
        if waits_for_turn(mine, step):
            raise NotYourTurn(
                f"Held: it is not your turn on this submittal in Procore yet. You approve in workflow step "
                f"{mine['workflow_group_number']}, which starts when the approvers of step {step} have responded. "
                "The portal sends your response by itself when your step starts; there is nothing you need to do.",
                detail=f"approver {approver_id} in step {mine['workflow_group_number']}, current step {step}",
            )

    def _official_refusal(self, response: requests.Response, attempt: Attempt) -> ProviderError:
        """A 403 to an official reply is the permission to mark replies official (unless the app is disconnected)."""
        if response.status_code == 403 and REFUSALS.access_marker not in response.text.lower():
            return OfficialRefused("Procore refused an official reply.", detail=response.text[:300])
        return self._refusal(response, attempt)

    def _refusal(self, response: requests.Response, attempt: Attempt) -> ProviderError:
        """Why Procore refused a response or reply, in words; access problems keep their usual meaning."""
        what = "submittal" if "submittal" in attempt.url else "RFI"
        return response_refusal(response, attempt, what=what, words=REFUSALS, otherwise=self.classify)


def files_not_attached(approver: dict[str, Any], option_id: str, files: Sequence[OutgoingFile]) -> list[OutgoingFile]:
    """The files still to attach to an approver step. Once the step holds this response, an earlier attempt's PATCH
    landed; the files it carried are the step's attachments of the same name, which a PATCH would attach twice."""
    if str((approver.get("response") or {}).get("id")) != option_id or not approver.get("returned_date"):
        return list(files)
    held = {
        str(a.get("name") or a.get("filename") or "") for a in approver.get("attachments") or [] if isinstance(a, dict)
    }
    return [file for file in files if file.filename not in held]
