from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from sandbox.seed import seed_bulk
from sandbox.store import Store
from sandbox.testing import RunningSandbox, running_sandbox

from .conftest import REVIEWER, RIVERSIDE, SUMMIT, Api


def test_a_new_revision_supersedes_the_old_one(sandbox: RunningSandbox, procore: Api) -> None:
    path = f"/rest/v1.1/projects/{RIVERSIDE}/submittals"
    old = procore.get(path, params={"filters[ball_in_court_id]": REVIEWER}).json()[0]
    new = sandbox.scenario("create_revision", item_id=old["id"])
    current = procore.get(path, params={"filters[current_revision]": "true", "filters[ball_in_court_id]": REVIEWER})
    numbers = [(s["number"], s["revision"], s["id"]) for s in current.json()]
    assert (old["number"], "1", new["item_id"]) in numbers and old["id"] not in [n[2] for n in numbers]
    assert procore.get(f"{path}/{old['id']}").json()["status"]["name"] == "Closed"


def test_close_and_reopen_move_an_rfi_in_and_out_of_the_reviewers_court(sandbox: RunningSandbox, procore: Api) -> None:
    path = f"/rest/v1.0/projects/{RIVERSIDE}/rfis"
    rfi = procore.get(path, params={"filters[ball_in_court_id]": REVIEWER}).json()[0]
    sandbox.clock.advance(60)
    sandbox.scenario("close_item", item_id=rfi["id"])
    assert procore.get(path, params={"filters[ball_in_court_id]": REVIEWER}).json() == []
    sandbox.scenario("reopen_item", item_id=rfi["id"])
    again = procore.get(path, params={"filters[ball_in_court_id]": REVIEWER}).json()
    assert [r["id"] for r in again] == [rfi["id"]] and again[0]["updated_at"] > rfi["updated_at"]


def test_the_control_page_runs_a_scenario_from_a_plain_form(sandbox: RunningSandbox, procore: Api) -> None:
    page = requests.get(f"{sandbox.base_url}/_control/", timeout=5)
    assert "<label for='rename_response-name'>" in page.text
    response = procore.get(f"/rest/v1.0/projects/{RIVERSIDE}/submittal_responses").json()[2]
    done = requests.post(
        f"{sandbox.base_url}/_control/scenarios/rename_response",
        data={"response_id": response["id"], "name": "Approved w/ Comments"},
        timeout=5,
    )
    assert done.status_code == 200 and "rename_response" in done.text
    renamed = procore.get(f"/rest/v1.0/projects/{RIVERSIDE}/submittal_responses").json()[2]
    assert renamed["name"] == "Approved w/ Comments" and renamed["considered"] == response["considered"]


def test_a_scenario_with_bad_input_says_what_is_wrong(sandbox: RunningSandbox) -> None:
    answer = requests.post(f"{sandbox.base_url}/_control/scenarios/close_item", json={"item_id": 1}, timeout=5)
    assert answer.status_code == 400 and "no item 1" in answer.json()["error"]


def test_the_request_log_masks_secrets(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    with running_sandbox(tmp_path / "s.sqlite3", seed=True, request_log=log) as sandbox:
        api = Api(sandbox, "procore", "reviewer@sandbox.test", SUMMIT)
        api.get("/rest/v1.0/me", params={"access_token": "leak-me"})
        requests.post(
            sandbox.url("procore", "/oauth/token"),
            timeout=5,
            data={
                "grant_type": "refresh_token",
                "refresh_token": "secret-rt",
                "client_id": "portal-procore",
                "client_secret": "sandbox-procore-secret",
            },
        )
    text = log.read_text()
    entries = [json.loads(line) for line in text.splitlines()]
    assert [e["path"] for e in entries] == ["/procore/rest/v1.0/me", "/procore/oauth/token"]
    assert "authorization" in entries[0]["headers"] and entries[0]["query"]["access_token"] == "***"
    assert entries[1]["body"]["refresh_token"] == "***" and entries[1]["body"]["grant_type"] == "refresh_token"
    for secret in ("leak-me", "secret-rt", "sandbox-procore-secret", api.tokens["access_token"]):
        assert secret not in text


def test_bulk_seeding_ten_thousand_of_each_takes_seconds_and_pages_fast(tmp_path: Path) -> None:
    with running_sandbox(tmp_path / "bulk.sqlite3", seed=True) as sandbox:
        started = time.monotonic()
        project = seed_bulk(sandbox.app.store, count=10_000)
        assert time.monotonic() - started < 5
        api = Api(sandbox, "procore", "reviewer@sandbox.test", SUMMIT)
        page = api.get(f"/rest/v1.1/projects/{project}/submittals", params={"page": 77, "per_page": 100})
        assert page.headers["Total"] == "10000" and len(page.json()) == 100
        rfis = api.get(f"/rest/v1.0/projects/{project}/rfis", params={"page": 100, "per_page": 100})
        assert len(rfis.json()) == 100 and "next" not in rfis.links


def test_sandbox_seed_prints_the_users_and_is_deterministic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "seed.sqlite3"
    call_command("sandbox_seed", "--db", str(db))
    first = Store(db).all("SELECT * FROM items ORDER BY id")
    call_command("sandbox_seed", "--db", str(db))
    out = capsys.readouterr().out
    assert "reviewer@sandbox.test" in out and "password: sandbox" in out
    assert [tuple(r) for r in Store(db).all("SELECT * FROM items ORDER BY id")] == [tuple(r) for r in first]


@override_settings(DEBUG=False)
def test_run_sandbox_refuses_to_start_with_debug_off(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("run_sandbox", "--db", str(tmp_path / "x.sqlite3"))


def test_sandbox_control_drives_a_running_sandbox(sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]) -> None:
    call_command(
        "sandbox_control", "send_rfi", f"project_id={RIVERSIDE}", "title=From the command", "--url", sandbox.base_url
    )
    result = json.loads(capsys.readouterr().out)
    assert (
        sandbox.app.store.row("SELECT title FROM items WHERE id = ?", (result["item_id"],))["title"]
        == "From the command"
    )


def test_the_control_page_lists_recent_items_and_the_responses_received(sandbox: RunningSandbox) -> None:
    sent = sandbox.scenario("send_submittal", project_id=RIVERSIDE, title="Louvre shop drawings")

    page = requests.get(f"{sandbox.base_url}/_control/", timeout=5).text

    assert "<h2>Recent items</h2>" in page and "Louvre shop drawings" in page
    assert "<h2>Responses received</h2>" in page
    assert sent  # the scenario answered what it made


def test_the_gc_sets_an_items_content_from_the_control_page(sandbox: RunningSandbox, procore: Api) -> None:
    path = f"/rest/v1.1/projects/{RIVERSIDE}/submittals"
    submittal = procore.get(path, params={"filters[ball_in_court_id]": REVIEWER}).json()[0]
    fields = {
        "description": "Revised anchors",
        "spec_number": "05 50 00",
        "spec_title": "Metal Fabrications",
        "submittal_type": "Product Data",
        "contractor": "Summit Steel",
        "received_from": "consultant@sandbox.test",
    }
    done = requests.post(
        f"{sandbox.base_url}/_control/scenarios/edit_item", data={"item_id": submittal["id"], **fields}, timeout=5
    )

    assert done.status_code == 200 and "edit_item" in done.text
    after = procore.get(f"{path}/{submittal['id']}").json()
    assert after["description"] == "Revised anchors"
    assert (after["specification_section"]["number"], after["specification_section"]["description"]) == (
        "05 50 00",
        "Metal Fabrications",
    )
    assert after["type"]["name"] == "Product Data"
    assert after["responsible_contractor"]["name"] == "Summit Steel"
    assert after["received_from"]["name"] == "Casey Consultant"
    assert after["updated_at"] >= submittal["updated_at"]


def test_the_gc_sets_an_rfis_question_and_impacts_and_adds_to_its_thread(sandbox: RunningSandbox, procore: Api) -> None:
    path = f"/rest/v1.0/projects/{RIVERSIDE}/rfis"
    rfi = procore.get(path, params={"filters[ball_in_court_id]": REVIEWER}).json()[0]
    sandbox.scenario(
        "edit_item", item_id=rfi["id"], question="Which governs?", schedule_impact="yes_known", schedule_days="3"
    )
    sandbox.scenario("answer_rfi", item_id=rfi["id"], body="Checking.", login="consultant@sandbox.test")

    after = next(r for r in procore.get(path).json() if r["id"] == rfi["id"])
    [question] = after["questions"]
    assert question["plain_text_body"] == "Which governs?"
    assert question["rich_text_body"] == "<p>Which governs?</p>"
    assert [(a["plain_text_body"], a["official"], a["created_by"]) for a in question["answers"]] == [
        ("Checking.", False, "Casey Consultant")
    ]
    assert after["schedule_impact"] == {"status": "yes_known", "value": 3}


def test_edit_item_names_the_fields_it_cannot_set(sandbox: RunningSandbox) -> None:
    answer = requests.post(
        f"{sandbox.base_url}/_control/scenarios/edit_item",
        json={"item_id": RIVERSIDE * 1000 + 1, "colour": "red"},
        timeout=5,
    )
    assert answer.status_code == 400
    assert "cannot set colour" in answer.json()["error"] and "description" in answer.json()["error"]


# The items table as sandbox files made before item content have it.
OLD_ITEMS = """CREATE TABLE items (
    id INTEGER PRIMARY KEY AUTOINCREMENT, project_id INTEGER NOT NULL, kind TEXT NOT NULL, uid TEXT NOT NULL,
    number TEXT NOT NULL, revision INTEGER NOT NULL DEFAULT 0, current_revision INTEGER NOT NULL DEFAULT 1,
    title TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'open',
    spec_number TEXT NOT NULL DEFAULT '', spec_title TEXT NOT NULL DEFAULT '',
    due_date TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, closed_at TEXT,
    manager_id INTEGER NOT NULL, assignee_id INTEGER, answered INTEGER NOT NULL DEFAULT 0)"""


def test_a_sandbox_file_made_before_item_content_gets_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(OLD_ITEMS)

    store = Store(path)

    columns = {row["name"] for row in store.all("PRAGMA table_info(items)")}
    assert {"submittal_type", "received_from_id", "contractor", "cost_impact", "schedule_days"} <= columns
    store.close()
