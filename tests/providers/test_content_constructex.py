"""A ConstructEx submittal's and RFI's content, as the assumed contract lists it (providers/constructex.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import responses

from providers.models import ProviderAccount
from providers.types import Answer, Impact, Person, Reviewer, SpecSection
from tests.providers.test_sync_constructex import ME, MINE, OTHER, RFIS, SUBMITTALS, list_items, rfi, submittal


@pytest.fixture
def account(make_account: Callable[..., ProviderAccount]) -> ProviderAccount:
    return make_account("constructex", provider_user_id=ME)


def test_a_submittal_brings_its_reviewers_with_step_response_comment_and_return(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    entry = submittal(
        1,
        description="Moment frames.",
        type="Shop Drawing",
        spec_section={"number": "05 12 00", "title": "Structural Steel Framing"},
        received_from={"id": 5, "name": "Sam Steel", "company": "Summit Steel Erectors"},
        manager=OTHER,
        responsible_contractor="Summit Steel Erectors",
        reviews=[
            {
                "id": 1,
                "reviewer": OTHER,
                "step": 1,
                "response": "Approved as Noted",
                "comment": "See C.",
                "returned_at": "2026-03-01",
            },
            {"id": 2, "reviewer": MINE, "step": 2, "response": None, "comment": None, "sent_at": "2026-03-02"},
        ],
    )
    mocked.get(SUBMITTALS, json={"results": [entry], "next_cursor": None})

    [[found]] = list_items(account, "submittal")

    content = found.content
    assert content.description == "Moment frames."
    assert content.submittal_type == "Shop Drawing"
    assert content.spec_section == SpecSection(number="05 12 00", title="Structural Steel Framing")
    assert content.received_from == Person(id="5", name="Sam Steel", company="Summit Steel Erectors")
    assert content.responsible_contractor == "Summit Steel Erectors"
    assert content.reviewers == (
        Reviewer(
            person=Person(id="9", name="Gina Contractor"),
            step=1,
            response="Approved as Noted",
            comment="See C.",
            returned_date=dt.date(2026, 3, 1),
        ),
        Reviewer(person=Person(id=ME, name="Riley Reviewer"), step=2),
    )
    assert content.dates.returned == dt.date(2026, 3, 1)


def test_an_rfi_brings_its_question_answers_and_impacts(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    entry = rfi(
        1,
        question="Which governs?",
        question_html="<p>Which <i>governs</i>?</p>",
        answers=[{"id": 1, "body": "S-201.", "official": True, "author": OTHER, "created_at": "2026-03-04T16:30:00Z"}],
        cost_impact={"status": "no_impact", "value": None},
        schedule_impact={"status": "yes_known", "value": 2},
    )
    mocked.get(RFIS, json={"results": [entry], "next_cursor": None})

    [[found]] = list_items(account, "rfi")

    content = found.content
    assert content.question == "Which governs?"
    assert content.question_rich_text == "<p>Which <i>governs</i>?</p>"
    assert content.answers == (
        Answer(
            text="S-201.",
            author=Person(id="9", name="Gina Contractor"),
            date=dt.datetime(2026, 3, 4, 16, 30, tzinfo=dt.UTC),
            official=True,
        ),
    )
    assert content.cost_impact == Impact(status="no_impact")
    assert content.schedule_impact == Impact(status="yes_known", value=2.0)
