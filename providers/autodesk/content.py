"""An Autodesk submittal's or RFI's content (ItemContent), read from the list entry the sync already has.

construction.json documents the operations, not their answers' fields: the names read here are those of APS's
reference pages for ACC submittal items (whose dates carry the names of the items list's documented date filters:
`receivedFromSubmitter`, `publishedDate`, `sentToReview`, `receivedFromReview`), ACC RFIs v3 (whose detail embeds
`responses[]`: id, text, status, createdBy, onBehalf, state) and BIM 360 RFIs v2 (the same names under
`attributes`). Autodesk gives people as ids, so a person here has an id and no name.

Requests beyond the listings follow the changes, not the project's size (AutodeskItems decides): a submittal's
reviewers are in its review steps and an ACC RFI's thread in its detail, read only for the reviewer's items that
changed since the last sync (the RFIs API allows the whole application 100 requests a minute, Submittals 600). A
first sync shows each RFI's official response from the listing, and no reviewers, until the item next changes.
"""

from __future__ import annotations

from typing import Any

from providers.answers import same_text
from providers.content import date_of, impact_of, latest, person_of, plain_text, spec_section_of, text, time_of
from providers.types import Answer, ItemContent, ItemDates, Person, Reviewer


def review_tasks(
    steps: list[tuple[dict[str, Any], list[dict[str, Any]]]], names: dict[str, str]
) -> tuple[Reviewer, ...]:
    """The reviewers of an ACC submittal from its review steps and their tasks (acc-submittals-v2-steps / -tasks):
    who (`assignedTo`: a user, role or company id), the step's number, the response by name, comment and when."""
    found = []
    for step, tasks in steps:
        number = step.get("stepNumber")
        for task in tasks:
            response = text(task.get("responseId"))
            found.append(
                Reviewer(
                    person=Person(id=text(task.get("assignedTo"))),
                    step=number if isinstance(number, int) and not isinstance(number, bool) else None,
                    response=names.get(response, response),
                    comment=text(task.get("responseComment")),
                    returned_date=date_of(task.get("completedAt")),
                )
            )
    return tuple(found)


def submittal_content(attributes: dict[str, Any], *, reviewers: tuple[Reviewer, ...] = ()) -> ItemContent:
    return ItemContent(
        description=plain_text(attributes.get("description")),
        spec_section=spec_section_of(attributes.get("specIdentifier"), None),
        manager=person_of(attributes.get("managerId")),
        reviewers=reviewers,
        dates=ItemDates(
            created=date_of(attributes.get("createdAt")),
            received=date_of(attributes.get("receivedFromSubmitter")),
            issued=date_of(attributes.get("publishedDate")),
            sent_to_reviewer=date_of(attributes.get("sentToReview")),
            due=date_of(attributes.get("dueDate")),
            returned=latest(*(r.returned_date for r in reviewers)) or date_of(attributes.get("receivedFromReview")),
        ),
    )


def _answer(response: dict[str, Any], official_text: str) -> Answer:
    words = text(response.get("text"))
    official = text(response.get("state")).lower() == "official" or (
        bool(official_text) and same_text(official_text, words)
    )
    return Answer(
        text=words,
        author=person_of(response.get("onBehalf") or response.get("createdBy")) or Person(),
        date=time_of(response.get("createdAt")),
        official=official,
    )


def _answers(attributes: dict[str, Any]) -> tuple[Answer, ...]:
    official_text = text(attributes.get("officialResponse"))
    responses = attributes.get("responses")
    if isinstance(responses, list):
        return tuple(_answer(r, official_text) for r in responses if isinstance(r, dict))
    if not official_text:
        return ()
    author = person_of(attributes.get("respondedBy") or attributes.get("answeredBy")) or Person()
    when = time_of(attributes.get("respondedAt") or attributes.get("answeredAt"))
    return (Answer(text=official_text, author=author, date=when, official=True),)


def rfi_content(attributes: dict[str, Any]) -> ItemContent:
    answers = _answers(attributes)
    official = [a.date.date() for a in answers if a.official and a.date]
    question = text(attributes.get("question"))
    return ItemContent(
        question=plain_text(question),
        question_rich_text=question if "<" in question else "",
        answers=answers,
        received_from=person_of(attributes.get("createdBy")),
        manager=person_of(attributes.get("managerId")),
        dates=ItemDates(
            created=date_of(attributes.get("createdAt")),
            due=date_of(attributes.get("dueDate")),
            returned=latest(*official),
        ),
        cost_impact=impact_of(attributes.get("costImpact")),
        schedule_impact=impact_of(attributes.get("scheduleImpact")),
    )
