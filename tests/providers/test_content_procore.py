"""A Procore submittal's and RFI's whole content, read from the list entries (field names of the reference's v1.1
submittals list and of the RFI replies list), with mocked HTTP: no request beyond the listing is needed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import responses

from providers.models import ProviderAccount
from providers.types import Answer, Impact, ItemDates, Person, Reviewer, SpecSection
from tests.providers.test_sync_procore import ME, RFIS, SUBMITTALS, link_header, list_items, rfi, submittal


@pytest.fixture
def account(make_account: Callable[..., ProviderAccount]) -> ProviderAccount:
    return make_account("procore", provider_user_id=ME)


def approver(n: int, user: dict[str, Any], step: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": 700 + n,
        "approver_type": "Approver",
        "comment": None,
        "response": {"id": 3, "name": "Pending", "considered": "pending"},
        "returned_date": None,
        "sent_date": None,
        "user": user,
        "workflow_group_number": step,
        **fields,
    }


FULL_SUBMITTAL = submittal(
    1,
    description="<p>Moment frames at <b>levels 2-4</b>.</p>",
    created_at="2026-02-20T15:00:00Z",
    received_date="2026-02-27",
    issue_date="2026-02-28",
    type={"id": 1, "name": "Shop Drawing", "translated_name": "Shop Drawing"},
    specification_section={"id": 8, "number": "05 12 00", "description": "Structural Steel Framing", "label": "x"},
    received_from={"id": 4410, "name": "Sam Steel"},
    submittal_manager={"id": 9, "name": "Gina Contractor"},
    responsible_contractor={"id": 77, "name": "Summit Steel Erectors"},
    approvers=[
        approver(
            1,
            {"id": 4077, "name": "Sam Structural"},
            1,
            response={"id": 4, "name": "Reviewed as Noted", "considered": "approved as noted"},
            comment="See clouded connection at grid C.",
            sent_date="2026-02-28",
            returned_date="2026-03-01",
        ),
        approver(2, {"id": int(ME), "name": "Rita Reviewer"}, 2, sent_date="2026-03-02"),
    ],
)


def test_a_submittal_brings_its_description_spec_section_people_reviewers_and_dates(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(SUBMITTALS, json=[FULL_SUBMITTAL], headers=link_header(SUBMITTALS, 1, 1, 1))

    [[item]] = list_items(account)

    content = item.content
    assert content.description == "Moment frames at levels 2-4."
    assert content.spec_section == SpecSection(number="05 12 00", title="Structural Steel Framing")
    assert content.submittal_type == "Shop Drawing"
    assert content.received_from == Person(id="4410", name="Sam Steel")
    assert content.manager == Person(id="9", name="Gina Contractor")
    assert content.responsible_contractor == "Summit Steel Erectors"
    assert content.reviewers == (
        Reviewer(
            person=Person(id="4077", name="Sam Structural"),
            step=1,
            response="Reviewed as Noted",
            comment="See clouded connection at grid C.",
            returned_date=dt.date(2026, 3, 1),
        ),
        Reviewer(person=Person(id=ME, name="Rita Reviewer"), step=2),  # Procore's "Pending" is no response yet
    )
    # Sent to the reviewer: when it reached the receiving user's own step, not the first approver's.
    assert content.dates == ItemDates(
        created=dt.date(2026, 2, 20),
        received=dt.date(2026, 2, 27),
        issued=dt.date(2026, 2, 28),
        sent_to_reviewer=dt.date(2026, 3, 2),
        due=dt.date(2026, 4, 1),
        returned=dt.date(2026, 3, 1),
    )
    assert len(mocked.calls) == 1


def test_an_rfi_brings_its_question_thread_of_answers_and_impacts(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    reply = {
        "id": 31,
        "official": False,
        "answer_date": "2026-03-03T10:00:00Z",
        "plain_text_body": "Checking with the engineer.",
        "rich_text_body": "<p>Checking with the engineer.</p>",
        "created_by": "Gina Contractor",
        "created_by_id": 9,
        "attachments": [],
    }
    official = {
        **reply,
        "id": 32,
        "official": True,
        "answer_date": "2026-03-04T16:30:00Z",
        "plain_text_body": "S-201 governs: W18x35.",
        "rich_text_body": "<p>S-201 governs: <b>W18x35</b>.</p>",
        "created_by": "Sam Structural",
        "created_by_id": 4077,
    }
    entry = rfi(
        1,
        questions=[
            {
                "id": 11,
                "body": "<p>Which drawing governs the beam depth at C/4?</p>",
                "plain_text_body": "Which drawing governs the beam depth at C/4?",
                "answers": [reply, official],
            }
        ],
        rfi_manager={"id": 9, "name": "Gina Contractor"},
        received_from={"id": 4410, "name": "Sam Steel", "vendor": {"id": 3, "name": "Summit Steel Erectors"}},
        specification_section={"id": 8, "number": "05 12 00", "description": "Structural Steel Framing"},
        cost_impact={"status": "yes_known", "value": 1250.5},
        schedule_impact={"status": "yes_known", "value": 3},
        created_at="2026-03-02T08:00:00Z",
    )
    mocked.get(RFIS, json=[entry], headers=link_header(RFIS, 1, 1, 1))

    [[item]] = list_items(account, "rfi")

    content = item.content
    assert content.question == "Which drawing governs the beam depth at C/4?"
    assert content.question_rich_text == "<p>Which drawing governs the beam depth at C/4?</p>"
    assert content.answers == (
        Answer(
            text="Checking with the engineer.",
            rich_text="<p>Checking with the engineer.</p>",
            author=Person(id="9", name="Gina Contractor"),
            date=dt.datetime(2026, 3, 3, 10, tzinfo=dt.UTC),
            official=False,
        ),
        Answer(
            text="S-201 governs: W18x35.",
            rich_text="<p>S-201 governs: <b>W18x35</b>.</p>",
            author=Person(id="4077", name="Sam Structural"),
            date=dt.datetime(2026, 3, 4, 16, 30, tzinfo=dt.UTC),
            official=True,
        ),
    )
    assert content.received_from == Person(id="4410", name="Sam Steel", company="Summit Steel Erectors")
    assert content.manager == Person(id="9", name="Gina Contractor")
    assert content.spec_section == SpecSection(number="05 12 00", title="Structural Steel Framing")
    assert content.cost_impact == Impact(status="yes_known", value=1250.5)
    assert content.schedule_impact == Impact(status="yes_known", value=3.0)
    assert content.dates.created == dt.date(2026, 3, 2)
    assert content.dates.returned == dt.date(2026, 3, 4)  # the official answer's date
    assert len(mocked.calls) == 1


def test_an_item_without_content_fields_reads_as_empty_not_as_a_failure(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    odd = submittal(2, description=None, specification_section=[], type="Shop Drawing", received_from=17)
    mocked.get(SUBMITTALS, json=[odd], headers=link_header(SUBMITTALS, 1, 1, 1))

    [[item]] = list_items(account)

    assert item.content.description == ""
    assert item.content.spec_section is None
    assert item.content.submittal_type == ""
    assert item.content.received_from == Person(id="17")
    assert item.title == "Shop drawings 2"
