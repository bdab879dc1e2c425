from __future__ import annotations

import requests

from sandbox.faults import PROCORE_LIMIT_BODY
from sandbox.procore_api import NOT_CONNECTED
from sandbox.seed import RENAMED
from sandbox.testing import RunningSandbox

from .conftest import BRIDGE, CONSULTANT, GC, HARBOR, OAK, REVIEWER, RIVERSIDE, SUMMIT, Api


def test_me_and_companies_need_no_company_header(sandbox: RunningSandbox) -> None:
    api = Api(sandbox, "procore", "reviewer@sandbox.test")
    assert api.get("/rest/v1.0/me").json()["login"] == "reviewer@sandbox.test"
    companies = api.get("/rest/v1.0/companies").json()
    assert [c["name"] for c in companies] == ["Summit Builders", "Harbor Construction"]


def test_project_calls_need_the_company_header(sandbox: RunningSandbox) -> None:
    api = Api(sandbox, "procore", "reviewer@sandbox.test")
    answer = api.get("/rest/v1.1/projects", params={"company_id": SUMMIT})
    assert answer.status_code == 400 and "Procore-Company-Id" in answer.json()["errors"]


def test_a_user_sees_only_the_projects_they_are_a_member_of(sandbox: RunningSandbox, procore: Api) -> None:
    names = [p["name"] for p in procore.get("/rest/v1.1/projects", params={"company_id": SUMMIT}).json()]
    assert names == ["Riverside Medical Center", "Oak Street School"]
    assert procore.get(f"/rest/v1.1/projects/{BRIDGE}/submittals").status_code == 403
    outsider = Api(sandbox, "procore", "outsider@sandbox.test", SUMMIT)
    assert outsider.get("/rest/v1.0/projects", params={"company_id": SUMMIT}).json() == []
    admin = Api(sandbox, "procore", "gc@sandbox.test", SUMMIT)
    assert len(admin.get("/rest/v1.0/projects", params={"company_id": SUMMIT}).json()) == 3


def test_a_company_that_blocks_outside_apps_answers_403(sandbox: RunningSandbox) -> None:
    api = Api(sandbox, "procore", "reviewer@sandbox.test", HARBOR)
    assert api.get("/rest/v1.1/projects", params={"company_id": HARBOR}).status_code == 200
    sandbox.scenario("block_app", org_id=HARBOR, blocked=True)
    answer = api.get("/rest/v1.1/projects", params={"company_id": HARBOR})
    assert answer.status_code == 403 and answer.json()["errors"] == NOT_CONNECTED
    assert [c["name"] for c in api.get("/rest/v1.0/companies").json()][1] == "Harbor Construction"


def test_a_project_tool_an_admin_disabled_answers_403_on_every_call_to_it(
    sandbox: RunningSandbox, procore: Api
) -> None:
    submittals, rfis = f"/rest/v1.1/projects/{RIVERSIDE}/submittals", f"/rest/v1.0/projects/{RIVERSIDE}/rfis"
    first = procore.get(submittals).json()[0]
    sandbox.scenario("disable_tool", project_id=RIVERSIDE, tool="Submittals")
    for path in (submittals, f"{submittals}/{first['id']}", f"/rest/v1.0/projects/{RIVERSIDE}/submittal_responses"):
        answer = procore.get(path)
        assert answer.status_code == 403 and "Submittals tool" in answer.json()["errors"], path
    approver = first["approvers"][0]
    refused = procore.patch(
        f"/rest/v1.0/submittal_approvers/{approver['id']}",
        params={"project_id": RIVERSIDE, "submittal_id": first["id"]},
        json={"submittal_approver": {"submittal_response_id": 1}},
    )
    assert refused.status_code == 403
    assert procore.get(rfis).status_code == 200  # only that tool
    assert procore.get(f"/rest/v1.1/projects/{OAK}/submittals").status_code == 200  # only that project
    sandbox.scenario("disable_tool", project_id=RIVERSIDE, tool="Submittals", disabled="false")
    assert procore.get(submittals).status_code == 200


def test_lists_page_with_link_total_and_per_page(sandbox: RunningSandbox, procore: Api) -> None:
    project = sandbox.seed_bulk(count=250)
    first = procore.get(f"/rest/v1.1/projects/{project}/submittals", params={"per_page": 100})
    assert first.headers["Total"] == "250" and first.headers["Per-Page"] == "100"
    assert 'rel="next"' in first.headers["Link"] and "page=2" in first.links["next"]["url"]
    last = procore.session.get(first.links["last"]["url"], timeout=5)
    assert len(last.json()) == 50 and "next" not in last.links and "prev" in last.links
    assert len({s["id"] for s in first.json()} | {s["id"] for s in last.json()}) == 150


def test_item_lists_take_up_to_2000_a_page_and_refuse_more(sandbox: RunningSandbox, procore: Api) -> None:
    # Procore recommends at most 2,000 a page (PROVIDERS.md, corrections); 300 is the v1.1 projects list's limit only.
    project = sandbox.seed_bulk(count=2_001)
    for path in (f"/rest/v1.0/projects/{project}/rfis", f"/rest/v1.1/projects/{project}/submittals"):
        answer = procore.get(path, params={"per_page": 2000})
        assert answer.headers["Per-Page"] == "2000" and len(answer.json()) == 2000 and "next" in answer.links
        refused = procore.get(path, params={"per_page": 2001})
        assert refused.status_code == 400 and "per_page" in refused.json()["errors"]
    refused = procore.get(f"/rest/v1.0/projects/{project}/submittal_responses", params={"per_page": 2001})
    assert refused.status_code == 400


def test_the_v11_projects_list_takes_up_to_300_a_page(procore: Api) -> None:
    assert procore.get("/rest/v1.1/projects", params={"company_id": SUMMIT, "per_page": 300}).status_code == 200
    refused = procore.get("/rest/v1.1/projects", params={"company_id": SUMMIT, "per_page": 301})
    assert refused.status_code == 400 and "300" in refused.json()["errors"]
    assert procore.get("/rest/v1.0/projects", params={"company_id": SUMMIT, "per_page": 2000}).status_code == 200


def test_submittals_filter_on_an_updated_at_range(procore: Api) -> None:
    rng = "2026-01-05T11:30:00Z...2026-01-05T13:00:00Z"
    answer = procore.get(f"/rest/v1.1/projects/{RIVERSIDE}/submittals", params={"filters[updated_at]": rng})
    assert [s["updated_at"] for s in answer.json()] == ["2026-01-05T12:00:00Z", "2026-01-05T13:00:00Z"]
    bad = procore.get(f"/rest/v1.1/projects/{RIVERSIDE}/submittals", params={"filters[updated_at]": "2026-01-05"})
    assert bad.status_code == 400


def test_rfis_filter_on_an_updated_at_range_and_status(procore: Api) -> None:
    answer = procore.get(
        f"/rest/v1.0/projects/{RIVERSIDE}/rfis", params={"filters[updated_at]": "2026-01-05T12:00:00Z..."}
    )
    assert [r["subject"] for r in answer.json()] == ["Door hardware set 7", "Slab edge detail"]
    closed = procore.get(f"/rest/v1.0/projects/{RIVERSIDE}/rfis", params={"filters[status]": "closed"})
    assert [r["subject"] for r in closed.json()] == ["Slab edge detail"]


def test_submittals_filter_on_approver_and_ball_in_court(procore: Api) -> None:
    path = f"/rest/v1.1/projects/{RIVERSIDE}/submittals"
    approver = procore.get(path, params={"filters[approver_id]": REVIEWER}).json()
    assert [(s["number"], s["revision"]) for s in approver] == [("1", "0"), ("2", "0"), ("2", "1")]
    ball = procore.get(path, params={"filters[ball_in_court_id]": REVIEWER}).json()
    assert [(s["number"], s["revision"]) for s in ball] == [("1", "0"), ("2", "1")]
    current = procore.get(path, params={"filters[current_revision]": "true", "filters[approver_id]": REVIEWER}).json()
    assert [(s["number"], s["revision"]) for s in current] == [("1", "0"), ("2", "1")]


def test_submittal_responses_keep_considered_when_renamed(procore: Api) -> None:
    responses = procore.get(f"/rest/v1.0/projects/{RIVERSIDE}/submittal_responses").json()
    assert {"name": RENAMED, "considered": "approved"} in [{k: r[k] for k in ("name", "considered")} for r in responses]
    other = procore.get(f"/rest/v1.0/projects/{OAK}/submittal_responses").json()
    assert "Approved" in [r["name"] for r in other]


def _reviewer_approver(procore: Api, number: str = "1") -> tuple[dict, dict]:
    submittals = procore.get(f"/rest/v1.1/projects/{RIVERSIDE}/submittals").json()
    submittal = next(s for s in submittals if s["number"] == number and s["current_revision"])
    return submittal, next(a for a in submittal["approvers"] if a["user"]["id"] == REVIEWER)


def _respond(api: Api, submittal: dict, approver: dict, response_id: int) -> requests.Response:
    return api.patch(
        f"/rest/v1.0/submittal_approvers/{approver['id']}",
        params={"project_id": RIVERSIDE, "submittal_id": submittal["id"]},
        json={"submittal_approver": {"submittal_response_id": response_id, "comment": "See markups"}},
    )


def test_the_approver_posts_a_response_and_the_ball_moves_on(procore: Api) -> None:
    responses = {
        r["considered"]: r["id"] for r in procore.get(f"/rest/v1.0/projects/{RIVERSIDE}/submittal_responses").json()
    }
    submittal, approver = _reviewer_approver(procore)
    answer = _respond(procore, submittal, approver, responses["approved as noted"])
    assert answer.status_code == 200
    assert answer.json()[0]["submittal_response_id"] == responses["approved as noted"]
    after = procore.get(f"/rest/v1.1/projects/{RIVERSIDE}/submittals/{submittal['id']}").json()
    mine = next(a for a in after["approvers"] if a["id"] == approver["id"])
    assert mine["response"]["considered"] == "approved as noted" and mine["comment"] == "See markups"
    assert [b["id"] for b in after["ball_in_court"]] == [GC]
    assert after["updated_at"] > submittal["updated_at"]


def test_an_approver_response_emails_the_contractor_only_when_asked(sandbox: RunningSandbox, procore: Api) -> None:
    responses = {
        r["considered"]: r["id"] for r in procore.get(f"/rest/v1.0/projects/{RIVERSIDE}/submittal_responses").json()
    }
    submittal, approver = _reviewer_approver(procore)
    assert _respond(procore, submittal, approver, responses["approved"]).status_code == 200
    assert sandbox.app.store.all("SELECT * FROM emails") == []  # send_emails defaults to false
    path = f"/rest/v1.0/submittal_approvers/{approver['id']}"
    query = {"project_id": RIVERSIDE, "submittal_id": submittal["id"], "send_emails": "yes"}
    body = {"submittal_approver": {"submittal_response_id": responses["approved"]}}
    assert procore.patch(path, params=query, json=body).status_code == 400
    assert procore.patch(path, params={**query, "send_emails": "true"}, json=body).status_code == 200
    sent = sandbox.app.store.all("SELECT item_id, about, sender_id FROM emails")
    assert [tuple(row) for row in sent] == [(submittal["id"], "submittal_approver", REVIEWER)]


def test_an_approver_response_is_checked(sandbox: RunningSandbox, procore: Api) -> None:
    responses = {
        r["considered"]: r["id"] for r in procore.get(f"/rest/v1.0/projects/{RIVERSIDE}/submittal_responses").json()
    }
    submittal, approver = _reviewer_approver(procore)
    assert _respond(procore, submittal, approver, responses["pending"]).status_code == 400
    assert _respond(procore, submittal, approver, 12345).status_code == 400
    consultant = Api(sandbox, "procore", "consultant@sandbox.test", SUMMIT)
    assert _respond(consultant, submittal, approver, responses["approved"]).status_code == 403
    sandbox.scenario("close_item", item_id=submittal["id"])
    assert _respond(procore, submittal, approver, responses["approved"]).status_code == 422
    assert CONSULTANT != REVIEWER


def test_an_approver_of_a_later_step_waits_for_their_turn(sandbox: RunningSandbox, procore: Api) -> None:
    responses = {
        r["considered"]: r["id"] for r in procore.get(f"/rest/v1.0/projects/{RIVERSIDE}/submittal_responses").json()
    }
    sent = sandbox.scenario("send_submittal", project_id=RIVERSIDE, after="consultant@sandbox.test")
    path = f"/rest/v1.1/projects/{RIVERSIDE}/submittals"
    submittal = procore.get(f"{path}/{sent['item_id']}").json()
    steps = {a["user"]["id"]: a["workflow_group_number"] for a in submittal["approvers"]}
    assert steps == {CONSULTANT: 1, REVIEWER: 2}
    assert [b["id"] for b in submittal["ball_in_court"]] == [CONSULTANT]  # step 2 waits: not in court yet
    ball = procore.get(path, params={"filters[ball_in_court_id]": REVIEWER}).json()
    assert sent["item_id"] not in [s["id"] for s in ball]
    mine = next(a for a in submittal["approvers"] if a["user"]["id"] == REVIEWER)
    refused = _respond(procore, submittal, mine, responses["approved"])
    assert refused.status_code == 403 and "turn" in refused.json()["errors"]

    consultant = Api(sandbox, "procore", "consultant@sandbox.test", SUMMIT)
    first = next(a for a in submittal["approvers"] if a["user"]["id"] == CONSULTANT)
    assert _respond(consultant, submittal, first, responses["approved"]).status_code == 200
    after = procore.get(f"{path}/{sent['item_id']}").json()
    assert [b["id"] for b in after["ball_in_court"]] == [REVIEWER]
    assert _respond(procore, submittal, mine, responses["approved"]).status_code == 200


def test_a_plain_assignee_may_not_reply_officially_but_may_reply(sandbox: RunningSandbox, procore: Api) -> None:
    rfi = procore.get(f"/rest/v1.0/projects/{RIVERSIDE}/rfis", params={"filters[ball_in_court_id]": REVIEWER}).json()[0]
    path = f"/rest/v1.0/projects/{RIVERSIDE}/rfis/{rfi['id']}/replies"
    refused = procore.post(path, json={"reply": {"body": "Use the structural depth.", "official": True}})
    assert refused.status_code == 403 and "official" in refused.json()["errors"]
    assert procore.post(path, json={"reply": {"body": "x", "official": "yes"}}).status_code == 400
    answer = procore.post(path, json={"reply": {"body": "Use the structural depth.", "official": False}})
    assert answer.status_code == 201 and answer.json()["official"] is False
    after = procore.get(f"/rest/v1.0/projects/{RIVERSIDE}/rfis/{rfi['id']}").json()
    assert after["questions"][0]["answers"][-1]["plain_text_body"] == "Use the structural depth."
    replies = procore.get(path).json()
    assert [r["plain_text_body"] for r in replies] == ["Use the structural depth."]


def test_the_rfi_manager_replies_officially_and_the_ball_moves_on(sandbox: RunningSandbox, procore: Api) -> None:
    rfi = procore.get(f"/rest/v1.0/projects/{RIVERSIDE}/rfis", params={"filters[ball_in_court_id]": REVIEWER}).json()[0]
    manager = Api(sandbox, "procore", "gc@sandbox.test", SUMMIT)
    answer = manager.post(
        f"/rest/v1.0/projects/{RIVERSIDE}/rfis/{rfi['id']}/replies",
        json={"reply": {"body": "Use the structural depth.", "official": True}},
    )
    assert answer.status_code == 201 and answer.json()["official"] is True
    after = procore.get(f"/rest/v1.0/projects/{RIVERSIDE}/rfis/{rfi['id']}").json()
    assert after["ball_in_court"]["id"] == GC
    assert after["questions"][0]["answers"][-1]["plain_text_body"] == "Use the structural depth."


def test_every_answer_carries_rate_limit_headers(procore: Api) -> None:
    first = procore.get("/rest/v1.0/me")
    second = procore.get(f"/rest/v1.1/projects/{BRIDGE}/submittals")  # a 403 counts too
    assert second.status_code == 403
    assert int(first.headers["X-Rate-Limit-Remaining"]) - 1 == int(second.headers["X-Rate-Limit-Remaining"])
    assert first.headers["X-Rate-Limit-Limit"] == "100" and int(first.headers["X-Rate-Limit-Reset"]) > 0


def test_past_the_spike_limit_procore_answers_429_until_the_window_resets(
    sandbox: RunningSandbox, procore: Api
) -> None:
    sandbox.app.limiter.configure({"procore_spike": 3, "procore_hourly": 1000})
    statuses = [procore.get("/rest/v1.0/me").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = procore.get("/rest/v1.0/me")
    assert limited.text == PROCORE_LIMIT_BODY
    assert limited.headers["X-Rate-Limit-Remaining"] == "0" and limited.headers["X-Rate-Limit-Limit"] == "3"
    sandbox.clock.advance(11)
    assert procore.get("/rest/v1.0/me").status_code == 200


def test_the_hourly_limit_shows_when_it_is_closest_to_running_out(sandbox: RunningSandbox, procore: Api) -> None:
    sandbox.app.limiter.configure({"procore_spike": 100, "procore_hourly": 2})
    first = procore.get("/rest/v1.0/me")
    assert first.headers["X-Rate-Limit-Limit"] == "2" and first.headers["X-Rate-Limit-Remaining"] == "1"
    procore.get("/rest/v1.0/me")
    assert procore.get("/rest/v1.0/me").status_code == 429
