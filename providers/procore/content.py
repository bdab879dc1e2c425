"""A Procore submittal's or RFI's content (ItemContent), read from the list entry the sync already has: Procore's
lists carry the description, approvers and RFI questions with their answers, so no extra request is needed.

Field names: the v1.1 submittals list in `reference/procore/endpoints/RestV11ProjectsProjectIdSubmittalsGet.json`;
the RFI list has no published schema, so its questions and answers are read as PROVIDERS.md names them and as the
replies list (`RestV10ProjectsProjectIdRfisRfiIdRepliesGet.json`) shapes an answer.
"""

from __future__ import annotations

from typing import Any

from providers.answers import object_or_empty, person_id
from providers.content import (
    date_of,
    impact_of,
    latest,
    person_of,
    plain_text,
    spec_section_of,
    text,
    time_of,
)
from providers.types import Answer, ItemContent, ItemDates, Person, Reviewer


def _objects(value: Any) -> list[dict[str, Any]]:
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def _step(approver: dict[str, Any]) -> int | None:
    number = approver.get("workflow_group_number")
    return number if isinstance(number, int) and not isinstance(number, bool) else None


def _response_name(approver: dict[str, Any]) -> str:
    """The approver's response as the company names it; '' while it is Procore's placeholder `pending`."""
    response = object_or_empty(approver.get("response"))
    return "" if text(response.get("considered")).lower() == "pending" else text(response.get("name"))


def _reviewer(approver: dict[str, Any]) -> Reviewer:
    return Reviewer(
        person=person_of(approver.get("user")) or Person(),
        step=_step(approver),
        response=_response_name(approver),
        comment=text(approver.get("comment")),
        returned_date=date_of(approver.get("returned_date")),
    )


def submittal_content(entry: dict[str, Any], receiving_user_id: str) -> ItemContent:
    approvers = _objects(entry.get("approvers"))
    reviewers = tuple(_reviewer(a) for a in approvers)
    # Sent to the reviewer: the receiving user's own approver row says when it reached them (a later workflow step
    # is sent later); without one, the first approver's.
    own = [a for a in approvers if person_id(a.get("user")) == receiving_user_id]
    sent = [d for a in own or approvers if (d := date_of(a.get("sent_date")))]
    spec = object_or_empty(entry.get("specification_section"))
    return ItemContent(
        description=plain_text(entry.get("description")),
        spec_section=spec_section_of(spec.get("number"), spec.get("description")),
        submittal_type=text(object_or_empty(entry.get("type")).get("name")),
        received_from=person_of(entry.get("received_from")),
        manager=person_of(entry.get("submittal_manager")),
        responsible_contractor=text(object_or_empty(entry.get("responsible_contractor")).get("name")),
        reviewers=reviewers,
        dates=ItemDates(
            created=date_of(entry.get("created_at")),
            received=date_of(entry.get("received_date")),
            issued=date_of(entry.get("issue_date")),
            sent_to_reviewer=min(sent, default=None),
            due=date_of(entry.get("due_date")),
            returned=latest(*(r.returned_date for r in reviewers)),
        ),
    )


def _author(answer: dict[str, Any]) -> Person:
    """The replies list names the author as text (`created_by`) with `created_by_id`; a user object is read too."""
    author = answer.get("created_by")
    if isinstance(author, dict):
        return person_of(author) or Person()
    return Person(id=person_id(answer.get("created_by_id")), name=text(author))


def _rich(post: dict[str, Any]) -> str:
    rich = text(post.get("rich_text_body"))
    body = text(post.get("body"))
    return rich or (body if "<" in body else "")


def _plain(post: dict[str, Any]) -> str:
    return text(post.get("plain_text_body")) or plain_text(post.get("body"))


def _answer(answer: dict[str, Any]) -> Answer:
    return Answer(
        text=_plain(answer),
        rich_text=_rich(answer),
        author=_author(answer),
        date=time_of(answer.get("answer_date")) or time_of(answer.get("created_at")),
        official=answer.get("official") is True,
    )


def rfi_content(entry: dict[str, Any]) -> ItemContent:
    questions = _objects(entry.get("questions"))
    answers = tuple(_answer(a) for q in questions for a in _objects(q.get("answers")))
    spec = object_or_empty(entry.get("specification_section"))
    official = [a.date.date() for a in answers if a.official and a.date]
    return ItemContent(
        question="\n\n".join(t for q in questions if (t := _plain(q))),
        question_rich_text="".join(_rich(q) for q in questions),
        answers=answers,
        spec_section=spec_section_of(spec.get("number"), spec.get("description")),
        received_from=person_of(entry.get("received_from")),
        manager=person_of(entry.get("rfi_manager")),
        responsible_contractor=text(object_or_empty(entry.get("responsible_contractor")).get("name")),
        dates=ItemDates(
            created=date_of(entry.get("created_at")),
            issued=date_of(entry.get("initiated_at")),
            due=date_of(entry.get("due_date")),
            returned=max(official, default=None),
        ),
        cost_impact=impact_of(entry.get("cost_impact")),
        schedule_impact=impact_of(entry.get("schedule_impact")),
    )
