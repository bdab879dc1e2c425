from __future__ import annotations

import json

import pytest

from sandbox import acc
from sandbox.items import uid_for
from sandbox.testing import RunningSandbox
from tests.reference import require_reference

from .conftest import REVIEWER, Api

ACC, BIM360, GRANITE = "Summit Builders (ACC)", "Harbor Construction (BIM 360)", "Granite Partners (ACC)"


def _hubs(api: Api) -> dict[str, str]:
    return {h["attributes"]["name"]: h["id"] for h in api.get("/project/v1/hubs").json()["data"]}


def _acc_project(api: Api) -> str:
    hub = _hubs(api)[ACC]
    return api.get(f"/project/v1/hubs/{hub}/projects").json()["data"][0]["id"]


def test_hubs_and_projects_carry_the_b_prefix_and_membership_filtering(sandbox: RunningSandbox) -> None:
    api = Api(sandbox, "autodesk", "reviewer@sandbox.test")
    hubs = _hubs(api)
    assert set(hubs) == {ACC, BIM360} and all(h.startswith("b.") for h in hubs.values())  # Granite: no app
    projects = api.get(f"/project/v1/hubs/{hubs[ACC]}/projects").json()["data"]
    assert [p["attributes"]["name"] for p in projects] == ["Riverside Medical Center (ACC)"]
    assert projects[0]["attributes"]["extension"]["data"]["projectType"] == "ACC"
    outsider = Api(sandbox, "autodesk", "outsider@sandbox.test")
    assert outsider.get(f"/project/v1/hubs/{hubs[ACC]}/projects").json()["data"] == []


def test_projects_page_with_links_next(sandbox: RunningSandbox) -> None:
    api = Api(sandbox, "autodesk", "gc@sandbox.test")
    hub = _hubs(api)[ACC]
    first = api.get(f"/project/v1/hubs/{hub}/projects", params={"page[number]": 0, "page[limit]": 1}).json()
    assert len(first["data"]) == 1 and "next" in first["links"]
    second = api.session.get(first["links"]["next"]["href"], timeout=5).json()
    assert "next" not in second["links"] and second["data"][0]["id"] != first["data"][0]["id"]


def test_a_hub_without_the_custom_integration_is_absent_from_the_hubs_and_refused_by_id(
    sandbox: RunningSandbox,
) -> None:
    api = Api(sandbox, "autodesk", "reviewer@sandbox.test")
    listed = api.get("/project/v1/hubs")
    assert listed.status_code == 200 and GRANITE not in _hubs(api)
    granite = "b." + uid_for("org", 5_200_000_003)
    answer = api.get(f"/project/v1/hubs/{granite}/projects")
    assert answer.status_code == 403 and "Custom Integrations" in answer.json()["errors"][0]["detail"]


def test_rfi_and_submittal_apis_take_project_ids_without_b(sandbox: RunningSandbox) -> None:
    api = Api(sandbox, "autodesk", "reviewer@sandbox.test")
    project = _acc_project(api)
    assert api.post(f"/construction/rfis/v3/projects/{project}/search:rfis", json={}).status_code == 404
    assert api.post(f"/construction/rfis/v3/projects/{project[2:]}/search:rfis", json={}).status_code == 200


def test_rfi_search_filters_on_updated_at_and_status(sandbox: RunningSandbox) -> None:
    api = Api(sandbox, "autodesk", "reviewer@sandbox.test")
    project = _acc_project(api)[2:]
    body = {"limit": 10, "offset": 0, "filter": {"updatedAt": "2026-01-05T11:30:00Z..2026-01-05T12:30:00Z"}}
    found = api.post(f"/construction/rfis/v3/projects/{project}/search:rfis", json=body).json()
    assert [r["title"] for r in found["results"]] == ["Door hardware set 7"]
    assert found["pagination"]["totalResults"] == 1
    open_only = api.post(f"/construction/rfis/v3/projects/{project}/search:rfis", json={"filter": {"status": ["open"]}})
    assert [r["title"] for r in open_only.json()["results"]] == ["Beam depth at grid C/4"]


def test_submittal_items_page_with_next_url_and_filter(sandbox: RunningSandbox) -> None:
    api = Api(sandbox, "autodesk", "reviewer@sandbox.test")
    project = _acc_project(api)[2:]
    first = api.get(f"/construction/submittals/v2/projects/{project}/items", params={"limit": 3}).json()
    assert first["pagination"]["totalResults"] == 4 and len(first["results"]) == 3
    rest = api.session.get(first["pagination"]["nextUrl"], timeout=5).json()
    assert len(rest["results"]) == 1 and rest["pagination"]["nextUrl"] is None

    def titles(dates: str) -> list[str]:
        items = f"/construction/submittals/v2/projects/{project}/items"
        return [i["title"] for i in api.get(items, params={"filter[updatedAt]": dates}).json()["results"]]

    # The seed's submittals all changed on 5 January 2026: a date filter takes whole days, both ends included.
    assert len(titles("2026-01-05")) == 4 and len(titles("2026-01-01..2026-01-05")) == 4
    assert titles("2026-01-06..2100-01-01") == [] and titles("2026-01-04") == []


@pytest.mark.parametrize(
    "value", ["2026-01-05T12:30:00Z..", "2026-01-05T12:30:00Z..2100-01-01T00:00:00Z", "2026-01-05..", "2026-13-40"]
)
def test_submittal_date_filters_take_dates_only(sandbox: RunningSandbox, value: str) -> None:
    api = Api(sandbox, "autodesk", "reviewer@sandbox.test")
    project = _acc_project(api)[2:]
    refused = api.get(f"/construction/submittals/v2/projects/{project}/items", params={"filter[updatedAt]": value})
    assert refused.status_code == 400 and "filter[updatedAt]" in refused.json()["errors"][0]["detail"]
    one_day = api.get(f"/construction/submittals/v2/projects/{project}/items", params={"filter[createdAt]": value})
    assert one_day.status_code == 400


def test_the_reviewer_closes_their_review_task_with_a_response(sandbox: RunningSandbox) -> None:
    api = Api(sandbox, "autodesk", "reviewer@sandbox.test")
    project = _acc_project(api)[2:]
    base = f"/construction/submittals/v2/projects/{project}"
    responses = api.get(f"{base}/responses").json()["results"]
    assert {r["categoryId"] for r in responses} == {1, 2, 3}
    approved = next(r for r in responses if r["categoryId"] == 1)
    item = api.get(f"{base}/items").json()["results"][0]
    me = sandbox.app.store.row("SELECT adsk_id FROM users WHERE id = ?", (REVIEWER,))["adsk_id"]
    assert me in item["ballInCourtUsers"]
    step = api.get(f"{base}/items/{item['id']}/steps").json()["results"][0]
    task = next(t for t in step["tasks"] if t["assignedTo"] == me)
    other = next(t for t in step["tasks"] if t["assignedTo"] != me)
    url = f"{base}/items/{item['id']}/steps/{step['id']}/tasks/{{}}:close"
    assert api.post(url.format(other["id"]), json={"responseId": approved["id"]}).status_code == 403
    assert api.post(url.format(task["id"]), json={"responseId": "nope"}).status_code == 400
    closed = api.post(url.format(task["id"]), json={"responseId": approved["id"], "responseComment": "OK"})
    assert closed.status_code == 200 and closed.json()["status"] == "completed"
    after = api.get(f"{base}/items/{item['id']}").json()
    assert after["responseId"] == approved["id"] and me not in after["ballInCourtUsers"]


def test_an_rfi_response_is_recorded(sandbox: RunningSandbox) -> None:
    api = Api(sandbox, "autodesk", "reviewer@sandbox.test")
    project = _acc_project(api)[2:]
    rfi = api.post(f"/construction/rfis/v3/projects/{project}/search:rfis", json={"filter": {"status": ["open"]}})
    rfi_id = rfi.json()["results"][0]["id"]
    url = f"/construction/rfis/v3/projects/{project}/rfis/{rfi_id}"
    answer = api.post(f"{url}/responses", json={"text": "Yes.", "status": "answered"})
    assert answer.status_code == 201
    after = api.get(url).json()
    assert after["status"] == "answered" and after["officialResponse"] == "Yes."
    me = sandbox.app.store.row("SELECT adsk_id FROM users WHERE id = ?", (REVIEWER,))["adsk_id"]
    assert [(r["text"], r["createdBy"]) for r in after["responses"]] == [("Yes.", me)]


def test_a_rejected_rfi_response_keeps_its_status_and_sends_the_rfi_back(sandbox: RunningSandbox) -> None:
    api = Api(sandbox, "autodesk", "reviewer@sandbox.test")
    project = _acc_project(api)[2:]
    rfi = api.post(f"/construction/rfis/v3/projects/{project}/search:rfis", json={"filter": {"status": ["open"]}})
    url = f"/construction/rfis/v3/projects/{project}/rfis/{rfi.json()['results'][0]['id']}"

    answer = api.post(f"{url}/responses", json={"text": "Not enough detail to answer.", "status": "rejected"})

    assert answer.status_code == 201 and answer.json()["status"] == "rejected"
    after = api.get(url).json()
    assert after["status"] == "rejected" and after["officialResponse"] is None
    assert [(r["text"], r["status"]) for r in after["responses"]] == [("Not enough detail to answer.", "rejected")]


def test_v3_rfis_name_who_must_act_in_assigned_to_only(sandbox: RunningSandbox) -> None:
    """PROVIDERS.md: v3 RFIs have no `ballInCourt` field."""
    api = Api(sandbox, "autodesk", "reviewer@sandbox.test")
    project = _acc_project(api)[2:]
    rfis = api.post(f"/construction/rfis/v3/projects/{project}/search:rfis", json={}).json()["results"]
    detail = api.get(f"/construction/rfis/v3/projects/{project}/rfis/{rfis[0]['id']}").json()

    assert rfis and all("ballInCourt" not in r for r in [*rfis, detail])
    assert all(isinstance(r["assignedTo"], list) for r in rfis)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"content": "Yes."}, "Unknown field(s): content"),
        ({"text": "Yes."}, "missing: status"),
        ({"status": "answered"}, "missing: text"),
        ({"text": "Yes.", "status": "closed"}, "status must be one of answered, rejected"),
    ],
)
def test_an_rfi_response_outside_autodesks_description_is_a_400(
    sandbox: RunningSandbox, body: dict[str, str], words: str
) -> None:
    api = Api(sandbox, "autodesk", "reviewer@sandbox.test")
    project = _acc_project(api)[2:]
    rfi = api.post(f"/construction/rfis/v3/projects/{project}/search:rfis", json={"filter": {"status": ["open"]}})
    url = f"/construction/rfis/v3/projects/{project}/rfis/{rfi.json()['results'][0]['id']}"
    refused = api.post(f"{url}/responses", json=body)
    assert refused.status_code == 400
    error = refused.json()["errors"][0]
    assert error["status"] == "400" and words in error["detail"]
    assert api.get(url).json()["responses"] == []
    assert api.get(f"{url}/responses").status_code in (404, 405)  # not a documented operation


def test_the_sandboxs_rfi_response_rule_is_autodesks_description() -> None:
    operations = json.loads(require_reference("autodesk", "construction.json").read_text())["operations"]
    described = next(o for o in operations if o["id"] == "acc-rfis-v3-response-create")
    rule = acc.RFI_RESPONSE_BODY
    assert set(rule.keys) == set(described["body"])
    assert {k: set(v) for k, v in rule.keys.items() if v} == {
        k: set(v["enum"]) for k, v in described["body"].items() if "enum" in v
    }
    assert set(rule.required) == set(described["required"])


def test_bim360_rfis_list_by_container(sandbox: RunningSandbox) -> None:
    api = Api(sandbox, "autodesk", "reviewer@sandbox.test")
    hub = _hubs(api)[BIM360]
    project = api.get(f"/project/v1/hubs/{hub}/projects").json()["data"][0]
    container = project["relationships"]["rfis"]["data"]["id"]
    detail = api.get(f"/project/v1/hubs/{hub}/projects/{project['id']}").json()["data"]
    assert detail["relationships"]["rfis"]["data"]["id"] == container != project["id"][2:]
    answer = api.get(f"/bim360/rfis/v2/containers/{container}/rfis", params={"limit": 2})
    assert answer.status_code == 200 and answer.json()["pagination"]["totalResults"] == 3
    rfis = answer.json()["results"]
    assert all(not isinstance(r["attributes"]["assignedTo"], list) for r in rfis)
    assert {r["attributes"]["assignedToType"] for r in rfis if r["attributes"]["assignedTo"]} == {"user"}


def test_bim360_rfis_by_the_project_id_are_a_404(sandbox: RunningSandbox) -> None:
    api = Api(sandbox, "autodesk", "reviewer@sandbox.test")
    project = api.get(f"/project/v1/hubs/{_hubs(api)[BIM360]}/projects").json()["data"][0]
    answer = api.get(f"/bim360/rfis/v2/containers/{project['id'][2:]}/rfis")
    assert answer.status_code == 404 and answer.json()["errors"][0]["status"] == "404"


def test_past_the_limit_autodesk_answers_429_with_retry_after(sandbox: RunningSandbox) -> None:
    sandbox.app.limiter.configure({"autodesk_per_minute": 1})
    api = Api(sandbox, "autodesk", "reviewer@sandbox.test")
    assert api.get("/project/v1/hubs").status_code == 200
    limited = api.get("/project/v1/hubs")
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60


def test_a_review_task_given_to_the_reviewers_role_is_in_its_court_and_closed_by_a_holder(
    sandbox: RunningSandbox,
) -> None:
    api = Api(sandbox, "autodesk", "reviewer@sandbox.test")
    project = _acc_project(api)[2:]
    base = f"/construction/submittals/v2/projects/{project}"
    me = sandbox.app.store.row("SELECT adsk_id FROM users WHERE id = ?", (REVIEWER,))["adsk_id"]
    user = api.get(f"/construction/admin/v1/projects/{project}/users/{me}").json()
    assert user["autodeskId"] == me and user["companyName"] == "Acme Architects"
    assert [r["name"] for r in user["roles"]] == ["Architect"] and user["roleIds"] == [user["roles"][0]["id"]]
    assert api.get(f"/construction/admin/v1/projects/{project}/users/{me}", params={"x": "1"}).status_code == 400

    item = api.get(f"{base}/items").json()["results"][0]
    with sandbox.app.store.write() as conn:
        conn.execute(
            "UPDATE approvers SET assigned_as = 'role' WHERE user_id = ? AND item_id = "
            "(SELECT id FROM items WHERE uid = ?)",
            (REVIEWER, item["id"]),
        )
    listed = api.get(f"{base}/items/{item['id']}").json()
    assert me not in listed["ballInCourtUsers"] and listed["ballInCourtRoles"] == user["roleIds"]
    step = api.get(f"{base}/items/{item['id']}/steps").json()["results"][0]
    task = next(t for t in step["tasks"] if t["assignedToType"] == "role")
    assert task["assignedTo"] == user["roleIds"][0]
    approved = next(r for r in api.get(f"{base}/responses").json()["results"] if r["categoryId"] == 1)
    url = f"{base}/items/{item['id']}/steps/{step['id']}/tasks/{task['id']}:close"
    gc = Api(sandbox, "autodesk", "gc@sandbox.test")
    assert gc.post(url, json={"responseId": approved["id"]}).status_code == 403  # not a holder of the role
    assert api.post(url, json={"responseId": approved["id"]}).json()["status"] == "completed"


def test_acc_statuses_are_autodesks_documented_values(sandbox: RunningSandbox) -> None:
    api = Api(sandbox, "autodesk", "reviewer@sandbox.test")
    project = _acc_project(api)[2:]
    search = f"/construction/rfis/v3/projects/{project}/search:rfis"
    rfi = api.post(search, json={}).json()["results"][0]
    with sandbox.app.store.write() as conn:
        conn.execute("UPDATE items SET status = 'openRev1' WHERE uid = ?", (rfi["id"],))
        conn.execute("UPDATE items SET status = 'draft' WHERE kind = 'submittal' AND number = '4'")
    found = api.post(search, json={"filter": {"status": ["openRev1"]}}).json()["results"]
    assert [r["id"] for r in found] == [rfi["id"]] and found[0]["status"] == "openRev1"
    assert api.post(search, json={"filter": {"status": ["Open"]}}).status_code == 400
    answer = {"text": "Use S-201.", "status": "answered"}
    assert api.post(f"/construction/rfis/v3/projects/{project}/rfis/{rfi['id']}/responses", json=answer).ok
    items = f"/construction/submittals/v2/projects/{project}/items"
    gc = Api(sandbox, "autodesk", "gc@sandbox.test")
    draft = next(i for i in gc.get(items, params={"limit": 50}).json()["results"] if i["stateId"] == "draft")
    assert draft["statusId"] == "6"  # Draft; 1 is Required
    assert gc.get(items, params={"filter[statusId]": "7"}).status_code == 400


def test_the_emea_hub_says_its_region(sandbox: RunningSandbox) -> None:
    api = Api(sandbox, "autodesk", "gc@sandbox.test")
    regions = {h["attributes"]["name"]: h["attributes"]["region"] for h in api.get("/project/v1/hubs").json()["data"]}
    assert regions["Nordic Builders (ACC, EMEA)"] == "EMEA" and regions[ACC] == "US"
    hub = _hubs(api)["Nordic Builders (ACC, EMEA)"]
    assert api.get(f"/project/v1/hubs/{hub}").json()["data"]["attributes"]["region"] == "EMEA"
    projects = api.get(f"/project/v1/hubs/{hub}/projects").json()["data"]
    assert [p["attributes"]["name"] for p in projects] == ["Harbour Quay (ACC, EMEA)"]
