"""Pulling submittals and RFIs into the change feed, with a fake provider behind the engine's port."""

from __future__ import annotations

import pytest

from projects.models import FeedEntry, ProjectLink, SyncedItem, SyncRun
from projects.services import link_sync
from tests.projects.conftest import Clock, FakeProvider


def sync(link: ProjectLink, provider: FakeProvider, clock: Clock) -> SyncRun:
    run = link_sync(link_id=link.pk, clock=clock, port=provider)
    assert run is not None
    return run


def feed(link: ProjectLink) -> list[tuple[str, str]]:
    return list(FeedEntry.objects.filter(link=link).order_by("position").values_list("item__provider_id", "change"))


def test_the_first_sync_brings_every_item_for_the_reviewer_into_the_feed_once(link, provider, clock):
    provider.seed("submittal", 7)
    provider.seed("rfi", 4)

    run = sync(link, provider, clock)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert (run.fetched, run.new, run.changed) == (11, 11, 0)
    assert FeedEntry.objects.filter(link=link, change="new").count() == 11
    positions = list(FeedEntry.objects.filter(firm=link.firm).order_by("position").values_list("position", flat=True))
    assert positions == list(range(1, 12))
    assert run.provider_calls == 3 + 2  # 7 submittals at 3 a page, 4 RFIs at 3 a page


def test_an_incremental_sync_asks_only_from_the_cursor_and_adds_only_what_changed(link, provider, clock):
    provider.seed("submittal", 4)
    clock.advance(hours=1)
    provider.put("submittal", "5")  # the newest item: the cursor lands on its updated_at
    sync(link, provider, clock)
    clock.advance(hours=1)
    provider.put("submittal", "2", title="Door hardware, revised schedule")
    provider.put("submittal", "6")

    run = sync(link, provider, clock)

    # Item 5 is re-read inside the look-back window; items 1, 3 and 4 are not asked for again.
    assert (run.fetched, run.new, run.changed, run.unchanged) == (3, 1, 1, 1)
    assert feed(link)[-2:] == [("6", "new"), ("2", "changed")]
    assert SyncedItem.objects.get(link=link, provider_id="2").title == "Door hardware, revised schedule"


def test_a_sync_with_nothing_changed_adds_nothing_and_asks_one_page_per_kind(link, provider, clock):
    provider.page_size = 100
    provider.seed("submittal", 5)
    provider.seed("rfi", 5)
    sync(link, provider, clock)
    clock.advance(minutes=2)

    run = sync(link, provider, clock)

    assert (run.new, run.changed) == (0, 0)
    assert run.provider_calls == 2
    assert FeedEntry.objects.filter(link=link).count() == 10


def test_running_the_same_sync_twice_changes_nothing_the_second_time(link, provider, clock):
    provider.seed("submittal", 4)
    sync(link, provider, clock)
    entries = FeedEntry.objects.count()

    run = sync(link, provider, clock)

    assert FeedEntry.objects.count() == entries
    assert (run.new, run.changed, run.unchanged) == (0, 0, 4)


def test_a_revision_is_a_new_item_linked_to_its_predecessor(link, provider, clock):
    provider.put("submittal", "100", number="05 12 00-1", revision="0")
    sync(link, provider, clock)
    clock.advance(hours=1)
    provider.put("submittal", "101", number="05 12 00-1", revision="1")

    sync(link, provider, clock)

    revision = SyncedItem.objects.get(link=link, provider_id="101")
    assert revision.predecessor == SyncedItem.objects.get(link=link, provider_id="100")
    assert feed(link)[-1] == ("101", "new")


def test_revisions_first_seen_on_the_same_page_are_linked_in_order(link, provider, clock):
    provider.page_size = 100
    provider.put("submittal", "402", number="07 10 00", revision="2")
    provider.put("submittal", "400", number="07 10 00", revision="0")
    provider.put("submittal", "401", number="07 10 00", revision="1", predecessor_id="400")

    sync(link, provider, clock)

    items = {i.provider_id: i for i in SyncedItem.objects.filter(link=link)}
    assert items["400"].predecessor is None
    assert items["401"].predecessor == items["400"]
    assert items["402"].predecessor == items["401"]


def test_the_providers_own_predecessor_id_wins_over_the_number(link, provider, clock):
    provider.put("submittal", "200", number="A", revision="0")
    provider.put("submittal", "300", number="B", revision="0")
    sync(link, provider, clock)
    clock.advance(hours=1)
    provider.put("submittal", "301", number="A", revision="1", predecessor_id="300")

    sync(link, provider, clock)

    predecessor = SyncedItem.objects.get(provider_id="301").predecessor
    assert predecessor is not None and predecessor.provider_id == "300"


def test_closing_and_reopening_an_item_upstream_each_reach_the_feed(link, provider, clock):
    provider.put("rfi", "7")
    sync(link, provider, clock)
    clock.advance(hours=1)
    provider.put("rfi", "7", status="Closed", closed=True, ball_in_court=())
    sync(link, provider, clock)
    clock.advance(hours=1)
    provider.put("rfi", "7", status="Open", closed=False, ball_in_court=("Rita Reviewer",))

    sync(link, provider, clock)

    assert feed(link) == [("7", "new"), ("7", "changed"), ("7", "changed")]
    snapshots = list(FeedEntry.objects.filter(link=link).order_by("position").values_list("snapshot", flat=True))
    assert [s["closed"] for s in snapshots] == [False, True, False]
    assert SyncedItem.objects.get(provider_id="7").closed is False


def test_an_item_deleted_upstream_produces_one_removed_entry(link, provider, clock):
    provider.seed("submittal", 2)
    sync(link, provider, clock)
    clock.advance(hours=1)
    provider.put("submittal", "1", deleted=True)

    sync(link, provider, clock)
    clock.advance(minutes=2)
    provider.put("submittal", "1", deleted=True, title="still in the recycle bin")
    sync(link, provider, clock)

    assert feed(link).count(("1", "removed")) == 1
    assert SyncedItem.objects.get(provider_id="1").removed is True


def test_items_for_other_users_are_counted_but_never_stored(link, provider, clock):
    provider.seed("submittal", 3)
    provider.seed("submittal", 2, start=10, for_receiving_user=False, ball_in_court=("Someone Else",))

    run = sync(link, provider, clock)

    assert run.not_for_user == 2
    assert set(SyncedItem.objects.values_list("provider_id", flat=True)) == {"1", "2", "3"}


def test_an_item_followed_once_stays_followed_after_the_ball_leaves_the_reviewer(link, provider, clock):
    provider.put("submittal", "1")
    sync(link, provider, clock)
    clock.advance(hours=1)
    provider.put("submittal", "1", for_receiving_user=False, ball_in_court=("GC",), status="Closed", closed=True)

    sync(link, provider, clock)

    assert feed(link)[-1] == ("1", "changed")


def test_a_held_kind_is_skipped_without_failing_the_sync(firm, make_link, provider, clock):
    from tests.projects.conftest import keyword_lists_add

    link = make_link(firm, keywords=False)
    keyword_lists_add(link.project, rfi=False)
    provider.seed("submittal", 2)
    provider.seed("rfi", 2)

    run = sync(link, provider, clock)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.held_kinds == ["rfi"]
    assert "Request for Information" in run.message
    assert set(SyncedItem.objects.values_list("kind", flat=True)) == {"submittal"}


def test_a_crash_after_page_two_then_a_rerun_leaves_no_gap_and_no_duplicate(link, provider, clock):
    provider.seed("submittal", 9)  # three pages of three
    provider.page_errors[3] = RuntimeError("worker killed")

    with pytest.raises(RuntimeError):
        link_sync(link_id=link.pk, clock=clock, port=provider)
    assert SyncedItem.objects.count() == 6  # pages one and two were committed
    clock.advance(minutes=1)
    run = sync(link, provider, clock)

    assert run.new == 3
    ids = [pid for pid, _ in feed(link)]
    assert sorted(ids, key=int) == [str(n) for n in range(1, 10)]  # each item exactly once
    assert ProjectLink.objects.get(pk=link.pk).lease_owner == ""


def test_items_changed_while_a_sync_pages_are_caught_by_the_next_sync(link, provider, clock):
    provider.seed("submittal", 6)

    def change_during_paging(page: int) -> None:
        if page == 2:
            clock.advance(seconds=30)
            provider.put("submittal", "1", title="changed while paging")

    provider.on_page = change_during_paging
    sync(link, provider, clock)
    provider.on_page = None
    clock.advance(minutes=2)

    sync(link, provider, clock)

    assert SyncedItem.objects.get(provider_id="1").title == "changed while paging"


def test_a_second_sync_of_the_same_link_exits_at_once_while_the_first_holds_the_lease(link, provider, clock):
    provider.seed("submittal", 6)
    seen: list[object] = []
    provider.on_page = lambda page: seen.append(link_sync(link_id=link.pk, clock=clock, port=provider))

    run = sync(link, provider, clock)

    assert len(seen) == 3 and all(attempt is None for attempt in seen)  # tried on each of the 3 pages
    assert run.new == 6
    assert SyncRun.objects.count() == 1


def test_a_lease_left_by_a_killed_worker_expires(link, provider, clock):
    ProjectLink.objects.filter(pk=link.pk).update(lease_owner="dead", lease_until=clock())
    provider.seed("submittal", 1)
    clock.advance(seconds=1)

    assert sync(link, provider, clock).new == 1


def test_a_link_paused_by_a_person_is_not_synced(link, provider, clock):
    ProjectLink.objects.filter(pk=link.pk).update(status=ProjectLink.Status.PAUSED)
    provider.seed("submittal", 1)

    assert link_sync(link_id=link.pk, clock=clock, port=provider) is None
    assert provider.calls == 0


def test_feed_positions_are_per_firm_and_gap_free_across_links(firm, other_firm, make_link, provider, clock):
    links: list[ProjectLink] = [make_link(firm), make_link(other_firm), make_link(firm)]
    provider.seed("rfi", 2)

    for each in links:
        sync(each, provider, clock)

    mine = list(FeedEntry.objects.filter(firm=firm).order_by("position").values_list("position", flat=True))
    theirs = list(FeedEntry.objects.filter(firm=other_firm).values_list("position", flat=True))
    assert mine == [1, 2, 3, 4]
    assert theirs == [1, 2]


def test_daily_full_listings_find_items_deleted_without_a_word(link, provider, clock):
    provider.seed("submittal", 3)
    sync(link, provider, clock)
    del provider.items[("submittal", "2")]  # gone upstream; the provider's incremental list cannot say so
    clock.advance(hours=1)
    assert sync(link, provider, clock).removed == 0

    clock.advance(hours=24)
    assert sync(link, provider, clock).removed == 0  # one miss could be a row skipped by offset paging
    clock.advance(hours=24)
    run = sync(link, provider, clock)

    assert run.removed == 1
    assert SyncedItem.objects.get(link=link, provider_id="2").removed
    assert feed(link)[-1] == ("2", "removed")
    clock.advance(hours=25)
    assert sync(link, provider, clock).removed == 0  # said once


def test_an_item_missed_by_one_full_listing_only_is_kept(link, provider, clock):
    provider.seed("submittal", 3)
    sync(link, provider, clock)
    skipped = provider.items.pop(("submittal", "2"))
    clock.advance(hours=25)
    sync(link, provider, clock)
    provider.items[("submittal", "2")] = skipped
    clock.advance(hours=25)
    sync(link, provider, clock)
    clock.advance(hours=25)

    assert sync(link, provider, clock).removed == 0
    assert not SyncedItem.objects.get(link=link, provider_id="2").removed
    assert [change for _, change in feed(link)] == ["new", "new", "new"]


def test_an_item_that_comes_back_after_removal_is_reported_again(link, provider, clock):
    provider.seed("submittal", 2)
    sync(link, provider, clock)
    back = provider.items.pop(("submittal", "2"))
    for _ in range(2):
        clock.advance(hours=25)
        sync(link, provider, clock)
    assert SyncedItem.objects.get(link=link, provider_id="2").removed
    provider.items[("submittal", "2")] = back  # restored upstream with the very same content

    clock.advance(hours=25)
    sync(link, provider, clock)

    assert not SyncedItem.objects.get(link=link, provider_id="2").removed
    assert feed(link)[-2:] == [("2", "removed"), ("2", "changed")]


def test_the_first_acknowledgement_time_is_kept_and_the_item_id_can_be_corrected(link, provider, clock):
    from projects.services import feed_entry_acknowledge

    provider.seed("submittal", 1)
    sync(link, provider, clock)
    first = clock()
    feed_entry_acknowledge(firm=link.firm, position=1, pc_item_id="PC-77", now=first)
    clock.advance(hours=1)

    entry = feed_entry_acknowledge(firm=link.firm, position=1, pc_item_id="PC-78", now=clock())

    assert (entry.acknowledged_at, entry.pc_item_id) == (first, "PC-78")
