"""An Autodesk submittal's and RFI's content (ACC items, ACC RFIs v3, BIM 360 RFIs v2), read from the listings with
mocked HTTP and no request beyond them (the RFIs API's budget is the whole application's)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import responses

from providers.models import ProviderAccount
from providers.types import Answer, Impact, ItemDates, Person, SpecSection
from tests.providers.test_sync_autodesk import (
    BIM360,
    BIM360_RFIS,
    ITEMS,
    ME,
    RFI_SEARCH,
    item,
    list_items,
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

    [[found]] = list_items(account, "submittal")

    content = found.content
    assert content.description == "Moment frames at levels 2-4."
    assert content.spec_section == SpecSection(number="05 12 00")
    assert content.manager == Person(id="ADSK-GC")  # Autodesk names people by id
    assert content.dates == ItemDates(
        created=dt.date(2026, 2, 20), sent_to_reviewer=dt.date(2026, 3, 2), due=dt.date(2026, 3, 16)
    )
    assert len(mocked.calls) == 1


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
