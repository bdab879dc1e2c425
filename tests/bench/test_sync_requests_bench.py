"""Sync engine benchmarks against the provider sandbox (issue 6, items 1-2), run with `BENCH=1 pytest tests/bench -s`;
skipped otherwise.

1. full first sync of a project with 5,000 submittals and 5,000 RFIs: provider requests made ÷ the minimum possible,
   per provider and kind — target 1.00. The minimum is the number of pages at the largest page the provider documents,
   read from the reference files where they document it (Autodesk: construction.json's `limit` maxima), else from
   the named constants below, each citing where the figure is written (never from the clients' own constants);
2. incremental sync with nothing changed: requests per kind — target 1.
For each provider; requests are counted on the wire (every item-list request sent to the sandbox).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connector_portal.models import Firm, User
from projects.constants import LOOKBACK
from projects.models import ProjectLink
from projects.services import link_sync
from sandbox.items import uid_for
from sandbox.testing import RunningSandbox
from tests.reference import require_reference
from tests.sync_e2e.conftest import REVIEWER_ID, Case, EngineClock, link_for

pytestmark = pytest.mark.skipif(os.environ.get("BENCH") != "1", reason="benchmarks run only with BENCH=1 (make bench)")
RESULTS: list[tuple[str, str, str]] = []
COUNT = 5_000
# Procore's endpoint descriptions (../shared/reference/procore/endpoints) give `per_page` no maximum; PROVIDERS.md
# ("Corrections and additions", Procore, page size): "Procore's pagination guide recommends at most 2,000".
PROCORE_RECOMMENDED_PER_PAGE = 2_000
# ConstructEx publishes no API (PROVIDERS.md, ConstructEx: the contract this project assumes); the assumed contract's
# page holds at most 200 results (sandbox/constructex.py, which emulates it).
CONSTRUCTEX_CONTRACT_PAGE_LIMIT = 200
LISTINGS = {"submittal": ("/submittals", "/items"), "rfi": ("/rfis", "search:rfis")}


def documented_limit(operation_id: str) -> int:
    """The `limit` maximum construction.json documents for an Autodesk list operation (query or body)."""
    operations = json.loads(require_reference("autodesk", "construction.json").read_text())["operations"]
    described = next(o for o in operations if o["id"] == operation_id)
    limit = described.get("query", {}).get("limit") or described.get("body", {}).get("limit")
    return int(limit["max"])


def documented_page_sizes(provider: str) -> dict[str, int]:
    """The largest documented page of each kind's listing, as the bench's project lists it (ACC for Autodesk)."""
    if provider == "autodesk":
        return {"submittal": documented_limit("acc-submittals-v2-items"), "rfi": documented_limit("acc-rfis-v3-search")}
    size = PROCORE_RECOMMENDED_PER_PAGE if provider == "procore" else CONSTRUCTEX_CONTRACT_PAGE_LIMIT
    return {"submittal": size, "rfi": size}


@pytest.fixture(scope="module", autouse=True)
def print_table() -> Iterator[None]:
    yield
    print("\n\nSync requests benchmark (provider sandbox)")
    print(f"{'measure':<74} {'result':>16}  target")
    for name, result, target in RESULTS:
        print(f"{name:<74} {result:>16}  {target}")


@pytest.fixture
def sandbox(sandbox: RunningSandbox) -> RunningSandbox:
    sandbox.app.limiter.configure({"enabled": False})  # measuring requests, not the provider's patience
    return sandbox


def count_listings(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    counts = {"submittal": 0, "rfi": 0}
    send = requests.Session.send

    def counting_send(session: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        path = (request.path_url or "").split("?")[0]
        for kind, endings in LISTINGS.items():
            if path.endswith(endings):
                counts[kind] += 1
        return send(session, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", counting_send)
    return counts


@pytest.mark.parametrize("provider", ["procore", "autodesk", "constructex"])
def test_requests_of_a_first_and_an_incremental_sync(
    provider: str, firm: Firm, member: User, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = sandbox.seed_bulk(provider=provider, count=COUNT)
    company = {"procore": "5100000001", "autodesk": "b." + uid_for("org", 5_200_000_001), "constructex": ""}[provider]
    project_id = "b." + uid_for("project", project) if provider == "autodesk" else str(project)
    user = "SBX" + format(REVIEWER_ID, "X") if provider == "autodesk" else str(REVIEWER_ID)
    link = link_for(firm, member, sandbox, Case(provider, project, company, project_id, user, COUNT))
    clock = EngineClock(sandbox)
    counts = count_listings(monkeypatch)

    first = link_sync(link_id=link.pk, clock=clock)
    made = dict(counts)
    clock.advance(120)
    counts.update(submittal=0, rfi=0)
    again = link_sync(link_id=link.pk, clock=clock)

    assert first is not None and first.new == 2 * COUNT, first and first.message
    assert again is not None and again.new == again.changed == 0
    sizes = documented_page_sizes(provider)
    minimum = {kind: math.ceil(COUNT / size) for kind, size in sizes.items()}
    ratios = {kind: made[kind] / minimum[kind] for kind in minimum}
    for kind, noun in (("submittal", "submittals"), ("rfi", "RFIs")):
        RESULTS.append(
            (
                f"1. first sync, 5,000 {noun} at {sizes[kind]:,}/page: requests ÷ minimum ({provider})",
                f"{made[kind]}/{minimum[kind]} = {ratios[kind]:.2f}",
                "1.00",
            )
        )
    least = incremental_minimum(provider, sandbox, project, link, sizes)
    RESULTS.append(
        (
            f"2. nothing changed: requests per kind ({provider})",
            f"{counts['submittal']} + {counts['rfi']}",
            f"{least['submittal']} + {least['rfi']}",
        )
    )
    assert ratios == {"submittal": 1.0, "rfi": 1.0} and counts == least


def incremental_minimum(
    provider: str, sandbox: RunningSandbox, project: int, link: ProjectLink, sizes: dict[str, int]
) -> dict[str, int]:
    """The fewest requests a sync with nothing changed can make: one per kind, except ACC submittals, whose
    `filter[updatedAt]` takes whole days (PROVIDERS.md): every item updated since the day before the cursor (the
    client's look-back) is listed again, at the documented page size."""
    if provider != "autodesk":
        return {"submittal": 1, "rfi": 1}
    link.refresh_from_db()
    assert link.submittal_cursor is not None
    start = (link.submittal_cursor - LOOKBACK).astimezone(dt.UTC).date() - dt.timedelta(days=1)
    again = sandbox.app.store.row(
        "SELECT COUNT(*) AS n FROM items"
        " WHERE project_id = ? AND kind = 'submittal' AND substr(updated_at, 1, 10) >= ?",
        (project, start.isoformat()),
    )["n"]
    return {"submittal": max(1, math.ceil(again / sizes["submittal"])), "rfi": 1}
