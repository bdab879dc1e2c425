"""Procore's side of the sync engine with mocked HTTP: changed items page by page, response options, posting a
reviewer's response or an RFI reply (once, even when retried after a lost answer), and webhook registration (one hook,
even when rerun after a lost answer). Every request is checked against Procore's published
operations by the `mocked` fixture."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
import responses

from providers.errors import (
    AccessBlocked,
    NotFound,
    NotYourTurn,
    ProviderUnavailable,
    RateLimited,
    ToolUnavailable,
    UnexpectedAnswer,
)
from providers.models import ProviderAccount
from providers.registry import get_provider
from providers.types import ItemKind, ItemPage, ProviderItem
from tests.providers.conftest import PROCORE, sent_body, sent_query, sent_url, token_answer

PROJECT, COMPANY, ME = "61", "51", "4242"
SUBMITTALS = f"{PROCORE}/rest/v1.1/projects/{PROJECT}/submittals"
RFIS = f"{PROCORE}/rest/v1.0/projects/{PROJECT}/rfis"


def submittal(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": 1000 + n,
        "number": str(n),
        "revision": "0",
        "title": f"Shop drawings {n}",
        "status": {"id": 2, "name": "Open", "status": "Open"},
        "due_date": "2026-04-01",
        "updated_at": "2026-03-02T09:00:00Z",
        "ball_in_court": [{"id": 9, "name": "Gina Contractor"}],
        "approvers": [{"id": 500 + n, "user": {"id": 9, "name": "Gina"}, "response": None, "returned_date": None}],
        **fields,
    }


def rfi(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": 2000 + n,
        "number": n,
        "subject": f"Question {n}",
        "status": "open",
        "due_date": None,
        "updated_at": "2026-03-02T09:00:00Z",
        "assignee": {"id": 9, "name": "Gina"},
        "assignees": [{"id": 9, "name": "Gina"}],
        "ball_in_court": None,
        **fields,
    }


def link_header(url: str, page: int, last: int, total: int = 301) -> dict[str, str]:
    links = [f'<{url}?page=1&per_page=2000>; rel="first"', f'<{url}?page={last}&per_page=2000>; rel="last"']
    if page < last:
        links.append(f'<{url}?page={page + 1}&per_page=2000>; rel="next"')
    return {"Link": ", ".join(links), "Total": str(total), "Per-Page": "2000"}


def list_items(
    account: ProviderAccount, kind: ItemKind = "submittal", since: dt.datetime | None = None
) -> list[ItemPage[ProviderItem]]:
    return list(
        get_provider("procore").list_items_changed_since(
            account=account, company_id=COMPANY, project_id=PROJECT, kind=kind, since=since, receiving_user_id=ME
        )
    )


@pytest.fixture
def account(make_account: Callable[..., ProviderAccount]) -> ProviderAccount:
    return make_account("procore", provider_user_id=ME)


def test_it_pages_submittals_to_the_end_at_2000_a_page(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    # 2,000: the largest page Procore's pagination guide recommends (PROVIDERS.md); 300 is the v1.1 projects' limit.
    mocked.get(SUBMITTALS, json=[submittal(n) for n in range(2000)], headers=link_header(SUBMITTALS, 1, 2, 2001))
    mocked.get(SUBMITTALS, json=[submittal(2000)], headers=link_header(SUBMITTALS, 2, 2, 2001))

    pages = list_items(account)

    assert [len(p) for p in pages] == [2000, 1]
    first = sent_query(mocked.calls[0].request)
    assert first["per_page"] == ["2000"] and first["page"] == ["1"]
    assert mocked.calls[0].request.headers["Procore-Company-Id"] == COMPANY
    assert len(mocked.calls) == 2


def test_it_asks_only_for_items_updated_since_the_given_time(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(RFIS, json=[], headers=link_header(RFIS, 1, 1))

    list_items(account, "rfi", since=dt.datetime(2026, 3, 1, 8, 55, 30, 500, tzinfo=dt.UTC))

    query = sent_query(mocked.calls[0].request)
    assert query["filters[updated_at]"] == ["2026-03-01T08:55:30Z...2100-01-01T00:00:00Z"]
    assert query["per_page"] == ["2000"]


def test_a_first_sync_sends_no_date_filter(mocked: responses.RequestsMock, account: ProviderAccount) -> None:
    mocked.get(SUBMITTALS, json=[], headers=link_header(SUBMITTALS, 1, 1))

    assert list_items(account) == [[]]
    assert "filters" not in sent_url(mocked.calls[0].request)


def test_only_items_where_the_user_is_approver_ball_in_court_or_assignee_are_for_them(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    me = {"id": int(ME), "name": "Riley Reviewer"}
    approver = {"id": 77, "user": me, "response": None, "returned_date": "2026-03-01"}
    mocked.get(
        SUBMITTALS,
        json=[submittal(1), submittal(2, approvers=[approver]), submittal(3, ball_in_court=[me])],
        headers=link_header(SUBMITTALS, 1, 1),
    )
    mocked.get(
        RFIS,
        json=[rfi(1), rfi(2, assignee=me, assignees=[me]), rfi(3, ball_in_court=me)],
        headers=link_header(RFIS, 1, 1),
    )

    submittals = list_items(account)[0]
    rfis = list_items(account, "rfi")[0]

    assert [i.for_receiving_user for i in submittals] == [False, True, True]
    assert [i.for_receiving_user for i in rfis] == [False, True, True]
    assert submittals[2].ball_in_court == ("Riley Reviewer",)


def two_steps(mine_returned: str | None = None, first_returned: str | None = None) -> list[dict[str, Any]]:
    """A workflow where Gina approves in step 1 and the receiving user in step 2."""
    return [
        {"id": 901, "user": {"id": 9}, "returned_date": first_returned, "workflow_group_number": 1},
        {"id": 902, "user": {"id": int(ME)}, "returned_date": mine_returned, "workflow_group_number": 2},
    ]


def test_an_approver_of_a_later_step_is_not_the_reviewer_until_their_step_starts(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(
        SUBMITTALS,
        json=[submittal(1, approvers=two_steps()), submittal(2, approvers=two_steps(first_returned="2026-03-01"))],
        headers=link_header(SUBMITTALS, 1, 1),
    )

    items = list_items(account)[0]

    assert [i.for_receiving_user for i in items] == [False, True]


@pytest.mark.parametrize(("kind", "url", "tool"), [("submittal", SUBMITTALS, "Submittals"), ("rfi", RFIS, "RFIs")])
def test_a_403_on_a_projects_tool_names_the_tool_not_the_companys_app_settings(
    mocked: responses.RequestsMock, account: ProviderAccount, kind: ItemKind, url: str, tool: str
) -> None:
    mocked.get(url, json={"errors": "You do not have permission to access this tool."}, status=403)

    with pytest.raises(ToolUnavailable) as caught:
        list_items(account, kind)

    assert caught.value.message == (
        f"The {tool} tool is disabled on this Procore project or the receiving user has no permission on it. "
        "Enable the tool or give the user at least Standard permission on it, then sync again."
    )
    assert "outside applications" not in caught.value.message


def test_a_403_on_an_approver_step_read_before_the_response_names_the_submittals_tool(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(f"{SUBMITTALS}/1001", json={"errors": "You do not have permission."}, status=403)

    with pytest.raises(ToolUnavailable, match="The Submittals tool is disabled"):
        post(account)


def test_an_item_reads_as_the_engine_needs_it(mocked: responses.RequestsMock, account: ProviderAccount) -> None:
    mocked.get(SUBMITTALS, json=[submittal(7)], headers=link_header(SUBMITTALS, 1, 1))

    item = list_items(account)[0][0]

    assert (item.kind, item.provider_id, item.number, item.revision) == ("submittal", "1007", "7", "0")
    assert (item.title, item.status, item.due_date) == ("Shop drawings 7", "Open", dt.date(2026, 4, 1))
    assert item.updated_at == dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    assert item.url == f"https://app.procore.com/{PROJECT}/project/submittals/1007"
    assert item.raw["id"] == 1007 and not item.closed and not item.deleted


def test_a_revision_points_at_the_earlier_revision_of_the_same_number(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    closed = {"id": 3, "name": "Closed", "status": "Closed"}
    old = submittal(2, revision="0", status=closed, current_revision=False)
    new = submittal(2, id=1099, revision="1")
    mocked.get(SUBMITTALS, json=[old, new], headers=link_header(SUBMITTALS, 1, 1))

    items = list_items(account)[0]

    assert items[0].closed and items[0].predecessor_id == ""
    assert items[1].predecessor_id == "1002" and not items[1].closed


def test_closed_and_reopened_rfis_say_so(mocked: responses.RequestsMock, account: ProviderAccount) -> None:
    mocked.get(RFIS, json=[rfi(1, status="closed"), rfi(2, status="open")], headers=link_header(RFIS, 1, 1))

    closed, reopened = list_items(account, "rfi")[0]

    assert closed.closed and closed.status == "Closed"
    assert not reopened.closed and reopened.status == "Open"


def test_response_options_map_on_considered_so_a_renamed_response_keeps_its_meaning(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(
        f"{PROCORE}/rest/v1.0/projects/{PROJECT}/submittal_responses",
        json=[
            {"id": 1, "name": "Pending", "considered": "pending"},
            {"id": 2, "name": "Reviewed - No Exceptions", "considered": "approved"},
            {"id": 3, "name": "Revise and Resubmit", "considered": "revise and resubmit"},
        ],
    )

    options = get_provider("procore").list_response_options(
        account=account, company_id=COMPANY, project_id=PROJECT, kind="submittal"
    )

    assert [(o.id, o.name, o.standard) for o in options] == [
        ("2", "Reviewed - No Exceptions", "approved"),
        ("3", "Revise and Resubmit", "revise and resubmit"),
    ]
    rfi_options = get_provider("procore").list_response_options(
        account=account, company_id=COMPANY, project_id=PROJECT, kind="rfi"
    )
    assert rfi_options == []


def post(account: ProviderAccount, kind: ItemKind = "submittal", item_id: str = "1001") -> None:
    get_provider("procore").post_response(
        account=account,
        company_id=COMPANY,
        project_id=PROJECT,
        kind=kind,
        item_id=item_id,
        receiving_user_id=ME,
        option_id="2",
        comment="See markups.",
    )


def with_my_approver(mocked: responses.RequestsMock) -> None:
    mine = [
        {"id": 801, "user": {"id": int(ME)}, "returned_date": "2026-02-01"},
        {"id": 802, "user": {"id": int(ME)}, "returned_date": None},
        {"id": 803, "user": {"id": 9}, "returned_date": None},
    ]
    mocked.get(f"{SUBMITTALS}/1001", json=submittal(1, approvers=mine))


APPROVER = f"{PROCORE}/rest/v1.0/submittal_approvers/802"


def test_a_response_patches_the_receiving_users_waiting_approver_step(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    with_my_approver(mocked)
    mocked.patch(APPROVER, json=[{"id": 802, "submittal_response_id": 2, "comment": "See markups."}])

    post(account)

    patch = mocked.calls[-1].request
    assert sent_query(patch) == {
        "project_id": [PROJECT],
        "submittal_id": ["1001"],
        "send_emails": ["true"],  # Procore's default is false: nobody would be told
    }
    assert json.loads(sent_body(patch)) == {
        "submittal_approver": {"submittal_response_id": 2, "comment": "See markups."}
    }
    assert patch.headers["Procore-Company-Id"] == COMPANY


def test_a_user_who_is_not_an_approver_gets_a_clear_refusal(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(f"{SUBMITTALS}/1001", json=submittal(1))

    with pytest.raises(NotFound, match="no longer an approver"):
        post(account)


def test_a_response_before_the_approvers_step_starts_is_held_and_not_sent(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(f"{SUBMITTALS}/1001", json=submittal(1, approvers=two_steps()))

    with pytest.raises(NotYourTurn) as caught:
        post(account)

    assert "not your turn" in caught.value.message and "when your step starts" in caught.value.message
    assert [call.request.method for call in mocked.calls] == ["GET"]  # no PATCH for Procore to refuse


def test_a_response_once_the_approvers_step_has_started_is_sent(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(f"{SUBMITTALS}/1001", json=submittal(1, approvers=two_steps(first_returned="2026-03-01")))
    mocked.patch(f"{PROCORE}/rest/v1.0/submittal_approvers/902", json=[{"id": 902, "submittal_response_id": 2}])

    post(account)

    assert mocked.calls[-1].request.method == "PATCH"


@pytest.mark.parametrize(
    ("status", "words"),
    [(422, "closed"), (400, "did not accept this response"), (403, "does not allow your account")],
)
def test_a_refused_response_says_why_in_plain_words(
    mocked: responses.RequestsMock, account: ProviderAccount, status: int, words: str
) -> None:
    with_my_approver(mocked)
    mocked.patch(APPROVER, json={"errors": "no"}, status=status)

    with pytest.raises(UnexpectedAnswer, match=words):
        post(account)
    account.refresh_from_db()
    assert account.status == "active"  # a refusal of one response is not a broken connection


def test_a_rate_limited_response_carries_when_to_retry(
    mocked: responses.RequestsMock, account: ProviderAccount, clock: float, sleeps: list[float]
) -> None:
    with_my_approver(mocked)
    headers = {"X-Rate-Limit-Limit": "3600", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": str(int(clock) + 900)}
    mocked.patch(
        APPROVER, body="You have surpassed the max number of requests for an hour.", status=429, headers=headers
    )

    with pytest.raises(RateLimited) as caught:
        post(account)

    assert caught.value.retry_after == 900
    assert sleeps == []


def test_an_overloaded_procore_is_retried_after_its_retry_after(
    mocked: responses.RequestsMock, account: ProviderAccount, sleeps: list[float]
) -> None:
    mocked.get(f"{RFIS}/2001", json=rfi(1, questions=[]))
    mocked.post(f"{RFIS}/2001/replies", status=503, headers={"Retry-After": "120"})

    with pytest.raises(ProviderUnavailable) as caught:
        post(account, "rfi", "2001")

    assert caught.value.retry_after == 120 and sleeps == []


def answer(author: Any, body: str = "See markups.", **fields: Any) -> dict[str, Any]:
    """An answer as Procore's reply JSON writes it: `created_by` is the author's name, `created_by_id` their id."""
    return {
        "id": 7,
        "official": True,
        "plain_text_body": body,
        "created_by": "Someone",
        "created_by_id": author,
        **fields,
    }


def with_answers(mocked: responses.RequestsMock, *answers: dict[str, Any]) -> None:
    question = {"id": 1, "body": "Which anchor?", "answers": list(answers)}
    mocked.get(f"{RFIS}/2001", json=rfi(1, questions=[{"id": 0, "body": "Context", "answers": []}, question]))


def test_an_rfi_answer_is_an_official_reply(mocked: responses.RequestsMock, account: ProviderAccount) -> None:
    # Someone else's answer with the same words, and the user's own earlier answer saying something else.
    with_answers(mocked, answer(9), answer(int(ME), "Use the longer anchors."))
    mocked.post(f"{RFIS}/2001/replies", json={"id": 1, "official": True}, status=201)

    post(account, "rfi", "2001")

    assert [c.request.method for c in mocked.calls] == ["GET", "POST"]
    assert json.loads(sent_body(mocked.calls[1].request)) == {"reply": {"body": "See markups.", "official": True}}


def test_an_rfi_answer_the_user_may_not_mark_official_is_posted_as_a_response_and_says_so(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    with_answers(mocked)
    refusal = {"errors": "You do not have permission to mark responses official on this RFI."}
    mocked.post(f"{RFIS}/2001/replies", json=refusal, status=403)
    mocked.post(f"{RFIS}/2001/replies", json={"id": 1, "official": False}, status=201)

    note = get_provider("procore").post_response(
        account=account,
        company_id=COMPANY,
        project_id=PROJECT,
        kind="rfi",
        item_id="2001",
        receiving_user_id=ME,
        option_id="",
        comment="See markups.",
    )

    bodies = [json.loads(sent_body(c.request)) for c in mocked.calls if c.request.method == "POST"]
    assert bodies == [
        {"reply": {"body": "See markups.", "official": True}},
        {"reply": {"body": "See markups.", "official": False}},
    ]
    assert note is not None and "marking it official needs the RFI manager" in note


def test_an_rfi_answer_refused_because_the_app_is_disconnected_is_not_retried_unofficially(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    with_answers(mocked)
    mocked.post(f"{RFIS}/2001/replies", json={"errors": "App is not connected to this company"}, status=403)

    with pytest.raises(AccessBlocked, match="disconnected"):
        post(account, "rfi", "2001")
    assert [c.request.method for c in mocked.calls] == ["GET", "POST"]


@pytest.mark.parametrize(
    "mine",
    [
        answer(int(ME)),
        answer(int(ME), "  See\n markups. "),  # Procore re-wraps
        {"id": 7, "body": "See markups.", "created_by": {"id": int(ME), "name": "Riley"}},  # an author object
    ],
)
def test_an_rfi_answer_already_at_procore_from_the_user_is_not_posted_again(
    mocked: responses.RequestsMock, account: ProviderAccount, mine: dict[str, Any]
) -> None:
    with_answers(mocked, answer(9, "Noted."), mine)
    # Show RFI does not document an answer's `official`: the replies list, which does, is read only here.
    mocked.get(f"{RFIS}/2001/replies", json=[answer(9, "Noted."), answer(int(ME))])

    post(account, "rfi", "2001")

    assert [sent_url(c.request).split("?")[0] for c in mocked.calls] == [f"{RFIS}/2001", f"{RFIS}/2001/replies"]


def test_a_retried_rfi_answer_whose_non_official_reply_was_lost_still_says_it_is_not_official(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    with_answers(mocked)  # the first attempt finds no answer, is refused the official reply ...
    refusal = {"errors": "You do not have permission to mark responses official on this RFI."}
    mocked.post(f"{RFIS}/2001/replies", json=refusal, status=403)
    mocked.post(f"{RFIS}/2001/replies", body=requests.exceptions.ReadTimeout("answer lost"))
    mine = answer(int(ME), official=False)  # ... and its non-official reply reached Procore, its answer lost
    with_answers(mocked, mine)
    mocked.get(f"{RFIS}/2001/replies", json=[mine])

    def send() -> str | None:
        return get_provider("procore").post_response(
            account=account,
            company_id=COMPANY,
            project_id=PROJECT,
            kind="rfi",
            item_id="2001",
            receiving_user_id=ME,
            option_id="",
            comment="See markups.",
        )

    with pytest.raises(ProviderUnavailable):
        send()
    note = send()

    assert [c.request.method for c in mocked.calls] == ["GET", "POST", "POST", "GET", "GET"]
    assert note is not None and "marking it official needs the RFI manager" in note
    assert sent_query(mocked.calls[-1].request)["per_page"] == ["2000"]


def test_a_retried_rfi_answer_whose_first_answer_was_lost_is_posted_once(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    with_answers(mocked)  # the first attempt finds no answer ...
    mocked.post(f"{RFIS}/2001/replies", body=requests.exceptions.ReadTimeout("answer lost"))
    with_answers(mocked, answer(int(ME)))  # ... which Procore did record, so the retry finds it
    mocked.get(f"{RFIS}/2001/replies", json=[answer(int(ME))])

    with pytest.raises(ProviderUnavailable):
        post(account, "rfi", "2001")
    post(account, "rfi", "2001")

    assert [c.request.method for c in mocked.calls] == ["GET", "POST", "GET", "GET"]


def test_a_retried_response_whose_first_answer_was_lost_patches_the_same_approver_step_again(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    with_my_approver(mocked)  # 801 answered long ago, 802 waiting
    mocked.patch(APPROVER, body=requests.exceptions.ReadTimeout("answer lost"))
    answered = [
        {"id": 801, "user": {"id": int(ME)}, "returned_date": "2026-02-01", "response": {"id": 3}},
        {"id": 802, "user": {"id": int(ME)}, "returned_date": "2026-03-03", "response": {"id": 2}},
    ]
    mocked.get(f"{SUBMITTALS}/1001", json=submittal(1, approvers=answered))
    mocked.patch(APPROVER, json=[{"id": 802, "submittal_response_id": 2, "comment": "See markups."}])

    with pytest.raises(ProviderUnavailable):
        post(account)
    post(account)

    patches = [c.request for c in mocked.calls if c.request.method == "PATCH"]
    assert [sent_url(p).split("?")[0] for p in patches] == [APPROVER, APPROVER]  # not 801, the step answered before
    assert json.loads(sent_body(patches[0])) == json.loads(sent_body(patches[1]))


HOOKS = f"{PROCORE}/rest/v1.0/webhooks/hooks"


def register(account: ProviderAccount, url: str = "https://portal.example.com/hook/") -> str:
    return get_provider("procore").register_webhooks(
        account=account, company_id=COMPANY, project_id=PROJECT, destination_url=url, authorization="Bearer s3cret"
    )


def test_webhooks_register_a_project_hook_with_create_update_delete_triggers_for_rfis_and_submittals(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(HOOKS, json=[])
    mocked.post(HOOKS, json={"id": 31, "destination_url": "https://portal.example.com/hook/"}, status=201)
    mocked.post(f"{HOOKS}/31/triggers", json={"id": 1}, status=201)
    mocked.delete(f"{HOOKS}/31", status=204)
    procore = get_provider("procore")

    hook_id = register(account)
    procore.unregister_webhooks(account=account, company_id=COMPANY, project_id=PROJECT, hook_id=hook_id)

    listing = mocked.calls[0].request
    assert sent_query(listing) == {
        "company_id": [COMPANY],
        "project_id": [PROJECT],
        "namespace": ["newforma-connector"],
    }
    bodies = [json.loads(sent_body(c.request)) for c in mocked.calls[1:8]]
    assert hook_id == "31"
    assert bodies[0] == {
        "project_id": 61,
        "hook": {
            "api_version": "v4.0",  # v2.0 is legacy
            "namespace": "newforma-connector",
            "destination_url": "https://portal.example.com/hook/",
            "destination_headers": {"Authorization": "Bearer s3cret"},
        },
    }
    triggers = {(b["trigger"]["resource_name"], b["trigger"]["event_type"]) for b in bodies[1:]}
    assert triggers == {(r, e) for r in ("RFIs", "Submittals") for e in ("create", "update", "delete")}
    assert all(b["project_id"] == 61 and b["api_version"] == "v2" for b in bodies[1:])
    delete = mocked.calls[8].request
    assert sent_query(delete) == {"company_id": [COMPANY], "project_id": [PROJECT]}


def test_a_rerun_removes_the_hook_whose_creation_answer_was_lost_and_ends_with_one_hook(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    url = "https://portal.example.com/hook/"
    mocked.get(HOOKS, json=[])
    mocked.post(HOOKS, body=requests.exceptions.ReadTimeout("answer lost"))  # Procore made hook 30 all the same
    mocked.get(
        HOOKS,
        json=[
            {"id": 30, "namespace": "newforma-connector", "destination_url": url, "destination_headers": {}},
            {"id": 29, "namespace": "another-app", "destination_url": url},
            {"id": 28, "namespace": "newforma-connector", "destination_url": "https://portal.example.com/other/"},
        ],
    )
    mocked.delete(f"{HOOKS}/30", status=204)
    mocked.post(HOOKS, json={"id": 32}, status=201)
    mocked.post(f"{HOOKS}/32/triggers", json={"id": 1}, status=201)

    with pytest.raises(ProviderUnavailable):
        register(account, url)
    hook_id = register(account, url)

    sent = [f"{c.request.method} {c.request.path_url.split('?')[0].removeprefix('/procore')}" for c in mocked.calls]
    hooks = "/rest/v1.0/webhooks/hooks"
    assert hook_id == "32"
    assert sent[:3] == [f"GET {hooks}", f"POST {hooks}", f"GET {hooks}"]
    assert sent[3] == f"DELETE {hooks}/30"  # only the orphan: not another app's hook, nor another link's
    assert sent[4:] == [f"POST {hooks}", *[f"POST {hooks}/32/triggers"] * 6]


def test_when_the_hooks_cannot_be_listed_no_hook_is_made(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(HOOKS, json={"errors": "no"}, status=403)

    with pytest.raises(AccessBlocked):
        register(account)

    assert [c.request.method for c in mocked.calls] == ["GET"]


def test_a_failed_trigger_reports_its_own_error_even_when_removing_the_half_made_hook_fails(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(HOOKS, json=[])
    mocked.post(HOOKS, json={"id": 31}, status=201)
    mocked.post(f"{HOOKS}/31/triggers", json={"error": "no access"}, status=422)
    mocked.delete(f"{HOOKS}/31", status=500)

    with pytest.raises(UnexpectedAnswer) as caught:
        register(account)

    assert "triggers -> 422" in caught.value.detail
    assert [c.request.method for c in mocked.calls] == ["GET", "POST", "POST", "DELETE"]


def test_each_page_tells_the_listings_total_and_the_requests_it_took(
    mocked: responses.RequestsMock, account: ProviderAccount, make_account: Callable[..., ProviderAccount]
) -> None:
    mocked.get(SUBMITTALS, json=[submittal(n) for n in range(300)], headers=link_header(SUBMITTALS, 1, 2))
    mocked.get(SUBMITTALS, status=503, headers={"Retry-After": "1"})  # busy once: the second page costs two requests
    mocked.get(SUBMITTALS, json=[submittal(300)], headers=link_header(SUBMITTALS, 2, 2))

    pages = list_items(account)

    assert [(len(p), p.total, p.calls) for p in pages] == [(300, 301, 1), (1, 301, 2)]
    assert pages[1] == pages[1][:]  # still a plain list to callers that only iterate


def test_a_token_refresh_before_a_page_is_counted_on_that_page(
    mocked: responses.RequestsMock, make_account: Callable[..., ProviderAccount]
) -> None:
    account = make_account("procore", provider_user_id=ME, expires_in=0)
    mocked.post(f"{PROCORE}/oauth/token", json=token_answer())
    mocked.get(RFIS, json=[rfi(1)], headers={"Total": "1"})

    [page] = list_items(account, "rfi")

    assert (page.total, page.calls) == (1, 2)
