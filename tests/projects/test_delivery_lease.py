"""A response is sent by one worker at a time, however long its files take to upload: its delivery lease has an owner,
renewed by the heartbeat thread while an upload runs; a worker whose lease was taken over (it was stuck past the
lease, the sweep resumed the response) stops before its next request and writes nothing over the next attempt."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import responses
from django.utils import timezone

from projects.constants import DELIVERY_LEASE, DELIVERY_SILENCE_LIMIT, HEARTBEAT_EVERY
from projects.models import ItemResponse, SyncedItem
from projects.services import lease, link_sync, response_deliver, response_record, sweep_run
from projects.services.lease import DeliveryHeartbeat, heartbeat_loop
from projects.services.mapping import mapping_table_create_for_link
from projects.services.push import ORPHANED_WORDS
from providers import http
from providers.errors import UnexpectedAnswer
from providers.types import ResponseOption
from providers.uploads import OutgoingFile
from tests.projects.test_crash_recovery import Waits
from tests.projects.test_sweep import Recorder

POST_URL = "https://provider.test/submittals/42/response"


@pytest.fixture
def item(link, provider, clock) -> SyncedItem:
    mapping_table_create_for_link(link=link, options=provider.options)
    provider.put("submittal", "42", title="Curtain wall shop drawings")
    link_sync(link_id=link.pk, clock=clock, port=provider)
    return SyncedItem.objects.get(provider_id="42")


@pytest.fixture
def response(item) -> ItemResponse:
    recorded, _ = response_record(
        firm=item.firm, item=item, keyword="Approved", comment="See markups", idempotency_key="k"
    )
    return recorded


class Captured:
    """A keep-alive that runs no thread but hands the test the delivery's heartbeat, to beat as the thread would."""

    def __init__(self) -> None:
        self.heartbeat: DeliveryHeartbeat | None = None

    @contextlib.contextmanager
    def __call__(self, heartbeat: DeliveryHeartbeat) -> Iterator[None]:
        self.heartbeat = heartbeat
        yield


def a_sweep_tick(clock: Any) -> list[int]:
    return sweep_run(now=clock(), enqueue=Recorder()).responses


@pytest.mark.parametrize("thread_beats", [True, False])
def test_a_delivery_whose_upload_outlasts_its_lease_keeps_it_by_the_heartbeat_thread(
    response, provider, clock, monkeypatch, thread_beats
):
    captured = Captured()
    started, upload = clock(), dt.timedelta(minutes=3)  # one PUT of a big file: one request, no checkpoint in it
    assert upload > DELIVERY_LEASE
    ticks: list[list[int]] = []
    post = provider.post_response

    def slow_upload(item: SyncedItem, option: ResponseOption | None, comment: str, files: Sequence[OutgoingFile]):
        assert captured.heartbeat is not None
        beats = int(upload / HEARTBEAT_EVERY) if thread_beats else 0
        heartbeat_loop(captured.heartbeat, wait=Waits(clock, beats=beats))  # the thread beats while the PUT runs
        clock.advance(seconds=(started + upload - clock()).total_seconds())
        ticks.append(a_sweep_tick(clock))  # the sweep ticks while the upload still runs
        return post(item, option, comment, files)

    monkeypatch.setattr(provider, "post_response", slow_upload)

    delivered = response_deliver(response_id=response.pk, clock=clock, port=provider, keep_alive=captured)

    response.refresh_from_db()
    if thread_beats:  # the sweep left the delivery alone, and it was delivered once
        assert ticks == [[]] and delivered is not None and response.status == ItemResponse.Status.DELIVERED
        assert len(provider.posts) == 1 and a_sweep_tick(clock) == []
    else:  # what the thread prevents: the sweep resumed it mid-upload, and the first worker's answer did not count
        assert ticks == [[response.pk]] and delivered is None and response.status == ItemResponse.Status.PENDING
        assert response.provider_answer == ORPHANED_WORDS  # read back and sent once more by the next attempt


def test_a_delivery_whose_lease_was_taken_over_stops_before_its_next_request_and_settles_nothing(
    response, provider, clock, monkeypatch
):
    post = provider.post_response
    client = http.HttpClient(sleep=lambda seconds: None)
    second: list[ItemResponse | None] = []

    def stalled_then_posts(
        item: SyncedItem, option: ResponseOption | None, comment: str, files: Sequence[OutgoingFile]
    ):
        # The first worker's upload stalls past its lease with no beat (its thread starved of the database) ...
        clock.advance(seconds=DELIVERY_LEASE.total_seconds() + 1)
        assert a_sweep_tick(clock) == [response.pk]  # ... the sweep resumes the response
        with monkeypatch.context() as other_worker:
            other_worker.setattr(provider, "post_response", post)
            second.append(response_deliver(response_id=response.pk, clock=clock, port=provider))  # and it is sent
        # ... then the first worker's next request (its response POST): stopped before it is sent
        client.send("POST", POST_URL, classify=lambda r, a: UnexpectedAnswer("no"))
        return "never reached"

    monkeypatch.setattr(provider, "post_response", stalled_then_posts)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        mocked.post(POST_URL, json={})
        first = response_deliver(response_id=response.pk, clock=clock, port=provider)
        assert len(mocked.calls) == 0  # the provider never saw the first worker's second write

    assert first is None
    assert second[0] is not None and second[0].status == ItemResponse.Status.DELIVERED
    response.refresh_from_db()
    assert response.status == ItemResponse.Status.DELIVERED and len(provider.posts) == 1  # sent once, by the second
    assert response.provider_answer == "“Approved” was recorded in Procore." and response.delivery_owner == ""


def test_a_delivery_whose_lease_lapsed_after_its_last_request_does_not_overwrite_the_resumed_response(
    response, provider, clock, monkeypatch
):
    post = provider.post_response

    def answered_late(item: SyncedItem, option: ResponseOption | None, comment: str, files: Sequence[OutgoingFile]):
        answer = post(item, option, comment, files)
        clock.advance(seconds=DELIVERY_LEASE.total_seconds() + 1)  # the answer took longer than the lease
        assert a_sweep_tick(clock) == [response.pk]
        return answer

    monkeypatch.setattr(provider, "post_response", answered_late)

    assert response_deliver(response_id=response.pk, clock=clock, port=provider) is None

    response.refresh_from_db()
    assert response.status == ItemResponse.Status.PENDING and response.delivered_at is None  # the sweep's state stands
    monkeypatch.setattr(provider, "post_response", post)
    response_deliver(response_id=response.pk, clock=clock, port=provider)  # the next attempt
    response.refresh_from_db()
    assert response.status == ItemResponse.Status.DELIVERED


def test_a_delivery_renews_only_its_own_lease(response, provider, clock):
    # Given a delivery sent by a worker, then (say, resumed by an admin) claimed by another
    captured = Captured()
    response_deliver(response_id=response.pk, clock=clock, port=provider, keep_alive=captured)
    ItemResponse.objects.filter(pk=response.pk).update(status=ItemResponse.Status.DELIVERING, delivery_owner="next")
    lease_before = ItemResponse.objects.get(pk=response.pk).next_attempt_at

    # When the first worker's heartbeat thread beats
    assert captured.heartbeat is not None
    clock.advance(seconds=HEARTBEAT_EVERY.total_seconds())
    captured.heartbeat.beat_in_background()

    # Then it finds the lease taken over, and leaves the other worker's lease as it was
    assert captured.heartbeat.lost
    assert ItemResponse.objects.get(pk=response.pk).next_attempt_at == lease_before


def test_a_delivery_on_the_wall_clock_runs_the_heartbeat_thread(response, provider, monkeypatch):
    started: list[DeliveryHeartbeat] = []

    @contextlib.contextmanager
    def heartbeat_thread(heartbeat: DeliveryHeartbeat, **kwargs: Any) -> Iterator[None]:
        started.append(heartbeat)
        yield

    monkeypatch.setattr(lease, "heartbeat_thread", heartbeat_thread)

    delivered = response_deliver(response_id=response.pk, clock=timezone.now, port=provider)

    assert delivered is not None and delivered.status == ItemResponse.Status.DELIVERED
    assert [h.response_id for h in started] == [response.pk]
    assert started[0].silence_limit == DELIVERY_SILENCE_LIMIT
