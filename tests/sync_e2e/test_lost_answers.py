"""A response whose first POST reached the provider sandbox but whose answer was lost is retried by the push engine; the
retry must not record it twice (RFI answers), and a repeat of an already recorded review counts as delivered."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace

import pytest

from projects.models import ItemResponse, SyncedItem, SyncRun
from projects.services import response_deliver, response_record
from sandbox.testing import RunningSandbox
from tests.sync_e2e.conftest import REVIEWER_ID, AnswerLoser, Case, EngineClock

pytestmark = pytest.mark.sandbox
Sync = Callable[[], SyncRun]
# The request that records a response, per provider and kind: (method, path ending).
ANSWER_POSTS = {
    ("procore", "rfi"): ("POST", "/replies"),
    ("autodesk", "rfi"): ("POST", "/responses"),
    ("constructex", "rfi"): ("POST", "/answers"),
    ("procore", "submittal"): ("PATCH", ""),
    ("autodesk", "submittal"): ("POST", ":close"),
    ("constructex", "submittal"): ("POST", "/reviews"),
}


def item(case: Case, kind: str, n: int) -> SyncedItem:
    return SyncedItem.objects.get(kind=kind, provider_id=case.provider_id(kind, case.item_row(kind, n)))


def deliver_twice(item: SyncedItem, clock: EngineClock, *, keyword: str) -> tuple[ItemResponse, ItemResponse]:
    """Record a response, deliver it (its answer is lost), then deliver it again later: (after the first, final)."""
    response, _ = response_record(
        firm=item.firm, item=item, keyword=keyword, comment="Checked by the portal.", idempotency_key="lost-1"
    )
    response_deliver(response_id=response.pk, clock=clock)
    first = ItemResponse.objects.get(pk=response.pk)
    clock.advance(600)
    response_deliver(response_id=response.pk, clock=clock)
    return first, ItemResponse.objects.get(pk=response.pk)


def received(sandbox: RunningSandbox, method: str, path_end: str, *, accepted: bool = False) -> list[str]:
    """The paths of the `method` requests ending in `path_end` that reached the sandbox (its request log); only
    those it accepted (status below 400) with `accepted`."""
    log = sandbox.app.request_log.path
    assert log is not None
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    return [
        e["path"]
        for e in entries
        if e["method"] == method and e["path"].endswith(path_end) and (not accepted or e["status"] < 400)
    ]


def test_a_retried_rfi_answer_whose_first_answer_was_lost_is_posted_once(
    case: Case,
    sync: Sync,
    sandbox: RunningSandbox,
    clock: EngineClock,
    lose_answers: AnswerLoser,
    recorded: list[SimpleNamespace],
) -> None:
    sync()
    method, path_end = ANSWER_POSTS[(case.provider, "rfi")]
    lose_answers.lose(method, path_end)

    first, final = deliver_twice(item(case, "rfi", 1), clock, keyword="")

    answers = sandbox.app.store.all(
        "SELECT body FROM posts WHERE item_id = ? AND kind = 'answer' AND created_by = ?",
        (case.item_row("rfi", 1), REVIEWER_ID),
    )
    assert lose_answers.lost and first.status == ItemResponse.Status.PENDING
    assert final.status == ItemResponse.Status.DELIVERED and final.attempts == 2, final.provider_answer
    assert [a["body"] for a in answers] == ["Checked by the portal."]
    # Procore refuses the plain assignee's official reply (403) before the reply posted as a response: one accepted
    assert len(received(sandbox, method, path_end, accepted=True)) == 1


def test_a_retried_review_whose_first_answer_was_lost_is_delivered_and_recorded_once(
    case: Case,
    sync: Sync,
    sandbox: RunningSandbox,
    clock: EngineClock,
    lose_answers: AnswerLoser,
    recorded: list[SimpleNamespace],
) -> None:
    sync()
    method, path_end = ANSWER_POSTS[(case.provider, "submittal")]
    lose_answers.lose(method, path_end)

    first, final = deliver_twice(item(case, "submittal", 1), clock, keyword="Approved")

    approver = sandbox.app.store.row(
        "SELECT response_id, comment FROM approvers WHERE item_id = ? AND user_id = ?",
        (case.item_row("submittal", 1), REVIEWER_ID),
    )
    assert lose_answers.lost and first.status == ItemResponse.Status.PENDING
    assert final.status == ItemResponse.Status.DELIVERED and final.attempts == 2, final.provider_answer
    assert approver["response_id"] is not None and approver["comment"] == "Checked by the portal."
    writes = received(sandbox, method, path_end)
    if case.provider == "procore":  # Procore's approver PATCH sets the same response again: a no-op
        assert len(writes) == 2 and len(set(writes)) == 1
    else:  # Autodesk's task is read back closed with it, ConstructEx's review is read back: neither is sent twice
        assert len(writes) == 1
