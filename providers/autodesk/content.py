"""An Autodesk submittal's or RFI's content (ItemContent), read from the list entry the sync already has.

construction.json documents the operations, not their answers' fields: the names read here are those of APS's
reference pages for ACC submittal items (whose dates carry the names of the items list's documented date filters:
`receivedFromSubmitter`, `publishedDate`, `sentToReview`, `receivedFromReview`), ACC RFIs v3 (whose detail embeds
`responses[]`: id, text, status, createdBy, onBehalf, state) and BIM 360 RFIs v2 (the same names under
`attributes`). Autodesk gives people as ids, so a person here has an id and no name.

An ACC RFI's answer thread is read from the listing when it carries `responses`, else from the RFI's detail, which
AutodeskItems reads only for the reviewer's RFIs that changed since the last sync (the RFIs API allows the whole
application 100 requests a minute); without either, the official response alone. A submittal's reviewers live in its
review steps and their tasks (submittals-steps-GET, submittals-tasks-GET: `stepNumber`; `assignedTo`, `responseId`,
`responseComment`, `completedAt`), which AutodeskItems reads for each submittal a sync hands over that changed since
the last sync; one listed again unchanged is marked `reviewers_unread` and the engine keeps the reviewers it stored,
so that its content (and hash) reads the same without a request (an earlier try that left them empty made such an
item read as changed).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from providers.answers import same_text
from providers.content import date_of, impact_of, latest, person_of, plain_text, spec_section_of, text, time_of
from providers.types import Answer, ItemContent, ItemDates, Person, Reviewer

# An item's review steps, each with its tasks.
Steps = list[tuple[dict[str, Any], list[dict[str, Any]]]]


def tasks_of(steps: Steps) -> Iterator[dict[str, Any]]:
    return (task for _step, tasks in steps for task in tasks)


def _step_number(step: dict[str, Any]) -> int | None:
    number = step.get("stepNumber")
    return number if isinstance(number, int) and not isinstance(number, bool) else None


def review_tasks(steps: Steps, names: dict[str, str]) -> tuple[Reviewer, ...]:
    """The reviewers of an ACC submittal, one a review task: who (`assignedTo`: a user's, role's or company's id),
    the step's number, the response by its name, the comment and when it was returned. In step and task order by
    number and id, not in the order of the answer, so that the same review always reads the same."""
    found = []
    for step, tasks in steps:
        for task in tasks:
            response = text(task.get("responseId"))
            reviewer = Reviewer(
                person=Person(id=text(task.get("assignedTo"))),
                step=_step_number(step),
                response=names.get(response, response),
                comment=text(task.get("responseComment")),
                returned_date=date_of(task.get("completedAt")),
            )
            found.append(((reviewer.step or 0, text(task.get("id"))), reviewer))
    return tuple(reviewer for _key, reviewer in sorted(found, key=lambda pair: pair[0]))


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
            # From the listing, not the reviewers: an item listed again unchanged reads no reviewers (the engine
            # keeps the stored ones), and its returned date must read the same.
            returned=date_of(attributes.get("receivedFromReview")),
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
