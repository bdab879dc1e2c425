"""An Autodesk submittal's and RFI's content (ACC items, ACC RFIs v3, BIM 360 RFIs v2), read from the listings with
mocked HTTP and no request beyond them (the RFIs API's budget is the whole application's)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import responses

from providers.models import ProviderAccount
from providers.types import Answer, Impact, ItemDates, Person, Reviewer, SpecSection
from tests.providers.test_sync_autodesk import (
    BIM360,
    BIM360_RFIS,
    ITEMS,
    ME,
    RFI_SEARCH,
    item,
    list_items,
    no_reviews_by_anyone,
    page,
    rfi,
)


@pytest.fixture
def account(make_account: Callable[..., ProviderAccount]) -> ProviderAccount:
    return make_account("autodesk", provider_user_id=ME)


def test_an_acc_submittal_brings_its_description_spec_manager_and_dates(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    entry = item(
        1,
        ballInCourtUsers=[ME],
        description="Moment frames at levels 2-4.",
        specIdentifier="05 12 00",
        managerId="ADSK-GC",
        createdAt="2026-02-20T15:00:00Z",
        sentToReview="2026-03-02",
        dueDate="2026-03-16",
    )
    mocked.get(ITEMS, json=page([entry], 0, 1, 50))
    no_reviews_by_anyone(mocked)

    [[found]] = list_items(account, "submittal")

    content = found.content
    assert content.description == "Moment frames at levels 2-4."
    assert content.spec_section == SpecSection(number="05 12 00")
    assert content.manager == Person(id="ADSK-GC")  # Autodesk names people by id
    assert content.dates == ItemDates(
        created=dt.date(2026, 2, 20), sent_to_reviewer=dt.date(2026, 3, 2), due=dt.date(2026, 3, 16)
    )
    assert content.reviewers == ()
    assert len(mocked.calls) == 2  # the listing and the item's review steps (none)


def test_an_acc_rfi_brings_its_question_thread_and_impacts_from_the_search(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    entry = rfi(
        1,
        assignedTo=[{"id": ME, "type": "user"}],
        question="Which drawing governs the beam depth at C/4?",
        createdBy="ADSK-GC",
        managerId="ADSK-GC",
        createdAt="2026-03-02T08:00:00Z",
        costImpact="yes",
        scheduleImpact="no",
        officialResponse="S-201 governs.",
        responses=[
            {
                "id": "r1",
                "text": "Checking.",
                "status": "answered",
                "createdBy": "ADSK-ENG",
                "state": "unofficial",
                "createdAt": "2026-03-03T10:00:00Z",
            },
            {
                "id": "r2",
                "text": "S-201 governs.",
                "status": "answered",
                "createdBy": "ADSK-ENG",
                "createdAt": "2026-03-04T16:30:00Z",
            },
        ],
    )
    mocked.post(RFI_SEARCH, json=page([entry], 0, 1, 200))

    [[found]] = list_items(account, "rfi")

    content = found.content
    assert content.question == "Which drawing governs the beam depth at C/4?"
    assert content.received_from == Person(id="ADSK-GC")
    assert content.answers == (
        Answer(
            text="Checking.",
            author=Person(id="ADSK-ENG"),
            date=dt.datetime(2026, 3, 3, 10, tzinfo=dt.UTC),
            official=False,
        ),
        # Official: it is the RFI's officialResponse.
        Answer(
            text="S-201 governs.",
            author=Person(id="ADSK-ENG"),
            date=dt.datetime(2026, 3, 4, 16, 30, tzinfo=dt.UTC),
            official=True,
        ),
    )
    assert content.cost_impact == Impact(status="yes")
    assert content.schedule_impact == Impact(status="no")
    assert content.dates.returned == dt.date(2026, 3, 4)
    assert len(mocked.calls) == 1


def test_a_bim360_rfi_without_a_thread_brings_its_official_response(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    attributes = {
        **rfi(1),
        "assignedTo": ME,
        "assignedToType": "user",
        "question": "Is the substitute closer acceptable?",
        "officialResponse": "Yes.",
        "answeredAt": "2026-03-04T16:30:00Z",
        "answeredBy": "ADSK-ARCH",
    }
    mocked.get(BIM360_RFIS, json=page([{"id": "rfi-1", "type": "rfis", "attributes": attributes}], 0, 1, 200))

    [[found]] = list_items(account, "rfi", facts=BIM360)

    assert found.content.question == "Is the substitute closer acceptable?"
    assert found.content.answers == (
        Answer(
            text="Yes.",
            author=Person(id="ADSK-ARCH"),
            date=dt.datetime(2026, 3, 4, 16, 30, tzinfo=dt.UTC),
            official=True,
        ),
    )


def test_an_acc_rfi_changed_since_the_last_sync_has_its_thread_read_from_its_detail_once(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    since = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    changed = rfi(1, assignedTo=[{"id": ME, "type": "user"}], question="Which governs?", officialResponse=None)
    others = rfi(2, question="Not mine")  # another user's RFI: no detail is read for it
    mocked.post(RFI_SEARCH, json=page([changed, others], 0, 2, 200))
    thread = [
        {
            "id": "r1",
            "text": "Checking.",
            "status": "answered",
            "createdBy": "ADSK-ENG",
            "state": "unofficial",
            "createdAt": "2026-03-02T08:30:00Z",
        }
    ]
    detail = mocked.get(f"{RFI_SEARCH.removesuffix('search:rfis')}rfis/rfi-1", json={**changed, "responses": thread})

    [listed] = list_items(account, "rfi", since=since)

    mine = next(i for i in listed if i.provider_id == "rfi-1")
    assert [(a.text, a.official) for a in mine.content.answers] == [("Checking.", False)]
    assert detail.call_count == 1
    assert listed.calls == 2  # the search and one detail, counted against the budget


def test_a_first_sync_reads_no_rfi_detail_and_shows_the_official_response(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    entry = rfi(
        1, assignedTo=[{"id": ME, "type": "user"}], officialResponse="S-201 governs.", updatedAt="2026-03-02T09:00:00Z"
    )
    mocked.post(RFI_SEARCH, json=page([entry], 0, 1, 200))

    [[found]] = list_items(account, "rfi")

    assert [(a.text, a.official) for a in found.content.answers] == [("S-201 governs.", True)]
    assert len(mocked.calls) == 1


TASKS: list[dict[str, object]] = [
    {
        "id": "t2",
        "assignedTo": ME,
        "assignedToType": "user",
        "status": "in-progress",
        "responseId": None,
    },
    {
        "id": "t1",
        "assignedTo": "ADSK-ENG",
        "assignedToType": "user",
        "status": "completed",
        "responseId": "resp-2",
        "responseComment": "See C.",
        "completedAt": "2026-03-01T12:00:00Z",
    },
]


def reviews(mocked: responses.RequestsMock, tasks: list[dict[str, object]]) -> None:
    steps = [{"id": "s2", "stepNumber": 2, "tasks": tasks[:1]}, {"id": "s1", "stepNumber": 1, "tasks": tasks[1:]}]
    mocked.get(f"{ITEMS}/item-1/steps", json=page(steps, 0, 2, 50))
    mocked.get(
        ITEMS.removesuffix("items") + "responses",
        json=page([{"id": "resp-2", "value": "Approved as Noted", "categoryId": 1}], 0, 1, 50),
    )


def test_an_acc_submittals_reviewers_come_from_its_review_steps_in_step_order_with_responses_by_name(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(ITEMS, json=page([item(1, ballInCourtUsers=[ME]), item(2)], 0, 2, 50))  # item 2 is another's
    reviews(mocked, TASKS)
    no_reviews_by_anyone(mocked)

    [listed] = list_items(account, "submittal", since=dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC))

    mine = next(i for i in listed if i.provider_id == "item-1")
    assert mine.content.reviewers == (
        Reviewer(
            person=Person(id="ADSK-ENG"),
            step=1,
            response="Approved as Noted",
            comment="See C.",
            returned_date=dt.date(2026, 3, 1),
        ),
        Reviewer(person=Person(id=ME), step=2),
    )
    assert mine.content.dates.returned is None  # the item's own `receivedFromReview`: the manager has not returned it
    assert f"{ITEMS}/item-2/steps" not in [c.request.url.split("?")[0] for c in mocked.calls if c.request.url]
    assert listed.calls == 3  # the listing, the user's item's steps, the responses' names (once a sync)


def test_an_unchanged_submittal_listed_again_inside_the_look_back_reads_no_steps_and_says_so(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    """ACC's date filter lists the items of the day before the cursor again: those read no workflow (a request an
    item), and say their reviewers were not read, for the engine to keep the ones it stored."""
    mocked.get(ITEMS, json=page([item(1, ballInCourtUsers=[ME])], 0, 1, 50))
    reviews(mocked, TASKS)
    [[first]] = list_items(account, "submittal")  # the first sync
    calls = len(mocked.calls)

    [[again]] = list_items(
        account, "submittal", since=dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC), stored=lambda ids: set(ids)
    )

    assert again.updated_at < dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)  # listed only by the day filter
    assert (first.reviewers_unread, len(first.content.reviewers)) == (False, 2)
    assert (again.reviewers_unread, again.content.reviewers) == (True, ())
    assert len(mocked.calls) == calls + 1  # the listing alone
