"""Procore's submittals, RFIs and submittal responses as the portal's ProviderItem / ResponseOption, with their URLs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from providers.answers import (
    FAR_FUTURE,
    counted,
    holders,
    link_revisions,
    object_or_empty,
    parse_date,
    parse_time,
    person_ids,
    require,
    utc_text,
)
from providers.base import StoredIds
from providers.procore.attachments import rfi_attachments, submittal_attachments
from providers.procore.client import PER_PAGE, ProcoreClient
from providers.procore.content import rfi_content, submittal_content
from providers.types import NO_FACTS, ItemKind, ItemPage, ProjectFacts, ProviderItem, ResponseOption

if TYPE_CHECKING:
    from providers.models import ProviderAccount

WEB = "https://app.procore.com"


def item_url(kind: ItemKind, project_id: str, item_id: str) -> str:
    """The item's page in Procore's web app."""
    tool = "submittals" if kind == "submittal" else "rfi"
    return f"{WEB}/{project_id}/project/{tool}/{'show/' if kind == 'rfi' else ''}{item_id}"


def _names(people: Any) -> tuple[str, ...]:
    people = people if isinstance(people, list) else [people]
    return tuple(str(p.get("name") or p.get("id")) for p in people if isinstance(p, dict) and p.get("id") is not None)


def _step(approver: dict[str, Any]) -> int | None:
    number = approver.get("workflow_group_number")
    return number if isinstance(number, int) and not isinstance(number, bool) else None


def current_step(approvers: list[dict[str, Any]]) -> int | None:
    """The submittal's current workflow step: the lowest step with an approver who has not responded (None when
    every approver has, or Procore gives no step numbers)."""
    return min((n for a in approvers if not a.get("returned_date") and (n := _step(a)) is not None), default=None)


def waits_for_turn(approver: dict[str, Any], step: int | None) -> bool:
    """Whether this approver has still to respond and belongs to a later workflow step than the current one: Procore
    lets an approver respond only while their step is the ball in court."""
    number = _step(approver)
    return not approver.get("returned_date") and step is not None and number is not None and number > step


class ProcoreItems(ProcoreClient):
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
        path = "/rest/v1.1/projects/{}/submittals" if kind == "submittal" else "/rest/v1.0/projects/{}/rfis"
        params: dict[str, Any] = {"page": 1, "per_page": PER_PAGE}
        if since is not None:
            params["filters[updated_at]"] = f"{utc_text(since)}...{utc_text(FAR_FUTURE)}"
        read = self._submittal if kind == "submittal" else self._rfi
        url = f"{self.endpoints.api}{path.format(project_id)}"
        receiving = (receiving_user_id, *also_receiving)
        for page in counted(self._pages(account, url, params, company_id=company_id)):
            yield page.carrying(link_revisions([read(entry, project_id, receiving) for entry in page]))

    def _submittal(self, entry: dict[str, Any], project_id: str, receiving: Sequence[str]) -> ProviderItem:
        status = object_or_empty(entry.get("status"))
        words = str(status.get("name") or status.get("status") or "")
        approvers = [a for a in entry.get("approvers") or [] if isinstance(a, dict)]
        # An approver of a later workflow step is not the reviewer of this submittal yet: it becomes theirs (and is
        # synced) once their step starts.
        step = current_step(approvers)
        people = person_ids(
            entry.get("ball_in_court"), [a.get("user") for a in approvers if not waits_for_turn(a, step)]
        )
        item_id = str(require(entry, "id", label=self.label))
        holding = holders(receiving, people)
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
            for_receiving_user=bool(holding),
            receivers=holding,
            closed=str(status.get("status") or words).lower() == "closed",
            attachments=submittal_attachments(entry),
            # "Sent to the reviewer" is read off the approver row of the reviewer the item is for.
            content=submittal_content(entry, (holding or receiving)[0]),
            raw=entry,
        )

    def _rfi(self, entry: dict[str, Any], project_id: str, receiving: Sequence[str]) -> ProviderItem:
        ball = entry.get("ball_in_courts") or entry.get("ball_in_court")
        people = person_ids(ball, entry.get("assignee"), entry.get("assignees"))
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
            for_receiving_user=bool(holders(receiving, people)),
            receivers=holders(receiving, people),
            closed=status.lower() == "closed",
            attachments=rfi_attachments(entry),
            content=rfi_content(entry),
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
        url = f"{self.endpoints.api}/rest/v1.0/projects/{project_id}/submittal_responses"
        entries = self._all_pages(account, url, {"page": 1, "per_page": PER_PAGE}, company_id=company_id)
        # Companies rename responses; `considered` keeps the meaning. "Pending" is no answer a reviewer can give.
        return [
            ResponseOption(id=str(e["id"]), name=str(e.get("name") or ""), standard=str(e.get("considered")).lower())
            for e in entries
            if e.get("id") is not None and str(e.get("considered") or "").lower() not in ("", "pending")
        ]
