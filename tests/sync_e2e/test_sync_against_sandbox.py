"""Each provider's sync, end to end against the provider sandbox: pull (first, incremental, revisions, closed,
reopened, deleted, other users' items), push (delivered, refused, retried), rate-limit storms and echoes."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest

from projects.constants import HELD_RECHECK
from projects.models import FeedEntry, ItemResponse, ProjectLink, SyncedItem, SyncRun
from projects.services import response_deliver, response_record
from sandbox.testing import RunningSandbox
from tests.sync_e2e.conftest import REVIEWER_ID, Case, EngineClock

pytestmark = pytest.mark.sandbox
Sync = Callable[[], SyncRun]
ITEM_PATHS = ("/submittals", "/rfis", "search:rfis", "/items")


def item(case: Case, kind: str, n: int) -> SyncedItem:
    return SyncedItem.objects.get(kind=kind, provider_id=case.provider_id(kind, case.item_row(kind, n)))


def listing_calls(calls: list[SimpleNamespace]) -> list[str]:
    """The item-list requests among the recorded ones, as '<METHOD> <path>'."""
    paths = [f"{c.request.method} {c.request.path_url.split('?')[0]}" for c in calls]
    return [p for p in paths if p.endswith(ITEM_PATHS)]


def respond(item: SyncedItem, clock: EngineClock, *, keyword: str = "Approved", key: str = "k1") -> ItemResponse:
    response, _ = response_record(
        firm=item.firm, item=item, keyword=keyword, comment="Checked by the portal.", idempotency_key=key
    )
    response_deliver(response_id=response.pk, clock=clock)
    response.refresh_from_db()
    return response


def test_a_first_sync_brings_in_the_reviewers_items_and_skips_the_others(case: Case, sync: Sync) -> None:
    run = sync()

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert SyncedItem.objects.filter(kind="submittal").count() == case.submittals_for_reviewer
    assert SyncedItem.objects.filter(kind="rfi").count() == 3
    assert run.not_for_user == 4 - case.submittals_for_reviewer
    assert not SyncedItem.objects.filter(provider_id=case.provider_id("submittal", case.item_row("submittal", 4)))
    first = item(case, "submittal", 1)
    assert first.title == "Structural steel shop drawings" and not first.closed and first.url.startswith("https://")
    assert item(case, "rfi", 3).closed
    assert FeedEntry.objects.count() == case.submittals_for_reviewer + 3
    # The submittal the reviewer sent back (closed before the link existed) arrives, and its revision with it as its
    # predecessor: the reviewer is or was its reviewer, whoever holds the ball now.
    superseded, revision = item(case, "submittal", 2), item(case, "submittal", 3)
    assert superseded.closed and revision.predecessor_id == superseded.pk


def test_an_incremental_sync_with_nothing_changed_asks_once_per_kind_and_changes_nothing(
    sync: Sync, recorded: list[SimpleNamespace]
) -> None:
    sync()
    feed = FeedEntry.objects.count()
    recorded.clear()

    again = sync()
    third = sync()

    assert len(listing_calls(recorded)) == 4  # two syncs, one request per kind each
    assert len(set(listing_calls(recorded))) == 2
    assert (again.new, again.changed, again.removed, third.new, third.changed) == (0, 0, 0, 0, 0)
    assert FeedEntry.objects.count() == feed


def test_a_revision_arrives_as_a_new_item_linked_to_its_predecessor(
    case: Case, sync: Sync, sandbox: RunningSandbox
) -> None:
    sync()
    created = sandbox.scenario("create_revision", item_id=case.item_row("submittal", 1))

    run = sync()

    revision = SyncedItem.objects.get(provider_id=case.provider_id("submittal", created["item_id"]))
    assert revision.revision == "1" and revision.predecessor == item(case, "submittal", 1)
    assert item(case, "submittal", 1).closed
    assert run.new == 1 and run.changed == 1


def test_closed_and_reopened_items_are_reported_as_changes(case: Case, sync: Sync, sandbox: RunningSandbox) -> None:
    sync()
    row = case.item_row("rfi", 1)

    sandbox.scenario("close_item", item_id=row)
    closed_run = sync()
    closed = item(case, "rfi", 1).closed
    sandbox.scenario("reopen_item", item_id=row)
    reopened_run = sync()

    assert closed and closed_run.changed == 1
    assert not item(case, "rfi", 1).closed and reopened_run.changed == 1
    changes = FeedEntry.objects.filter(item=item(case, "rfi", 1)).values_list("change", flat=True)
    assert list(changes) == ["new", "changed", "changed"]


def test_an_item_deleted_upstream(case: Case, sync: Sync, sandbox: RunningSandbox, clock: EngineClock) -> None:
    sync()
    sandbox.scenario("delete_item", item_id=case.item_row("submittal", 1))

    run = sync()
    deleted = item(case, "submittal", 1)

    if case.provider == "constructex":  # lists a tombstone: the feed says "removed upstream"
        assert deleted.removed and run.removed == 1
        assert FeedEntry.objects.filter(item=deleted, change=FeedEntry.Change.REMOVED).count() == 1
    else:  # Procore and Autodesk drop deleted items from their lists (Procore says so only by webhook) ...
        assert not deleted.removed and run.removed == 0
        clock.advance(25 * 3600)  # ... so the daily full listings find them: missed twice in a row, it is gone
        assert sync().removed == 0
        clock.advance(25 * 3600)
        run = sync()
        deleted = item(case, "submittal", 1)
        assert deleted.removed and run.removed == 1
    assert FeedEntry.objects.filter(item=deleted, change=FeedEntry.Change.REMOVED).count() == 1
    response = respond(deleted, clock)
    assert response.status == ItemResponse.Status.FAILED and response.provider_answer


def test_a_response_is_delivered_visible_upstream_and_its_result_comes_back_as_the_portals_own(
    case: Case, sync: Sync, sandbox: RunningSandbox, clock: EngineClock
) -> None:
    sync()
    submittal, rfi = item(case, "submittal", 1), item(case, "rfi", 1)
    feed = FeedEntry.objects.count()

    delivered = respond(submittal, clock)
    answered = respond(rfi, clock, keyword="", key="k2")
    run = sync()

    assert delivered.status == ItemResponse.Status.DELIVERED, delivered.provider_answer
    assert answered.status == ItemResponse.Status.DELIVERED, answered.provider_answer
    approver = sandbox.app.store.row(
        "SELECT response_id, comment FROM approvers WHERE item_id = ? AND user_id = ?",
        (case.item_row("submittal", 1), REVIEWER_ID),
    )
    assert approver["response_id"] is not None and approver["comment"] == "Checked by the portal."
    post = sandbox.app.store.row(
        "SELECT body FROM posts WHERE item_id = ? AND kind = 'answer'", (case.item_row("rfi", 1),)
    )
    assert post["body"] == "Checked by the portal."
    # Project Center learns the state its response led to (the ball in court moved on), marked as the portal's own:
    # never mistaken for a new request to review. Nothing else changed upstream, so nothing else is in the feed.
    after = list(FeedEntry.objects.order_by("position")[feed:])
    assert FeedEntry.objects.count() - feed == run.changed
    assert [e.item_id for e in after if e.item_id == submittal.pk] == [submittal.pk]
    assert {e.origin for e in after} == {FeedEntry.Origin.PORTAL_RESPONSE}
    assert {e.change for e in after} == {FeedEntry.Change.CHANGED}
    submittal.refresh_from_db()
    assert after[[e.item_id for e in after].index(submittal.pk)].snapshot["ball_in_court"] == submittal.ball_in_court


def test_a_procore_approver_response_tells_the_contractor_by_email(
    case: Case, sync: Sync, sandbox: RunningSandbox, clock: EngineClock
) -> None:
    if case.provider != "procore":
        pytest.skip("Procore's send_emails")
    sync()

    delivered = respond(item(case, "submittal", 1), clock)

    assert delivered.status == ItemResponse.Status.DELIVERED, delivered.provider_answer
    sent = sandbox.app.store.all("SELECT item_id, about FROM emails")
    assert [tuple(row) for row in sent] == [(case.item_row("submittal", 1), "submittal_approver")]


def test_a_procore_rfi_answer_by_a_plain_assignee_is_posted_as_a_response_and_says_so(
    case: Case, sync: Sync, sandbox: RunningSandbox, clock: EngineClock
) -> None:
    if case.provider != "procore":
        pytest.skip("Procore's official replies")
    sync()

    answered = respond(item(case, "rfi", 1), clock, keyword="")

    assert answered.status == ItemResponse.Status.DELIVERED, answered.provider_answer
    assert "Posted in Procore as a response" in answered.provider_answer
    assert "marking it official needs the RFI manager" in answered.provider_answer
    post = sandbox.app.store.row(
        "SELECT body, official FROM posts WHERE item_id = ? AND kind = 'answer'", (case.item_row("rfi", 1),)
    )
    assert post["body"] == "Checked by the portal." and post["official"] == 0


def test_a_procore_approver_waits_for_their_step_a_response_before_it_is_held_then_sent(
    case: Case, sync: Sync, sandbox: RunningSandbox, clock: EngineClock
) -> None:
    if case.provider != "procore":
        pytest.skip("Procore's approver turns")
    sent = sandbox.scenario("send_submittal", project_id=case.sandbox_project, after="consultant@sandbox.test")
    sync()
    assert not SyncedItem.objects.filter(provider_id=str(sent["item_id"])).exists()  # step 2: not theirs yet
    sync()  # the seeded submittal 1 is theirs; now the GC puts the consultant's step before the reviewer's
    added = sandbox.scenario("add_approver", item_id=case.item_row("submittal", 1), login="consultant@sandbox.test")

    held = respond(item(case, "submittal", 1), clock)

    assert (held.status, held.attempts) == (ItemResponse.Status.PENDING, 0)
    assert "not your turn" in held.provider_answer and "when your step starts" in held.provider_answer
    mine = sandbox.app.store.row(
        "SELECT response_id FROM approvers WHERE item_id = ? AND user_id = ?",
        (case.item_row("submittal", 1), REVIEWER_ID),
    )
    assert mine["response_id"] is None
    approved = sandbox.app.store.row(
        "SELECT id FROM responses WHERE project_id = ? AND considered = 'approved'", (case.sandbox_project,)
    )
    clock.advance(HELD_RECHECK.total_seconds())
    with sandbox.app.store.write() as conn:  # the consultant responds in step 1 of both submittals
        for approver_id, item_id in ((added["approver_id"], added["item_id"]), (None, sent["item_id"])):
            conn.execute(
                "UPDATE approvers SET response_id = ?, returned_date = ? WHERE item_id = ? AND user_id != ?"
                " AND response_id IS NULL AND (? IS NULL OR id = ?)",
                (approved["id"], sandbox.app.now_iso()[:10], item_id, REVIEWER_ID, approver_id, approver_id),
            )
            conn.execute("UPDATE items SET updated_at = ? WHERE id = ?", (sandbox.app.now_iso(), item_id))
    response_deliver(response_id=held.pk, clock=clock)
    held.refresh_from_db()
    sync()

    assert held.status == ItemResponse.Status.DELIVERED, held.provider_answer
    assert SyncedItem.objects.filter(provider_id=str(sent["item_id"])).exists()  # their step has started


def test_a_procore_project_whose_submittals_tool_is_disabled_says_so_and_recovers_when_enabled(
    case: Case, sync: Sync, sandbox: RunningSandbox, link: ProjectLink
) -> None:
    if case.provider != "procore":
        pytest.skip("Procore's project tools")
    sandbox.scenario("disable_tool", project_id=case.sandbox_project, tool="Submittals")

    run = sync()

    link.refresh_from_db()
    assert link.status == ProjectLink.Status.BLOCKED
    assert link.status_reason.startswith("The Submittals tool is disabled on this Procore project")
    assert "outside applications" not in link.status_reason and run.message == link.status_reason
    sandbox.scenario("disable_tool", project_id=case.sandbox_project, tool="Submittals", disabled=False)
    sync()
    link.refresh_from_db()
    assert link.status == ProjectLink.Status.ACTIVE


def test_a_response_to_an_item_closed_upstream_is_refused_at_once(
    case: Case, sync: Sync, sandbox: RunningSandbox, clock: EngineClock
) -> None:
    sync()
    sandbox.scenario("close_item", item_id=case.item_row("submittal", 1))

    response = respond(item(case, "submittal", 1), clock)

    assert response.status == ItemResponse.Status.FAILED and response.attempts == 1
    assert "closed" in response.provider_answer


def test_a_response_is_retried_after_an_outage_then_delivered(
    case: Case, sync: Sync, sandbox: RunningSandbox, clock: EngineClock, sleeps: list[float]
) -> None:
    sync()
    sandbox.app.faults.configure({"error_rate": 1.0, "error_status": 503, "retry_after": 120})

    waiting = respond(item(case, "submittal", 1), clock)
    sandbox.app.faults.configure({}, replace=True)
    clock.advance(180)
    response_deliver(response_id=waiting.pk, clock=clock)
    waiting_status = waiting.status
    waiting.refresh_from_db()

    assert waiting_status == ItemResponse.Status.PENDING
    assert waiting.status == ItemResponse.Status.DELIVERED and waiting.attempts == 2
    assert sleeps == []


def test_a_429_storm_reschedules_the_link_without_sleeping_then_it_recovers(
    sync: Sync, sandbox: RunningSandbox, link: ProjectLink, sleeps: list[float]
) -> None:
    sandbox.app.faults.configure({"storm_rate": 1.0, "retry_after": 600})

    stormed = sync()
    link.refresh_from_db()
    waited_until = link.retry_after_until
    sandbox.app.faults.configure({}, replace=True)
    recovered = sync()
    link.refresh_from_db()

    assert stormed.status == SyncRun.Status.RESCHEDULED
    assert waited_until is not None and (waited_until - stormed.started_at).total_seconds() >= 600
    assert sleeps == []
    assert recovered.status == SyncRun.Status.SUCCEEDED and recovered.new > 0
    assert link.status == ProjectLink.Status.ACTIVE and link.retry_after_until is None
