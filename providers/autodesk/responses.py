"""Posting a reviewer's response to Autodesk: closing the user's review task on an ACC submittal, or a response on an
ACC RFI (BIM 360 RFIs cannot be answered yet), with the response's files (providers.autodesk.uploads).

An ACC RFI answer is `POST .../rfis/{rfiId}/responses` with `{text, status}` (both required; `status` is `answered`
or `rejected`) and, with files, their `attachments` (stored in the RFI's `virtualFolderUrn`: while Autodesk has not
made that folder yet, the answer waits and is tried again). Closing a submittal review task sends `responseId` and
`responseComment` only: the task's draft attachments are published with it, and `saveAttachmentDrafts` (an array of
strings, "Not relevant" on https://aps.autodesk.com/en/docs/acc/reference/http/submittals-tasks-taskIdclose-POST/)
is not sent. BIM 360 RFIs (v2) document no response operation. Safe to retry after a lost answer: an RFI answer is
skipped when the RFI already holds a response by the receiving user with the same text, read from the `responses[]`
the RFI detail (`GET .../rfis/{rfiId}`) embeds (Autodesk documents no listing of an RFI's responses); a review task
already completed with the same response counts as done rather than being closed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import requests

from providers.answers import expect_list, holds_answer, same_text
from providers.autodesk.client import Reviewer, api_id
from providers.autodesk.uploads import AutodeskUploads
from providers.errors import NotFound, ProviderError, Retryable, UnexpectedAnswer
from providers.http import Attempt
from providers.refusals import RefusalWords, response_refusal
from providers.types import NO_FACTS, ItemKind, ProjectFacts
from providers.uploads import OutgoingFile

if TYPE_CHECKING:
    from providers.models import ProviderAccount

# Fields of an RFI response that name its author and hold its text, first found first.
AUTHORS = ("createdBy", "createdById")
TEXTS = ("text",)
# The status an ACC RFI response gives the RFI: the portal's answers answer it (`rejected` sends it back).
RFI_ANSWER_STATUS = "answered"
FOLDER_RECHECK = 60  # seconds: Autodesk makes an RFI's folder shortly after the RFI
FOLDER_NEVER_MADE = (
    "Autodesk never made this RFI's folder for files, so the answer could not carry its files. Check in Autodesk "
    "Construction Cloud that the RFI still exists and opens, then retry the response (or send the answer without "
    "its files)."
)

REFUSALS = RefusalWords(
    closed=(
        "Autodesk refused the response: the {what} is closed and no longer takes responses. If it was "
        "reopened, record the response again; otherwise there is nothing to do."
    ),
    not_accepted=(
        "Autodesk did not accept this response on the {what}. Check the project's response mapping in the "
        "portal, then retry."
    ),
    not_allowed=(
        "Autodesk does not allow your account to respond on this {what} (only its reviewer or assignee "
        "can). Ask the project's administrator to check your role on it."
    ),
    access_marker="custom integrations",  # the account blocks the app: classify says how to allow it
)


# What Autodesk's 403 says when the whole project or its tool is refused to the user (not a member, no permission in
# the tool), rather than this one response (e.g. a review task that is someone else's): `classify` says what to do.
PROJECT_REFUSALS = ("not a member", "permission in the")


def _closed_with(task: dict[str, Any], option_id: str, comment: str) -> bool:
    """Whether a review task is already completed with this response (and this comment, when the task shows one)."""
    if task.get("status") != "completed" or str(task.get("responseId")) != option_id:
        return False
    return "responseComment" not in task or same_text(task.get("responseComment") or "", comment)


class AutodeskResponses(AutodeskUploads):
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
        pid = api_id(project_id)
        known = self.known_facts(account, company_id, project_id, facts)
        if kind == "rfi":
            if known.bim360:
                raise UnexpectedAnswer(
                    "The portal cannot answer BIM 360 RFIs yet (only Autodesk Construction Cloud ones). "
                    "Answer this RFI in BIM 360.",
                    detail="BIM 360 RFI response",
                )
            if not comment.strip():
                raise UnexpectedAnswer(
                    "Autodesk takes an RFI answer only with its text, and this response has none. Write the answer "
                    "in the response's comment, then send it again.",
                    detail="ACC RFI response without text",
                )
            rfi = f"{self.endpoints.api}/construction/rfis/v3/projects/{pid}/rfis/{item_id}"
            detail = self._rfi_detail(account, rfi)
            answers = detail.get("responses")
            answers = answers if isinstance(answers, list) else []
            if holds_answer(answers, user_id=receiving_user_id, body=comment, authors=AUTHORS, texts=TEXTS) is not None:
                # An earlier attempt's response reached Autodesk although its answer was lost: never twice. Its files
                # went in with it (one request): they are not attached again either.
                return
            answer: dict[str, Any] = {"text": comment, "status": RFI_ANSWER_STATUS}
            if files:
                folder = detail.get("virtualFolderUrn")
                if not isinstance(folder, str) or not folder:
                    raise Retryable(
                        "Autodesk is still preparing the RFI's folder for files, so the answer cannot carry its "
                        "files yet.",
                        retry_after=FOLDER_RECHECK,
                        detail="the RFI has no virtualFolderUrn yet",
                        gave_up=FOLDER_NEVER_MADE,
                    )
                answer["attachments"] = self.rfi_attachments(
                    account=account, project_id=project_id, folder=folder, files=files
                )
            self._call("POST", f"{rfi}/responses", account=account, json=answer, classify=self._refusal)
            return
        base = f"{self.endpoints.api}/construction/submittals/v2/projects/{pid}/items/{item_id}"
        reviewer = Reviewer(self, account, pid, receiving_user_id, region=known.region)
        step_id, task = self._my_task(account, base, reviewer, option_id, comment)
        if _closed_with(task, option_id, comment):
            return  # an earlier attempt closed it with this response and its answer was lost: that is success
        body: dict[str, Any] = {"responseId": option_id}
        if comment:
            body["responseComment"] = comment
        if files:
            # The close carries no files: they go first as draft attachments of the task, published by the close.
            self.submittal_attachments(account=account, item_url=base, task_id=str(task.get("id")), files=files)
        self._call(
            "POST",
            f"{base}/steps/{step_id}/tasks/{task.get('id')}:close",
            account=account,
            json=body,
            classify=self._refusal,
        )

    def _rfi_detail(self, account: ProviderAccount, rfi_url: str) -> dict[str, Any]:
        """The RFI as `GET .../rfis/{rfiId}` gives it: the `responses[]` it embeds, its `virtualFolderUrn`."""
        rfi = self._call("GET", rfi_url, account=account)
        return rfi if isinstance(rfi, dict) else {}

    def _my_task(
        self, account: ProviderAccount, base: str, reviewer: Reviewer, option_id: str, comment: str
    ) -> tuple[str, dict[str, Any]]:
        """(step id, task) of the receiving user's review task (assigned to them, or to their role or company): the
        open one when there are several, else the one already closed with this response (by an earlier attempt
        whose answer was lost), else the first."""
        steps = expect_list(self._call("GET", f"{base}/steps", account=account), label=self.label, key="results")
        mine: list[tuple[str, dict[str, Any]]] = []
        for step in steps:
            tasks = step.get("tasks")
            if tasks is None:
                body = self._call("GET", f"{base}/steps/{step.get('id')}/tasks", account=account)
                tasks = expect_list(body, label=self.label, key="results")
            mine += [(str(step.get("id")), t) for t in tasks if isinstance(t, dict) and reviewer.owns(t)]
        if not mine:
            raise NotFound(
                "You have no review task on this submittal in Autodesk, so your response cannot be recorded there. "
                "Check the submittal's review steps in Autodesk Construction Cloud.",
                detail=f"no task for user {reviewer.user_id} or their roles and company",
            )
        open_tasks = [(s, t) for s, t in mine if t.get("status") != "completed"]
        closed_with = [(s, t) for s, t in mine if _closed_with(t, option_id, comment)]
        return (open_tasks or closed_with or mine)[0]

    def _refusal(self, response: requests.Response, attempt: Attempt) -> ProviderError:
        what = "RFI" if "/rfis/" in attempt.url else "submittal"
        if response.status_code == 403 and any(marker in response.text.lower() for marker in PROJECT_REFUSALS):
            return self.classify(response, attempt)  # the project or its tool refused, not this one response
        return response_refusal(response, attempt, what=what, words=REFUSALS, otherwise=self.classify)
