"""The whole content of a submittal and an RFI, end to end for each provider: the GC sets it in the sandbox, the
engine syncs it over real HTTP, and Project Center reads it in the feed API; a new answer in the RFI's thread is a
`changed` entry carrying it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from connector_portal.models import Firm
from connector_portal.services import service_token_create
from projects.models import SyncRun
from sandbox.testing import RunningSandbox
from tests.sync_e2e.conftest import Case

pytestmark = pytest.mark.sandbox
Sync = Callable[[], SyncRun]

# What each provider fills (the schema's field descriptions say the same): Autodesk names people by id only, has no
# spec title on its submittals, no submittal type and no responsible contractor in its listings; its reviewers come
# from each submittal's review steps, named by id.
FILLS: dict[str, dict[str, Any]] = {
    "procore": {
        "spec_title": "Structural Steel Framing",
        "type": "Product Data",
        "contractor": "Summit Steel",
        "sender": "Casey Consultant",
        "reviewers": True,
        "cost": ("yes_known", 1250.0),
    },
    "autodesk": {
        "spec_title": "",
        "type": "",
        "contractor": "",
        "sender": "",
        "reviewers": True,
        "cost": ("yes_known", None),
    },
    "constructex": {
        "spec_title": "Structural Steel Framing",
        "type": "Product Data",
        "contractor": "Summit Steel",
        "sender": "Casey Consultant",
        "reviewers": True,
        "cost": ("yes_known", 1250.0),
    },
}


def feed(firm: Firm) -> list[dict[str, Any]]:
    api = Client(headers={"Authorization": f"Bearer {service_token_create(firm=firm)[1]}"})
    answer = api.get("/api/v1/feed/", {"page_size": 100})
    assert answer.status_code == 200, answer.content
    return answer.json()["entries"]


def latest(entries: list[dict[str, Any]], kind: str, provider_id: str) -> dict[str, Any]:
    return [e for e in entries if e["item"]["kind"] == kind and e["item"]["provider_id"] == provider_id][-1]


def test_project_center_reads_the_whole_submittal_and_rfi_and_a_new_answer_reaches_it(
    case: Case, sync: Sync, sandbox: RunningSandbox, firm: Firm
) -> None:
    submittal_row, rfi_row = case.item_row("submittal", 1), case.item_row("rfi", 1)
    sandbox.scenario(
        "edit_item",
        item_id=submittal_row,
        description="Moment frames, levels 2-4.",
        submittal_type="Product Data",
        contractor="Summit Steel",
        received_from="consultant@sandbox.test",
    )
    sandbox.scenario(
        "edit_item", item_id=rfi_row, question="Which drawing governs?", cost_impact="yes_known", cost_value="1250"
    )
    sandbox.scenario("answer_rfi", item_id=rfi_row, body="Checking with the engineer.", login="consultant@sandbox.test")
    fills = FILLS[case.provider]

    assert sync().status == SyncRun.Status.SUCCEEDED

    entries = feed(firm)
    submittal = latest(entries, "submittal", case.provider_id("submittal", submittal_row))["item"]["content"]
    assert submittal["description"] == "Moment frames, levels 2-4."
    assert submittal["spec_section"] == {"number": "05 12 00", "title": fills["spec_title"]}
    assert submittal["submittal_type"] == fills["type"]
    assert submittal["responsible_contractor"] == fills["contractor"]
    assert (submittal["received_from"] or {}).get("name", "") == fills["sender"]
    assert submittal["manager"]["id"]  # the GC, by id at least
    assert submittal["dates"]["due"] == "2026-02-15" and submittal["dates"]["created"]
    if fills["reviewers"]:
        first = submittal["reviewers"][0]
        who = first["person"]["name"] if fills["sender"] else first["person"]["id"]  # Autodesk: by id
        assert (who, first["step"]) == ("Riley Reviewer" if fills["sender"] else case.user_id, 1)
    rfi = latest(entries, "rfi", case.provider_id("rfi", rfi_row))["item"]["content"]
    assert rfi["question"] == "Which drawing governs?"
    assert [(a["text"], a["official"]) for a in rfi["answers"]] == [("Checking with the engineer.", False)]
    assert (rfi["cost_impact"]["status"], rfi["cost_impact"]["value"]) == fills["cost"]

    sandbox.scenario("answer_rfi", item_id=rfi_row, body="S-201 governs.", login="reviewer@sandbox.test", official="1")
    run = sync()

    assert run.changed >= 1
    entry = latest(feed(firm), "rfi", case.provider_id("rfi", rfi_row))
    assert entry["change"] == "changed"
    answers = entry["item"]["content"]["answers"]
    assert [(a["text"], a["official"]) for a in answers] == [
        ("Checking with the engineer.", False),
        ("S-201 governs.", True),
    ]
    assert answers[1]["date"] and answers[1]["author"]["id"]
    assert entry["item"]["content"]["dates"]["returned"] == answers[1]["date"][:10]


def test_an_edited_submittal_is_a_changed_entry_carrying_the_new_description(
    case: Case, sync: Sync, sandbox: RunningSandbox, firm: Firm
) -> None:
    row = case.item_row("submittal", 1)
    sync()
    sandbox.scenario("edit_item", item_id=row, description="Moment frames, levels 2-5.")

    sync()

    entry = latest(feed(firm), "submittal", case.provider_id("submittal", row))
    assert entry["change"] == "changed"
    content = entry["item"]["content"]
    assert content["description"] == "Moment frames, levels 2-5."
    if FILLS[case.provider]["reviewers"]:
        reviewer = next(r for r in content["reviewers"] if r["person"]["id"] == case.user_id)
        assert reviewer["step"] == 1 and reviewer["response"] == "" and reviewer["returned_date"] is None


def test_a_submittal_synced_again_unchanged_adds_no_entry_and_a_new_review_task_adds_one(
    case: Case, sync: Sync, sandbox: RunningSandbox, firm: Firm
) -> None:
    """The reviewers are part of the content hash: an item read again (Autodesk lists the day before the cursor
    again) must read the same reviewers, and another reviewer's step added upstream is one `changed` entry."""
    row = case.item_row("submittal", 1)
    provider_id = case.provider_id("submittal", row)
    sync()
    before = [e for e in feed(firm) if e["item"]["provider_id"] == provider_id]

    again = sync()

    assert again.changed == 0
    assert [e for e in feed(firm) if e["item"]["provider_id"] == provider_id] == before
    sandbox.scenario("add_approver", item_id=row, login="consultant@sandbox.test", step=1)

    sync()

    after = [e for e in feed(firm) if e["item"]["provider_id"] == provider_id]
    assert len(after) == len(before) + 1 and after[-1]["change"] == "changed"
    reviewers = after[-1]["item"]["content"]["reviewers"]
    assert len(reviewers) == len(before[-1]["item"]["content"]["reviewers"]) + 1
