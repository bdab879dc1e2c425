"""A worker killed in the middle of a sync, then the sync run again: nothing lost, nothing twice, for each provider."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from projects.constants import LEASE
from projects.models import FeedEntry, ProjectLink, SyncedItem, SyncRun
from projects.services import link_sync

from .conftest import EngineClock


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
