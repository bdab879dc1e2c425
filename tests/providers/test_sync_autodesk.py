"""Autodesk's side of the sync engine with mocked HTTP: ACC RFIs (v3 search) and BIM 360 RFIs (v2), ACC submittal
items, response categories, and closing the reviewer's task / answering an RFI."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import requests
import responses

from providers import autodesk
from providers.errors import (
    AccessBlocked,
    NotFound,
    ProviderUnavailable,
    RateLimited,
    ToolUnavailable,
    UnexpectedAnswer,
)
from providers.models import ProviderAccount
from providers.registry import get_provider
from providers.types import NO_FACTS, ItemKind, ItemPage, ProjectFacts, ProviderItem
from tests.providers.conftest import AUTODESK, sent_body, sent_query, sent_url

PROJECT, HUB, ME = "b.proj-1", "b.hub-1", "ADSK-ME"
RFI_SEARCH = f"{AUTODESK}/construction/rfis/v3/projects/proj-1/search:rfis"
CONTAINER = "rfis-container-1"  # the project's RFIs container: not its id
DM_PROJECT = f"{AUTODESK}/project/v1/hubs/{HUB}/projects/{PROJECT}"
BIM360_RFIS = f"{AUTODESK}/bim360/rfis/v2/containers/{CONTAINER}/rfis"
ITEMS = f"{AUTODESK}/construction/submittals/v2/projects/proj-1/items"


HUB_DETAIL = f"{AUTODESK}/project/v1/hubs/{HUB}"
# The project's facts as the connect flow read them from Data Management and the link keeps them.
ACC = ProjectFacts(project_type="ACC", rfi_container_id=CONTAINER, region="US")
BIM360 = ProjectFacts(project_type="BIM360", rfi_container_id=CONTAINER, region="US")


@pytest.fixture
def account(make_account: Callable[..., ProviderAccount]) -> ProviderAccount:
    return make_account("autodesk", provider_user_id=ME)


def hub_detail(region: str) -> dict[str, Any]:
    return {"data": {"type": "hubs", "id": HUB, "attributes": {"name": "Nordic", "region": region}}}


def rfi(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"rfi-{n}",
        "customIdentifier": str(n),
        "title": f"Question {n}",
        "status": "open",
        "assignedTo": [{"id": "OTHER", "type": "user"}],
        "dueDate": "2026-04-01",
        "updatedAt": "2026-03-02T09:00:00.000Z",
        **fields,
    }


def item(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"item-{n}",
        "customIdentifierHumanReadable": f"05 12 00-{n}",
        "title": f"Shop drawings {n}",
        "revision": 0,
        "statusId": "2",
        "stateId": "rev",
        "ballInCourtUsers": ["OTHER"],
        "responseId": None,
        "updatedAt": "2026-03-02T09:00:00Z",
        **fields,
    }


def page(results: list[dict[str, Any]], offset: int, total: int, limit: int) -> dict[str, Any]:
    return {"pagination": {"limit": limit, "offset": offset, "totalResults": total}, "results": results}


def list_items(
    account: ProviderAccount,
    kind: ItemKind,
    since: dt.datetime | None = None,
    facts: ProjectFacts = ACC,
    stored: Callable[[Any], set[str]] | None = None,
) -> list[ItemPage[ProviderItem]]:
    return list(
        get_provider("autodesk").list_items_changed_since(
            account=account,
            company_id=HUB,
            project_id=PROJECT,
            kind=kind,
            since=since,
            receiving_user_id=ME,
            facts=facts,
            stored=stored,
        )
    )


def no_reviews_by_anyone(mocked: responses.RequestsMock) -> None:
    """Every submittal's workflow, read on a full listing for the items whose ball is not the user's: no steps."""
    mocked.get(re.compile(rf"{re.escape(ITEMS)}/[^/]+/steps"), json=page([], 0, 0, 0))


def test_acc_rfis_are_searched_200_at_a_time_to_the_end_with_the_date_filter(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.post(RFI_SEARCH, json=page([rfi(n) for n in range(200)], 0, 201, 200))
    mocked.post(RFI_SEARCH, json=page([rfi(200)], 200, 201, 200))

    pages = list_items(account, "rfi", since=dt.datetime(2026, 3, 1, 8, 55, tzinfo=dt.UTC))

    assert [len(p) for p in pages] == [200, 1]
    bodies = [json.loads(sent_body(c.request)) for c in mocked.calls]
    assert bodies == [
        {"limit": 200, "offset": 0, "filter": {"updatedAt": "2026-03-01T08:55:00Z..2100-01-01T00:00:00Z"}},
        {"limit": 200, "offset": 200, "filter": {"updatedAt": "2026-03-01T08:55:00Z..2100-01-01T00:00:00Z"}},
    ]


def dm_project(container: str | None = CONTAINER, project_type: str = "BIM360") -> dict[str, Any]:
    relationships = {"rfis": {"data": {"type": "rfisContainerId", "id": container}}} if container else {}
    attributes = {"name": "Riverside", "extension": {"data": {"projectType": project_type}}}
    return {"data": {"type": "projects", "id": PROJECT, "attributes": attributes, "relationships": relationships}}


def bim360_rfi(n: int, assigned: str) -> dict[str, Any]:
    """A BIM 360 v2 RFI: fields under `attributes`, one `assignedTo` id with its `assignedToType`."""
    fields = {k: v for k, v in rfi(n).items() if k not in ("id", "assignedTo")}
    return {
        "id": f"rfi-{n}",
        "type": "rfis",
        "attributes": {**fields, "assignedTo": assigned, "assignedToType": "user"},
    }


def test_a_bim360_link_goes_straight_to_the_bim360_rfi_api_and_asks_no_submittals(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    """Any worker knows a BIM 360 project from the facts the link keeps: ACC's APIs are never tried first."""
    mocked.get(BIM360_RFIS, json=page([rfi(1)], 0, 1, 200))

    rfis = list_items(account, "rfi", facts=BIM360)
    submittals = list_items(account, "submittal", facts=BIM360)

    assert [len(p) for p in rfis] == [1] and submittals == []
    assert [sent_url(c.request).split("?")[0] for c in mocked.calls] == [BIM360_RFIS]
    assert sent_query(mocked.calls[0].request) == {"limit": ["200"], "offset": ["0"]}


def test_a_link_without_facts_reads_the_project_from_data_management_once_and_says_so(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    """A link made before the facts were kept: the project and its hub are read, counted, and handed back."""
    mocked.get(DM_PROJECT, json=dm_project())
    mocked.get(HUB_DETAIL, json=hub_detail("EMEA"))
    mocked.get(BIM360_RFIS, json=page([bim360_rfi(1, ME)], 0, 1, 200))
    provider = get_provider("autodesk")
    told: list[ProjectFacts] = []
    provider.on_project_facts = told.append

    [rfis] = provider.list_items_changed_since(
        account=account, company_id=HUB, project_id=PROJECT, kind="rfi", since=None, receiving_user_id=ME
    )

    assert told == [ProjectFacts(project_type="BIM360", rfi_container_id=CONTAINER, region="EMEA")]
    assert [sent_url(c.request).split("?")[0] for c in mocked.calls] == [DM_PROJECT, HUB_DETAIL, BIM360_RFIS]
    assert rfis.calls == 3
    assert rfis[0].url.startswith("https://docs.b360.eu.autodesk.com/")


def test_bim360_rfis_are_read_from_the_projects_rfis_container_and_assigned_to_one_user(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(BIM360_RFIS, json=page([bim360_rfi(1, "OTHER"), bim360_rfi(2, ME)], 0, 2, 200))

    [rfis] = list_items(account, "rfi", facts=BIM360)

    assert [sent_url(c.request).split("?")[0] for c in mocked.calls] == [BIM360_RFIS]
    assert [(i.provider_id, i.for_receiving_user) for i in rfis] == [("rfi-1", False), ("rfi-2", True)]


def test_a_bim360_project_without_an_rfis_container_says_what_to_check(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    # The link kept no container (the RFIs tool was off at connect): Data Management is asked again, still none.
    mocked.get(DM_PROJECT, json=dm_project(None))
    mocked.get(HUB_DETAIL, json=hub_detail("US"))

    with pytest.raises(UnexpectedAnswer, match="RFIs tool is activated"):
        list_items(account, "rfi", facts=ProjectFacts(project_type="BIM360", region="US"))


def test_submittal_items_are_read_50_at_a_time(mocked: responses.RequestsMock, account: ProviderAccount) -> None:
    mocked.get(ITEMS, json=page([item(n) for n in range(50)], 0, 60, 50))
    mocked.get(ITEMS, json=page([item(n) for n in range(50, 60)], 50, 60, 50))

    pages = list_items(account, "submittal", since=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))

    assert [len(p) for p in pages] == [50, 10]
    queries = [sent_query(c.request) for c in mocked.calls]
    assert [q["offset"] for q in queries] == [["0"], ["50"]]
    assert all(q["limit"] == ["50"] for q in queries)
    assert queries[0]["filter[updatedAt]"] == ["2026-02-28..2100-01-01"]


@pytest.mark.parametrize(
    ("since", "dates"),
    [
        (dt.datetime(2026, 3, 1, 23, 59, 30, tzinfo=dt.UTC), "2026-02-28..2100-01-01"),
        (dt.datetime(2026, 3, 2, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))), "2026-02-28..2100-01-01"),
    ],
)
def test_submittals_are_filtered_by_dates_from_the_day_before_since(
    mocked: responses.RequestsMock, account: ProviderAccount, since: dt.datetime, dates: str
) -> None:
    mocked.get(ITEMS, json=page([item(1)], 0, 1, 50))

    list_items(account, "submittal", since=since)

    assert sent_query(mocked.calls[0].request)["filter[updatedAt]"] == [dates]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}(\.\.\d{4}-\d{2}-\d{2})?", dates)  # construction.json's pattern


def test_only_items_where_the_user_is_assignee_or_ball_in_court_are_for_them(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.post(RFI_SEARCH, json=page([rfi(1), rfi(2, assignedTo=[{"id": ME, "type": "user"}])], 0, 2, 200))
    mocked.get(ITEMS, json=page([item(1), item(2, ballInCourtUsers=[ME])], 0, 2, 50))
    no_reviews_by_anyone(mocked)

    rfis = list_items(account, "rfi")[0]
    submittals = list_items(account, "submittal")[0]

    assert [i.for_receiving_user for i in rfis] == [False, True]
    assert [i.for_receiving_user for i in submittals] == [False, True]


def test_acc_rfis_are_the_users_by_assignedto_alone_their_own_their_roles_or_their_companys(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    """v3 RFIs have no `ballInCourt` (PROVIDERS.md): a `ballInCourt` some answer might carry is not read."""
    listed = [
        rfi(1, ballInCourt=[ME]),  # not a v3 field: assigned to OTHER, so not theirs
        rfi(2, assignedTo=[{"id": MY_ROLE, "type": "role"}]),
        rfi(3, assignedTo=[{"id": MY_COMPANY, "type": "company"}]),
        rfi(4, assignedTo=[{"id": "role-engineer", "type": "role"}]),
    ]
    mocked.post(RFI_SEARCH, json=page(listed, 0, 4, 200))
    mocked.get(ADMIN_ME, json=project_user())

    [rfis] = list_items(account, "rfi")

    assert [i.for_receiving_user for i in rfis] == [False, True, True, False]
    assert rfis[1].ball_in_court == (MY_ROLE,)


def test_items_read_with_status_closed_revision_and_url(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(
        ITEMS,
        json=page(
            [item(1, statusId="3"), item(2, id="item-2b", customIdentifierHumanReadable="05 12 00-1", revision=1)],
            0,
            2,
            50,
        ),
    )
    no_reviews_by_anyone(mocked)
    mocked.post(RFI_SEARCH, json=page([rfi(1, status="closed"), rfi(2, status="answered")], 0, 2, 200))

    old, new = list_items(account, "submittal")[0]
    closed, answered = list_items(account, "rfi")[0]

    assert old.closed and old.status == "Closed" and old.number == "05 12 00-1"
    assert new.predecessor_id == "item-1" and new.revision == "1" and not new.closed
    assert new.url == "https://acc.autodesk.com/build/submittals/projects/proj-1/items/item-2b"
    assert closed.closed and not answered.closed and answered.status == "Open"
    assert answered.due_date == dt.date(2026, 4, 1)
    assert answered.updated_at == dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_response_options_take_their_meaning_from_the_category(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(
        f"{AUTODESK}/construction/submittals/v2/projects/proj-1/responses",
        json=page(
            [
                {"id": "r1", "value": "Reviewed - no exceptions", "categoryId": 1},
                {"id": "r2", "value": "Revise and resubmit", "categoryId": 2},
                {"id": "r3", "value": "Rejected", "categoryId": 3},
            ],
            0,
            3,
            3,
        ),
    )

    options = get_provider("autodesk").list_response_options(
        account=account, company_id=HUB, project_id=PROJECT, kind="submittal"
    )

    assert [(o.id, o.name, o.standard) for o in options] == [
        ("r1", "Reviewed - no exceptions", "approved"),
        ("r2", "Revise and resubmit", "revise and resubmit"),
        ("r3", "Rejected", "rejected"),
    ]


def post(
    account: ProviderAccount, kind: ItemKind = "submittal", item_id: str = "item-1", facts: ProjectFacts = ACC
) -> None:
    get_provider("autodesk").post_response(
        facts=facts,
        account=account,
        company_id=HUB,
        project_id=PROJECT,
        kind=kind,
        item_id=item_id,
        receiving_user_id=ME,
        option_id="r2",
        comment="Revise the anchors.",
    )


def with_steps(mocked: responses.RequestsMock) -> str:
    tasks = [
        {"id": "t-other", "assignedTo": "OTHER", "status": "in-progress"},
        {"id": "t-mine", "assignedTo": ME, "status": "in-progress"},
    ]
    mocked.get(f"{ITEMS}/item-1/steps", json=page([{"id": "s1", "status": "in-progress", "tasks": tasks}], 0, 1, 1))
    return f"{ITEMS}/item-1/steps/s1/tasks/t-mine:close"


def test_a_response_closes_the_receiving_users_review_task(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    close = with_steps(mocked)
    mocked.post(close, json={"id": "t-mine", "status": "completed"})

    post(account)

    assert mocked.calls[-1].request.url == close
    assert json.loads(sent_body(mocked.calls[-1].request)) == {
        "responseId": "r2",
        "responseComment": "Revise the anchors.",
    }


def test_without_a_review_task_the_refusal_says_so(mocked: responses.RequestsMock, account: ProviderAccount) -> None:
    mocked.get(f"{ITEMS}/item-1/steps", json=page([], 0, 0, 0))

    with pytest.raises(NotFound, match="no review task"):
        post(account)


@pytest.mark.parametrize(
    ("status", "words"),
    [(422, "closed"), (400, "did not accept"), (403, "does not allow your account")],
)
def test_a_refused_review_says_why(
    mocked: responses.RequestsMock, account: ProviderAccount, status: int, words: str
) -> None:
    close = with_steps(mocked)
    mocked.post(close, json={"errors": [{"detail": "no"}]}, status=status)

    with pytest.raises(UnexpectedAnswer, match=words):
        post(account)


RFI_1 = f"{AUTODESK}/construction/rfis/v3/projects/proj-1/rfis/rfi-1"


def test_a_hub_without_the_app_is_still_an_access_problem(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    close = with_steps(mocked)
    mocked.post(close, json={"errors": [{"detail": "not added under Custom Integrations"}]}, status=403)

    with pytest.raises(AccessBlocked, match="Custom Integrations"):
        post(account)


@pytest.mark.parametrize(
    ("kind", "detail", "words"),
    [
        ("submittal", "You do not have permission in the Submittals tool of this project.", "Submittals tool"),
        ("rfi", "You do not have permission in the RFIs tool of this project.", "RFIs tool"),
        ("rfi", "You are not a member of this project.", "not a member of the project"),
    ],
)
def test_a_project_or_tool_403_is_not_the_hubs_custom_integrations(
    mocked: responses.RequestsMock, account: ProviderAccount, kind: ItemKind, detail: str, words: str
) -> None:
    body = {"errors": [{"status": "403", "code": "BIM360DM_ERROR", "title": "Forbidden", "detail": detail}]}
    mocked.get(ITEMS, json=body, status=403)
    mocked.post(RFI_SEARCH, json=body, status=403)

    with pytest.raises(ToolUnavailable) as caught:
        list_items(account, kind)

    assert words in caught.value.message and "project administrator" in caught.value.message
    assert "Custom Integrations" not in caught.value.message


def test_a_hub_refusal_on_a_project_api_still_says_custom_integrations(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    refused = {"errors": [{"detail": "The app is not added under Custom Integrations of this account."}]}
    mocked.post(RFI_SEARCH, json=refused, status=403)

    with pytest.raises(AccessBlocked) as caught:
        list_items(account, "rfi")

    assert not isinstance(caught.value, ToolUnavailable) and "Custom Integrations" in caught.value.message


def test_an_rfi_answer_refused_for_want_of_tool_permission_says_which_permission(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(RFI_1, json=rfi(1, responses=[]))
    detail = "You do not have permission in the RFIs tool of this project."
    mocked.post(f"{RFI_1}/responses", json={"errors": [{"detail": detail}]}, status=403)

    with pytest.raises(ToolUnavailable, match="permission in the project's RFIs tool"):
        post(account, "rfi", "rfi-1")


def test_429_and_503_carry_retry_after(
    mocked: responses.RequestsMock, account: ProviderAccount, sleeps: list[float]
) -> None:
    url = f"{RFI_1}/responses"
    mocked.get(RFI_1, json=rfi(1, responses=[]))
    mocked.post(url, status=429, headers={"Retry-After": "90"})
    mocked.post(url, status=503, headers={"Retry-After": "300"})

    with pytest.raises(RateLimited) as limited:
        post(account, "rfi", "rfi-1")
    with pytest.raises(ProviderUnavailable) as down:
        post(account, "rfi", "rfi-1")

    assert limited.value.retry_after == 90 and down.value.retry_after == 300 and sleeps == []


def response(author: str, text: str = "Revise the anchors.") -> dict[str, Any]:
    """An RFI response as ACC's RFI detail embeds it."""
    return {"id": "resp-0", "text": text, "status": "answered", "createdBy": author, "onBehalf": None}


def test_an_rfi_answer_posts_the_comment_as_the_responses_text_and_status(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(RFI_1, json=rfi(1, responses=[response("OTHER"), response(ME, "Use M16.")]))
    mocked.post(f"{RFI_1}/responses", json={"id": "resp-1"}, status=201)

    post(account, "rfi", "rfi-1")

    assert [c.request.method for c in mocked.calls] == ["GET", "POST"]
    assert json.loads(sent_body(mocked.calls[-1].request)) == {"text": "Revise the anchors.", "status": "answered"}


def test_an_rfi_whose_detail_has_no_responses_is_answered_without_an_undocumented_listing(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(RFI_1, json=rfi(1))  # Autodesk documents no GET .../rfis/{rfiId}/responses: none is asked
    mocked.post(f"{RFI_1}/responses", json={"id": "resp-1"}, status=201)

    post(account, "rfi", "rfi-1")

    assert [(c.request.method, c.request.url) for c in mocked.calls] == [("GET", RFI_1), ("POST", f"{RFI_1}/responses")]


def test_an_rfi_answer_without_text_is_refused_before_autodesk_with_what_to_do(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    with pytest.raises(UnexpectedAnswer, match="only with its text"):
        get_provider("autodesk").post_response(
            facts=ACC,
            account=account,
            company_id=HUB,
            project_id=PROJECT,
            kind="rfi",
            item_id="rfi-1",
            receiving_user_id=ME,
            option_id="",
            comment="  ",
        )

    assert len(mocked.calls) == 0


def test_an_rfi_answer_already_at_autodesk_from_the_user_is_not_posted_again(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(RFI_1, json=rfi(1, responses=[response(ME, "Revise the\nanchors. ")]))

    post(account, "rfi", "rfi-1")

    assert {c.request.method for c in mocked.calls} == {"GET"}


def test_a_retried_rfi_answer_whose_first_answer_was_lost_is_posted_once(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(RFI_1, json=rfi(1, responses=[]))
    mocked.post(f"{RFI_1}/responses", body=requests.exceptions.ReadTimeout("answer lost"))
    mocked.get(RFI_1, json=rfi(1, responses=[response(ME)]))

    with pytest.raises(ProviderUnavailable):
        post(account, "rfi", "rfi-1")
    post(account, "rfi", "rfi-1")

    assert [c.request.method for c in mocked.calls] == ["GET", "POST", "GET"]


def closed_steps(mocked: responses.RequestsMock, response_id: str, comment: str | None) -> str:
    earlier = {"id": "t-old", "assignedTo": ME, "status": "completed", "responseId": "r3", "responseComment": None}
    task: dict[str, str | None] = {"id": "t-mine", "assignedTo": ME, "status": "completed", "responseId": response_id}
    task["responseComment"] = comment
    steps = [
        {"id": "s0", "status": "completed", "tasks": [earlier]},
        {"id": "s1", "status": "completed", "tasks": [task]},
    ]
    mocked.get(f"{ITEMS}/item-1/steps", json=page(steps, 0, 2, 2))
    return f"{ITEMS}/item-1/steps/s0/tasks/t-old:close"


def test_a_retried_review_whose_task_was_closed_by_the_lost_first_attempt_counts_as_delivered(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    close = with_steps(mocked)
    mocked.post(close, body=requests.exceptions.ReadTimeout("answer lost"))
    closed_steps(mocked, "r2", "Revise the anchors.")

    with pytest.raises(ProviderUnavailable):
        post(account)
    post(account)

    assert [c.request.method for c in mocked.calls] == ["GET", "POST", "GET"]


@pytest.mark.parametrize(("response_id", "comment"), [("r1", "Revise the anchors."), ("r2", "Something else.")])
def test_a_task_closed_with_another_response_is_left_for_autodesk_to_judge(
    mocked: responses.RequestsMock, account: ProviderAccount, response_id: str, comment: str
) -> None:
    close = closed_steps(mocked, response_id, comment)
    mocked.post(close, json={"errors": [{"detail": "Task already closed"}]}, status=422)

    with pytest.raises(UnexpectedAnswer, match="closed"):
        post(account)


def test_pages_tell_autodesks_total_results_and_the_requests_they_took(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(ITEMS, json=page([item(n) for n in range(50)], 0, 60, 50))
    mocked.get(ITEMS, json=page([item(n) for n in range(50, 60)], 50, 60, 50))

    # Listed since the last sync, none the user's or kept, none closed: no workflow is read.
    pages = list_items(account, "submittal", since=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), stored=lambda ids: set())

    assert [(len(p), p.total, p.calls) for p in pages] == [(50, 60, 1), (10, 60, 1)]


def test_the_requests_that_find_a_bim360_project_has_no_submittals_are_still_counted(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(DM_PROJECT, json=dm_project())
    mocked.get(HUB_DETAIL, json=hub_detail("US"))

    first = list_items(account, "submittal", facts=NO_FACTS)
    again = list_items(account, "submittal", facts=BIM360)

    assert [(len(p), p.calls) for p in first] == [(0, 2)]
    assert again == []  # known to be BIM 360: nothing asked, nothing to count


ADMIN_ME = f"{AUTODESK}/construction/admin/v1/projects/proj-1/users/{ME}"
MY_ROLE, MY_COMPANY = "role-architect", "company-acme"


def project_user() -> dict[str, Any]:
    """The receiving user as the Account Admin API's project user gives them: their roles and company."""
    return {
        "autodeskId": ME,
        "companyId": MY_COMPANY,
        "roleIds": [MY_ROLE],
        "roles": [{"id": MY_ROLE, "name": "Architect"}],
        "status": "active",
    }


def test_submittals_in_the_court_of_the_users_role_or_company_are_theirs(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    listed = [
        item(1, ballInCourtUsers=[], ballInCourtRoles=[MY_ROLE]),
        item(2, ballInCourtUsers=[], ballInCourtCompanies=[MY_COMPANY]),
        item(3, ballInCourtUsers=[], ballInCourtRoles=["role-engineer"], ballInCourtCompanies=["company-other"]),
        item(4, ballInCourtUsers=[ME]),
    ]
    mocked.get(ITEMS, json=page(listed, 0, 4, 50))
    mocked.get(ADMIN_ME, json=project_user())
    no_reviews_by_anyone(mocked)

    [submittals] = list_items(account, "submittal")

    assert [i.for_receiving_user for i in submittals] == [True, True, False, True]
    # The user's roles and company are read once per sync, and counted with the page (with each item's workflow:
    # the user's items for their reviewers, item 3 to tell whether it was theirs).
    steps = [f"{ITEMS}/item-{n}/steps" for n in (1, 2, 3, 4)]
    assert [sent_url(c.request).split("?")[0] for c in mocked.calls] == [ITEMS, ADMIN_ME, *steps]
    assert submittals.calls == 6


def test_a_user_unknown_to_the_admin_api_holds_only_their_own_items(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(ITEMS, json=page([item(1, ballInCourtUsers=[], ballInCourtRoles=[MY_ROLE])], 0, 1, 50))
    mocked.get(ADMIN_ME, json={"errors": [{"title": "Not found"}]}, status=404)
    no_reviews_by_anyone(mocked)

    [submittals] = list_items(account, "submittal")

    assert [i.for_receiving_user for i in submittals] == [False]


def test_a_response_closes_the_task_of_the_users_role_or_company(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    tasks = [
        {"id": "t-other", "assignedTo": "role-engineer", "assignedToType": "role", "status": "in-progress"},
        {"id": "t-company", "assignedTo": MY_COMPANY, "assignedToType": "company", "status": "in-progress"},
    ]
    mocked.get(f"{ITEMS}/item-1/steps", json=page([{"id": "s1", "status": "in-progress", "tasks": tasks}], 0, 1, 1))
    mocked.get(ADMIN_ME, json=project_user())
    close = f"{ITEMS}/item-1/steps/s1/tasks/t-company:close"
    mocked.post(close, json={"id": "t-company", "status": "completed"})

    post(account)

    assert mocked.calls[-1].request.url == close


def test_a_closed_submittal_the_user_reviewed_is_theirs_although_the_ball_has_left_them(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    since = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    reviewed = item(1, statusId="3", ballInCourtUsers=["SUBCONTRACTOR"])
    others = item(2, statusId="3", ballInCourtUsers=["SUBCONTRACTOR"])
    stale = item(3, statusId="3", ballInCourtUsers=[], updatedAt="2026-03-01T09:00:00Z")  # closed before `since`
    mocked.get(ITEMS, json=page([reviewed, others, stale], 0, 3, 50))
    mine = {"id": "t-1", "assignedTo": MY_ROLE, "assignedToType": "role", "status": "completed"}
    theirs = {"id": "t-2", "assignedTo": "OTHER", "assignedToType": "user", "status": "completed"}
    mocked.get(f"{ITEMS}/item-1/steps", json=page([{"id": "s1", "tasks": [mine]}], 0, 1, 1))
    mocked.get(f"{ITEMS}/item-2/steps", json=page([{"id": "s2", "tasks": [theirs]}], 0, 1, 1))
    mocked.get(ADMIN_ME, json=project_user())

    [submittals] = list_items(account, "submittal", since=since)

    assert [(i.closed, i.for_receiving_user) for i in submittals] == [(True, True), (True, False), (True, False)]
    assert f"{ITEMS}/item-3/steps" not in [sent_url(c.request) for c in mocked.calls]


def test_a_first_sync_finds_the_closed_and_superseded_submittals_the_user_reviewed_through_their_workflow(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    """The list says only who holds the ball now: a submittal closed (or revised) before the link's first sync is
    the user's when one of its review tasks was theirs, and its next revision arrives linked to it."""
    superseded = item(1, statusId="3", ballInCourtUsers=[], customIdentifierHumanReadable="08 44 13", revision=0)
    revision = item(2, ballInCourtUsers=[ME], customIdentifierHumanReadable="08 44 13", revision=1)
    moved_on = item(3, ballInCourtUsers=["GC"])  # open, reviewed by the user, now with the contractor
    others = item(4, statusId="3", ballInCourtUsers=[])
    kept = item(5, ballInCourtUsers=["GC"])  # stored already: followed whoever holds it
    mocked.get(ITEMS, json=page([superseded, revision, moved_on, others, kept], 0, 5, 50))
    done = {"id": "t-1", "assignedTo": ME, "assignedToType": "user", "status": "completed"}
    theirs = {"id": "t-2", "assignedTo": "OTHER", "assignedToType": "user", "status": "completed"}
    mocked.get(f"{ITEMS}/item-1/steps", json=page([{"id": "s1", "tasks": [done]}], 0, 1, 1))
    mocked.get(f"{ITEMS}/item-3/steps", json=page([{"id": "s3", "tasks": [done]}], 0, 1, 1))
    mocked.get(f"{ITEMS}/item-4/steps", json=page([{"id": "s4", "tasks": [theirs]}], 0, 1, 1))
    no_reviews_by_anyone(mocked)  # items 2 and 5

    [submittals] = list_items(account, "submittal", stored=lambda ids: {"item-5"} & set(ids))

    assert [i.for_receiving_user for i in submittals] == [True, True, True, False, False]
    assert submittals[1].predecessor_id == "item-1"
    # Each workflow is read once: to tell whose an item was and for its reviewers alike (item 5, kept, for these).
    read = [sent_url(c.request).split("?")[0] for c in mocked.calls]
    assert [read.count(f"{ITEMS}/item-{n}/steps") for n in range(1, 6)] == [1, 1, 1, 1, 1]


@pytest.mark.parametrize(
    ("status_id", "words", "closed"),
    [
        ("1", "Required", False),
        ("2", "Open", False),
        ("3", "Closed", True),
        ("4", "Void", True),
        ("5", "Empty", False),
        ("6", "Draft", False),
        ("17", "17", False),  # a project's own status, not documented: kept as it comes
    ],
)
def test_every_documented_submittal_status_id_has_its_words(
    mocked: responses.RequestsMock, account: ProviderAccount, status_id: str, words: str, closed: bool
) -> None:
    mocked.get(ITEMS, json=page([item(1, statusId=status_id, ballInCourtUsers=[ME])], 0, 1, 50))
    no_reviews_by_anyone(mocked)

    [[submittal]] = list_items(account, "submittal")

    assert (submittal.status, submittal.closed) == (words, closed)


@pytest.mark.parametrize(
    ("status", "words", "closed"),
    [
        ("openRev1", "Open", False),
        ("openRev2", "Open", False),
        ("answeredRev1", "Open", False),
        ("answeredManager", "Open", False),
        ("submitted", "Submitted", False),
        ("rejected", "Rejected", False),
        ("void", "Void", True),
        ("onHold", "onHold", False),  # undocumented: kept as text
    ],
)
def test_acc_rfi_review_workflow_statuses_are_open(
    mocked: responses.RequestsMock, account: ProviderAccount, status: str, words: str, closed: bool
) -> None:
    mocked.post(RFI_SEARCH, json=page([rfi(1, status=status)], 0, 1, 200))

    [[one]] = list_items(account, "rfi")

    assert (one.status, one.closed) == (words, closed)


@pytest.mark.parametrize(("region", "host"), [("EMEA", "acc.autodesk.eu"), ("US", "acc.autodesk.com")])
def test_item_links_use_the_host_of_the_hubs_region(
    mocked: responses.RequestsMock, account: ProviderAccount, region: str, host: str
) -> None:
    mocked.get(ITEMS, json=page([item(1, ballInCourtUsers=[ME])], 0, 1, 50))
    mocked.post(RFI_SEARCH, json=page([rfi(1)], 0, 1, 200))
    no_reviews_by_anyone(mocked)
    facts = ProjectFacts(project_type="ACC", region=region)

    [[submittal]] = list_items(account, "submittal", facts=facts)
    [[one]] = list_items(account, "rfi", facts=facts)

    assert submittal.url == f"https://{host}/build/submittals/projects/proj-1/items/item-1"
    assert one.url == f"https://{host}/build/rfis/projects/proj-1?preview=rfi-1"
    # The region is the link's: the hub is not asked.
    assert HUB_DETAIL not in [c.request.url for c in mocked.calls]


@pytest.mark.parametrize(("region", "read"), [({"data": {}}, "US"), (hub_detail("EMEA"), "EMEA")])
def test_a_hub_that_names_no_region_is_us(
    mocked: responses.RequestsMock, account: ProviderAccount, region: dict[str, Any], read: str
) -> None:
    mocked.get(DM_PROJECT, json=dm_project(project_type="ACC"))
    mocked.get(HUB_DETAIL, json=region)

    provider = get_provider("autodesk")
    assert isinstance(provider, autodesk.Autodesk)
    facts = provider.project_facts(account, HUB, PROJECT)

    assert facts == ProjectFacts(project_type="ACC", rfi_container_id=CONTAINER, region=read)


def test_an_emea_projects_user_is_asked_of_the_admin_api_with_its_region(
    mocked: responses.RequestsMock, account: ProviderAccount
) -> None:
    mocked.get(ITEMS, json=page([item(1, ballInCourtUsers=[], ballInCourtRoles=[MY_ROLE])], 0, 1, 50))
    mocked.get(ADMIN_ME, json=project_user())
    no_reviews_by_anyone(mocked)

    [[submittal]] = list_items(account, "submittal", facts=ProjectFacts(project_type="ACC", region="EMEA"))

    assert submittal.for_receiving_user
    [asked] = [c.request for c in mocked.calls if sent_url(c.request) == ADMIN_ME]
    assert asked.headers["Region"] == "EMEA"
