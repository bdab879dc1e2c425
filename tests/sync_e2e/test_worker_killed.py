"""A worker killed in the middle of a sync, then the sync run again: nothing lost, nothing twice, for each provider."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from projects.constants import DELIVERY_LEASE, LEASE
from projects.models import FeedEntry, ItemResponse, ProjectLink, SyncedItem, SyncRun
from projects.services import link_sync, response_deliver, response_record, sweep_run
from sandbox.testing import RunningSandbox

from .conftest import Case, EngineClock
from .test_lost_answers import ANSWER_POSTS, item, received


class WorkerKilled(BaseException):
    """What the engine sees of a killed process: nothing it can catch, nothing it can clean up."""


def kill_on_first_rfi_request(monkeypatch: pytest.MonkeyPatch) -> None:
    send = requests.Session.send

    def dying_send(session: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        assert request.url is not None, "requests sends only prepared requests"
        if "rfi" in request.url.lower():  # submittals are in and committed; the worker dies on the RFIs
            monkeypatch.setattr(requests.Session, "send", send)
            raise WorkerKilled
        return send(session, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", dying_send)


def test_a_killed_sync_run_again_leaves_no_gap_and_no_duplicate(
    link: ProjectLink, clock: EngineClock, sync: Callable[[], SyncRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    # What an uninterrupted sync brings in, measured on a twin run first.
    expected = sync()
    complete = sorted(SyncedItem.objects.filter(link=link).values_list("kind", "provider_id"))
    SyncedItem.objects.filter(link=link).delete()
    FeedEntry.objects.filter(link=link).delete()
    ProjectLink.objects.filter(pk=link.pk).update(submittal_cursor=None, rfi_cursor=None, reconciled_at=None)
    kill_on_first_rfi_request(monkeypatch)

    clock.advance(60)
    with monkeypatch.context() as dying:
        dying.setattr("projects.services.pull.lease_release", lambda **kw: None)  # a killed process releases nothing
        with pytest.raises(WorkerKilled):
            link_sync(link_id=link.pk, clock=clock)

    stored = set(SyncedItem.objects.filter(link=link).values_list("kind", flat=True))
    assert stored == {"submittal"}  # the submittal pages committed; nothing of the RFIs
    assert link_sync(link_id=link.pk, clock=clock) is None  # the dead worker's lease still holds ...
    clock.advance(LEASE.total_seconds() + 1)  # ... until it runs out
    rerun = link_sync(link_id=link.pk, clock=clock)

    assert rerun is not None and rerun.status == SyncRun.Status.SUCCEEDED
    assert sorted(SyncedItem.objects.filter(link=link).values_list("kind", "provider_id")) == complete
    entries = list(FeedEntry.objects.filter(link=link).values_list("item__provider_id", "change"))
    assert len(entries) == len(set(entries)) == len(complete)  # one "new" entry per item, none twice
    positions = sorted(FeedEntry.objects.filter(firm=link.firm).values_list("position", flat=True))
    assert positions == list(range(positions[0], positions[0] + len(positions)))  # no gap in Project Center's cursor
    assert expected.new == len(complete)


@pytest.mark.parametrize("kind", ["submittal", "rfi"])
def test_a_worker_killed_after_its_response_reached_the_provider_leaves_it_delivered_once_by_itself(
    link: ProjectLink,
    case: Case,
    kind: str,
    clock: EngineClock,
    sync: Callable[[], SyncRun],
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sync()
    target = item(case, kind, 1)
    response, _ = response_record(
        firm=target.firm,
        item=target,
        keyword="Approved" if kind == "submittal" else "",
        comment="Checked by the portal.",
        idempotency_key="killed-1",
    )
    method, path_end = ANSWER_POSTS[(case.provider, kind)]
    send = requests.Session.send

    def dying_send(session: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        answer = send(session, request, **kwargs)
        if request.method == method and request.path_url.split("?")[0].endswith(path_end):
            raise WorkerKilled  # the provider recorded it; the worker died before hearing so
        return answer

    with monkeypatch.context() as dying:
        dying.setattr(requests.Session, "send", dying_send)
        with pytest.raises(WorkerKilled):
            response_deliver(response_id=response.pk, clock=clock)
    assert ItemResponse.objects.get(pk=response.pk).status == ItemResponse.Status.DELIVERING

    clock.advance(DELIVERY_LEASE.total_seconds() + 1)
    swept = sweep_run(now=clock(), enqueue=lambda calls: None)
    assert swept.responses == [response.pk]
    response_deliver(response_id=response.pk, clock=clock)

    final = ItemResponse.objects.get(pk=response.pk)
    assert final.status == ItemResponse.Status.DELIVERED, final.provider_answer
    writes = received(sandbox, method, path_end, accepted=True)
    if case.provider == "procore" and kind == "submittal":
        assert len(writes) == 2 and len(set(writes)) == 1  # the approver PATCH sets the same response: a no-op
    else:
        assert len(writes) == 1  # read back first: found there, not sent again
