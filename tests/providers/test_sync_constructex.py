"""ConstructEx's side of the sync engine with mocked HTTP: cursor pages of changed items (with tombstones for
deleted ones), the fixed review responses, and posting a review or an RFI answer."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
import responses

from providers.errors import ProviderUnavailable, RateLimited, UnexpectedAnswer
from providers.models import ProviderAccount
from providers.registry import get_provider
from providers.types import ItemKind, ItemPage, ProviderItem
from tests.providers.conftest import CONSTRUCTEX, sent_body, sent_query

PROJECT, ME = "63", "4242"
SUBMITTALS = f"{CONSTRUCTEX}/api/v1/projects/{PROJECT}/submittals"
RFIS = f"{CONSTRUCTEX}/api/v1/projects/{PROJECT}/rfis"
OTHER = {"id": 9, "name": "Gina Contractor", "email": "gc@example.com"}
MINE = {"id": int(ME), "name": "Riley Reviewer", "email": "riley@example.com"}


@pytest.fixture
def account(make_account: Callable[..., ProviderAccount]) -> ProviderAccount:
    return make_account("constructex", provider_user_id=ME)


def submittal(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": 100 + n,
        "number": str(n),
        "revision": 0,
        "title": f"Shop drawings {n}",
        "status": "open",
        "due_date": "2026-04-01",
        "updated_at": "2026-03-02T09:00:00Z",
        "ball_in_court": [OTHER],
        "reviews": [{"id": 1, "reviewer": OTHER, "response": None}],
        **fields,
    }


def rfi(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": 200 + n,
        "number": str(n),
        "subject": f"Question {n}",
        "status": "open",
        "updated_at": "2026-03-02T09:00:00Z",
        "assignee": OTHER,
        "ball_in_court": [OTHER],
        **fields,
    }


def list_items(
    account: ProviderAccount, kind: ItemKind, since: dt.datetime | None = None
) -> list[ItemPage[ProviderItem]]:
    return list(
        get_provider("constructex").list_items_changed_since(
            account=account, company_id="", project_id=PROJECT, kind=kind, since=since, receiving_user_id=ME
        )
    )


def test_pages_are_followed_by_cursor_200_at_a_time_from_the_given_time(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(SUBMITTALS, json={"results": [submittal(n) for n in range(200)], "next_cursor": "MjAw"})
    mocked.get(SUBMITTALS, json={"results": [submittal(200)], "next_cursor": None})

    pages = list_items(account, "submittal", since=dt.datetime(2026, 3, 1, 8, 55, tzinfo=dt.UTC))

    assert [len(p) for p in pages] == [200, 1]
    queries = [sent_query(c.request) for c in mocked.calls]
    assert queries[0] == {"limit": ["200"], "updated_since": ["2026-03-01T08:55:00Z"]}
    assert queries[1] == {"limit": ["200"], "updated_since": ["2026-03-01T08:55:00Z"], "cursor": ["MjAw"]}


def test_only_items_where_the_user_reviews_holds_the_ball_or_is_assignee_are_for_them(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mine = [{"id": 2, "reviewer": MINE, "response": "Approved"}]
    mocked.get(SUBMITTALS, json={"results": [submittal(1), submittal(2, reviews=mine)], "next_cursor": None})
    mocked.get(RFIS, json={"results": [rfi(1), rfi(2, assignee=MINE), rfi(3, ball_in_court=[MINE])]})

    assert [i.for_receiving_user for i in list_items(account, "submittal")[0]] == [False, True]
    assert [i.for_receiving_user for i in list_items(account, "rfi")[0]] == [False, True, True]


def test_closed_deleted_and_revised_items_say_so(mocked: responses.RequestsMock, account: ProviderAccount) -> None:
    items = [
        submittal(1, status="closed"),
        submittal(2, id=150, number="1", revision=1),
        submittal(3, status="deleted", deleted=True, ball_in_court=[]),
    ]
    mocked.get(SUBMITTALS, json={"results": items, "next_cursor": None})

    closed, revision, deleted = list_items(account, "submittal")[0]

    assert closed.closed and closed.status == "Closed"
    assert revision.predecessor_id == "101" and revision.url == "https://app.constructex.com/projects/63/submittals/150"
    assert deleted.deleted and not closed.deleted


def test_the_five_review_responses_are_the_options(account: ProviderAccount) -> None:
    options = get_provider("constructex").list_response_options(
        account=account, company_id="", project_id=PROJECT, kind="submittal"
    )

    assert [(o.id, o.standard) for o in options] == [
        ("Approved", "approved"),
        ("Approved as Noted", "approved as noted"),
        ("Revise and Resubmit", "revise and resubmit"),
        ("Rejected", "rejected"),
        ("For Record Only", "for record only"),
    ]


def post(account: ProviderAccount, kind: ItemKind = "submittal", item_id: str = "101") -> None:
    get_provider("constructex").post_response(
        account=account,
        company_id="",
        project_id=PROJECT,
        kind=kind,
        item_id=item_id,
        receiving_user_id=ME,
        option_id="Approved as Noted",
        comment="Minor notes.",
    )


ANSWERS = f"{CONSTRUCTEX}/api/v1/rfis/201/answers"


def answer(author: dict[str, Any], body: str = "Minor notes.") -> dict[str, Any]:
    return {"id": 5, "body": body, "official": True, "author": author, "created_at": "2026-03-02T09:00:00Z"}


def test_a_review_and_an_answer_are_posted(mocked: responses.RequestsMock, account: ProviderAccount) -> None:
    mocked.get(SUBMITTALS, json={"results": [submittal(1)], "next_cursor": None})
    mocked.post(f"{CONSTRUCTEX}/api/v1/submittals/101/reviews", json={"id": 1}, status=201)
    answers = [answer(OTHER), answer(MINE, "Use M16.")]
    mocked.get(RFIS, json={"results": [rfi(1, answers=answers), rfi(2)], "next_cursor": None})
    mocked.post(ANSWERS, json={"id": 2}, status=201)

    post(account)
    before = dt.datetime.now(dt.UTC)
    post(account, "rfi", "201")

    assert json.loads(sent_body(mocked.calls[1].request)) == {
        "response": "Approved as Noted",
        "comment": "Minor notes.",
    }
    since = dt.datetime.fromisoformat(sent_query(mocked.calls[2].request)["updated_since"][0])
    assert dt.timedelta(days=29) < before - since < dt.timedelta(days=31)  # the RFIs changed in the last 30 days
    assert json.loads(sent_body(mocked.calls[3].request)) == {"body": "Minor notes."}


def test_a_retried_review_whose_first_answer_was_lost_is_posted_once(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    reviews = f"{CONSTRUCTEX}/api/v1/submittals/101/reviews"
    mocked.get(SUBMITTALS, json={"results": [submittal(1)], "next_cursor": None})
    mocked.post(reviews, body=requests.exceptions.ReadTimeout("answer lost"))
    mine = {"id": 2, "reviewer": MINE, "response": "Approved as Noted", "comment": "Minor  notes. "}
    mocked.get(SUBMITTALS, json={"results": [submittal(1, reviews=[mine])], "next_cursor": None})

    with pytest.raises(ProviderUnavailable):
        post(account)
    post(account)  # read first: the review is there, so it is not POSTed again

    assert [c.request.method for c in mocked.calls] == ["GET", "POST", "GET"]


def test_an_rfi_answer_already_at_constructex_from_the_user_is_not_posted_again(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(RFIS, json={"results": [rfi(2)], "next_cursor": "Mg"})
    mocked.get(RFIS, json={"results": [rfi(1, answers=[answer(MINE, " Minor  notes.")])], "next_cursor": None})

    post(account, "rfi", "201")

    assert [c.request.method for c in mocked.calls] == ["GET", "GET"]


def test_a_retried_rfi_answer_whose_first_answer_was_lost_is_posted_once(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(RFIS, json={"results": [rfi(1, answers=[])], "next_cursor": None})
    mocked.post(ANSWERS, body=requests.exceptions.ReadTimeout("answer lost"))
    mocked.get(RFIS, json={"results": [rfi(1, answers=[answer(MINE)])], "next_cursor": None})

    with pytest.raises(ProviderUnavailable):
        post(account, "rfi", "201")
    post(account, "rfi", "201")

    assert [c.request.method for c in mocked.calls] == ["GET", "POST", "GET"]


@pytest.mark.parametrize(
    ("status", "code", "words"),
    [(409, "closed", "is closed"), (422, "bad_response", "did not accept"), (403, "not_reviewer", "not a reviewer")],
)
def test_a_refused_review_says_why(
    mocked: responses.RequestsMock, account: ProviderAccount, status: int, code: str, words: str
) -> None:
    error = {"error": {"code": code, "message": "no"}}
    mocked.get(SUBMITTALS, json={"results": [], "next_cursor": None})
    mocked.post(f"{CONSTRUCTEX}/api/v1/submittals/101/reviews", json=error, status=status)

    with pytest.raises(UnexpectedAnswer, match=words):
        post(account)


def test_429_and_503_carry_retry_after(
    mocked: responses.RequestsMock, account: ProviderAccount, sleeps: list[float]
) -> None:
    url = f"{CONSTRUCTEX}/api/v1/submittals/101/reviews"
    mocked.get(SUBMITTALS, json={"results": [], "next_cursor": None})
    mocked.post(url, status=429, headers={"Retry-After": "60"})
    mocked.post(url, status=503, headers={"Retry-After": "600"})

    with pytest.raises(RateLimited) as limited:
        post(account)
    with pytest.raises(ProviderUnavailable) as down:
        post(account)

    assert limited.value.retry_after == 60 and down.value.retry_after == 600 and sleeps == []


def test_pages_pass_on_a_total_when_constructex_gives_one(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(RFIS, json={"results": [rfi(1)], "next_cursor": "MQ", "total": 2})
    mocked.get(RFIS, json={"results": [rfi(2)], "next_cursor": None})

    pages = list_items(account, "rfi")

    assert [(len(p), p.total, p.calls) for p in pages] == [(1, 2, 1), (1, None, 1)]
