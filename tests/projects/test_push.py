"""Delivering reviewer responses to the provider: translation, retries, refusals, admin retry and dismiss."""

from __future__ import annotations

import datetime as dt

import pytest

from projects.constants import BLOCKED_PROBE, HELD_RECHECK
from projects.models import FeedEntry, ItemResponse, ProjectLink, SyncedItem
from projects.services import (
    IdempotencyConflict,
    link_sync,
    response_deliver,
    response_dismiss,
    response_record,
    response_retry,
)
from projects.services.mapping import mapping_table_create_for_link
from providers.errors import (
    NeedsReauthorization,
    NotYourTurn,
    ProviderUnavailable,
    RateLimited,
    ToolUnavailable,
    UnexpectedAnswer,
)


@pytest.fixture
def item(link, provider, clock) -> SyncedItem:
    mapping_table_create_for_link(link=link, options=provider.options)
    provider.put("submittal", "42", title="Curtain wall shop drawings")
    link_sync(link_id=link.pk, clock=clock, port=provider)
    return SyncedItem.objects.get(provider_id="42")


def record(
    item: SyncedItem, keyword: str = "Approved as Noted", key: str = "key-1", comment: str = "See notes"
) -> ItemResponse:
    response, _ = response_record(firm=item.firm, item=item, keyword=keyword, comment=comment, idempotency_key=key)
    return response


def deliver(response: ItemResponse, provider, clock) -> ItemResponse:
    response_deliver(response_id=response.pk, clock=clock, port=provider)
    response.refresh_from_db()
    return response


def test_a_response_is_translated_through_the_mapping_and_delivered(item, provider, clock):
    response = deliver(record(item), provider, clock)

    assert response.status == ItemResponse.Status.DELIVERED
    assert provider.posts == [("42", "12", "See notes")]
    assert response.option_name == "Approved as Noted"
    assert "recorded in Procore" in response.provider_answer


def test_delivering_the_same_response_twice_posts_it_once(item, provider, clock):
    response = deliver(record(item), provider, clock)

    deliver(response, provider, clock)

    assert len(provider.posts) == 1


def test_the_same_idempotency_key_and_body_answers_the_first_response(item):
    first = record(item)

    again, created = response_record(
        firm=item.firm, item=item, keyword="Approved as Noted", comment="See notes", idempotency_key="key-1"
    )

    assert (again.pk, created) == (first.pk, False)


def test_the_same_idempotency_key_with_another_body_is_refused(item):
    record(item)

    with pytest.raises(IdempotencyConflict):
        record(item, keyword="Rejected")


def test_a_provider_refusal_fails_at_once_with_the_providers_reason(item, provider, clock):
    provider.post_errors = [UnexpectedAnswer("Procore refused: this submittal is closed. Reopen it in Procore first.")]

    response = deliver(record(item), provider, clock)

    assert response.status == ItemResponse.Status.FAILED
    assert response.attempts == 1
    assert "submittal is closed" in response.provider_answer


def test_a_keyword_without_a_mapping_fails_with_what_to_do(item, provider, clock):
    response = deliver(record(item, keyword="Looks nice"), provider, clock)

    assert response.status == ItemResponse.Status.FAILED
    assert "not a response keyword of this connection" in response.provider_answer
    assert provider.posts == []


def test_a_transient_error_is_retried_with_backoff_then_delivered(item, provider, clock):
    provider.post_errors = [ProviderUnavailable("Procore is not answering.", retry_after=30)]
    response = deliver(record(item), provider, clock)
    assert response.status == ItemResponse.Status.PENDING
    assert response.next_attempt_at == clock() + dt.timedelta(minutes=1)

    clock.advance(minutes=1)
    response = deliver(response, provider, clock)

    assert response.status == ItemResponse.Status.DELIVERED
    assert response.attempts == 2


def test_passing_failures_never_make_a_response_need_a_person_until_they_last_a_day(item, provider, clock):
    provider.post_errors = [RateLimited("Slow down.", retry_after=60) for _ in range(8)]
    response = record(item)
    ItemResponse.objects.filter(pk=response.pk).update(created_at=clock())  # recorded now, by the test's clock
    waits = []
    for _ in range(7):
        response = deliver(response, provider, clock)
        assert response.status == ItemResponse.Status.PENDING
        assert "sends it again by itself" in response.provider_answer
        waits.append(response.next_attempt_at - clock())
        clock.advance(hours=1)
    assert waits == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60)]  # doubling, up to an hour

    clock.advance(hours=17)  # a day after it was recorded, still refused for a passing reason
    response = deliver(response, provider, clock)

    assert response.status == ItemResponse.Status.FAILED
    assert response.provider_answer.startswith("Not delivered after trying for a day (8 attempts).")


def test_a_response_sent_again_by_a_person_gets_a_new_day_of_tries(
    item, provider, clock, django_capture_on_commit_callbacks
):
    provider.post_errors = [RateLimited("Slow down.", retry_after=60) for _ in range(3)]
    response = record(item)
    ItemResponse.objects.filter(pk=response.pk).update(created_at=clock() - dt.timedelta(days=1))
    failed = deliver(ItemResponse.objects.get(pk=response.pk), provider, clock)
    assert failed.status == ItemResponse.Status.FAILED
    assert failed.provider_answer.startswith("Not delivered after trying for a day (1 attempt).")

    with django_capture_on_commit_callbacks():
        assert response_retry(response=failed, now=clock())
    again = deliver(failed, provider, clock)  # the provider still refuses for a passing reason

    assert again.status == ItemResponse.Status.PENDING  # waits and tries again, not failed at once
    assert "sends it again by itself" in again.provider_answer
    clock.advance(hours=2)
    assert deliver(again, provider, clock).status == ItemResponse.Status.PENDING
    clock.advance(hours=2)
    assert deliver(again, provider, clock).status == ItemResponse.Status.DELIVERED


def test_support_can_retry_a_failed_response_and_dismiss_another(
    item, provider, clock, django_capture_on_commit_callbacks
):
    provider.post_errors = [UnexpectedAnswer("Refused.")]
    failed = deliver(record(item), provider, clock)
    other = deliver(record(item, key="key-2", keyword="Rejected"), provider, clock)  # delivered
    assert other.status == ItemResponse.Status.DELIVERED

    with django_capture_on_commit_callbacks():
        assert response_retry(response=failed, now=clock())
    failed = deliver(failed, provider, clock)

    assert failed.status == ItemResponse.Status.DELIVERED
    assert response_dismiss(response=other) is False  # delivered stays delivered


def test_a_lost_connection_keeps_the_response_waiting_without_spending_attempts(item, provider, clock):
    provider.post_errors = [NeedsReauthorization("Reconnect Procore.")]

    response = deliver(record(item), provider, clock)

    assert (response.status, response.attempts) == (ItemResponse.Status.PENDING, 0)
    assert ProjectLink.objects.get(pk=item.link_id).status == ProjectLink.Status.CONNECTION_LOST


def test_a_response_before_the_reviewers_turn_is_held_and_sent_when_their_step_starts(item, provider, clock):
    held = "Held: it is not your turn on this submittal in Procore yet. The portal sends your response by itself."
    provider.post_errors = [NotYourTurn(held), NotYourTurn(held), NotYourTurn(held), NotYourTurn(held)]
    response = record(item)

    for _ in range(4):  # more tries than a failing response gets: waiting for a turn spends none
        response = deliver(response, provider, clock)
        assert (response.status, response.attempts) == (ItemResponse.Status.PENDING, 0)
        assert response.provider_answer == held
        assert response.next_attempt_at == clock() + HELD_RECHECK
        clock.advance(seconds=HELD_RECHECK.total_seconds())

    response = deliver(response, provider, clock)  # their step has started

    assert response.status == ItemResponse.Status.DELIVERED
    assert provider.posts == [("42", "12", "See notes")]


def test_a_disabled_tool_blocks_the_link_and_the_response_waits_for_it(item, provider, clock):
    words = "The Submittals tool is disabled on this Procore project or the receiving user has no permission on it."
    provider.post_errors = [ToolUnavailable(words)]

    response = deliver(record(item), provider, clock)

    assert (response.status, response.attempts) == (ItemResponse.Status.PENDING, 0)
    assert response.provider_answer == words and response.next_attempt_at == clock() + BLOCKED_PROBE
    link = ProjectLink.objects.get(pk=item.link_id)
    assert (link.status, link.status_reason) == (ProjectLink.Status.BLOCKED, words)


def test_the_state_after_the_portals_own_response_reaches_the_feed_marked_as_its_own(item, link, provider, clock):
    deliver(record(item), provider, clock)
    entries = FeedEntry.objects.count()
    clock.advance(minutes=2)

    run = link_sync(link_id=link.pk, clock=clock, port=provider)

    assert run is not None
    assert run.changed == 1
    [entry] = FeedEntry.objects.order_by("position")[entries:]
    assert (entry.change, entry.origin) == (FeedEntry.Change.CHANGED, FeedEntry.Origin.PORTAL_RESPONSE)
    assert entry.snapshot["ball_in_court"] == ["General Contractor"]
    assert SyncedItem.objects.get(pk=item.pk).ball_in_court == ["General Contractor"]


def test_a_real_change_after_the_portals_response_still_reaches_the_feed(item, link, provider, clock):
    deliver(record(item), provider, clock)
    clock.advance(minutes=2)
    provider.put("submittal", "42", status="Closed", closed=True)

    run = link_sync(link_id=link.pk, clock=clock, port=provider)

    assert run is not None
    assert run.changed == 1
    assert FeedEntry.objects.order_by("position").values_list("origin", flat=True).last() == FeedEntry.Origin.PROVIDER
