"""Autodesk's lists take pages up to the documented maxima (construction.json's `limit`, PROVIDERS.md's `page[limit]`)
and answer 400 with Autodesk's error shape above them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sandbox.autodesk_api import PROJECTS_LIMIT_MAX, RFI_LIMIT_MAX, SUBMITTAL_LIMIT_MAX
from sandbox.testing import RunningSandbox
from tests.reference import require_reference

from .conftest import Api

ACC, BIM360 = "Summit Builders (ACC)", "Harbor Construction (BIM 360)"


def _limit_max(operation_id: str) -> int:
    operations = json.loads(require_reference("autodesk", "construction.json").read_text())["operations"]
    described = next(o for o in operations if o["id"] == operation_id)
    limit = described.get("query", {}).get("limit") or described["body"]["limit"]
    return int(limit["max"])


def test_the_sandboxs_maxima_are_autodesks() -> None:
    assert RFI_LIMIT_MAX == _limit_max("acc-rfis-v3-search") == _limit_max("bim360-rfis-v2-list")
    for operation in ("acc-submittals-v2-items", "acc-submittals-v2-responses", "acc-submittals-v2-steps"):
        assert _limit_max(operation) == SUBMITTAL_LIMIT_MAX
    assert PROJECTS_LIMIT_MAX == 200  # PROVIDERS.md: Data Management page[limit] max 200


def _refused(answer: Any, name: str) -> None:
    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert error["status"] == "400" and error["code"] == "BAD_INPUT" and name in error["detail"]


@pytest.fixture
def api(sandbox: RunningSandbox) -> Api:
    return Api(sandbox, "autodesk", "reviewer@sandbox.test")


def _hubs(api: Api) -> dict[str, str]:
    return {h["attributes"]["name"]: h["id"] for h in api.get("/project/v1/hubs").json()["data"]}


def test_acc_lists_take_their_largest_page_and_refuse_more(sandbox: RunningSandbox, api: Api) -> None:
    project = sandbox.seed_bulk(provider="autodesk", count=SUBMITTAL_LIMIT_MAX + 1)
    pid = sandbox.app.store.row("SELECT uid FROM projects WHERE id = ?", (project,))["uid"]
    search = f"/construction/rfis/v3/projects/{pid}/search:rfis"
    found = api.post(search, json={"limit": RFI_LIMIT_MAX, "offset": 0})
    assert found.status_code == 200 and found.json()["pagination"]["limit"] == RFI_LIMIT_MAX
    _refused(api.post(search, json={"limit": RFI_LIMIT_MAX + 1}), "limit")
    _refused(api.post(search, json={"limit": 0}), "limit")

    items = f"/construction/submittals/v2/projects/{pid}/items"
    page = api.get(items, params={"limit": SUBMITTAL_LIMIT_MAX})
    assert page.status_code == 200 and len(page.json()["results"]) == SUBMITTAL_LIMIT_MAX
    _refused(api.get(items, params={"limit": SUBMITTAL_LIMIT_MAX + 1}), "limit")
    responses = f"/construction/submittals/v2/projects/{pid}/responses"
    assert api.get(responses, params={"limit": SUBMITTAL_LIMIT_MAX}).status_code == 200
    _refused(api.get(responses, params={"limit": SUBMITTAL_LIMIT_MAX + 1}), "limit")


def test_bim360_rfis_and_hub_projects_refuse_pages_above_their_maximum(api: Api) -> None:
    hub = _hubs(api)[BIM360]
    projects = f"/project/v1/hubs/{hub}/projects"
    listed = api.get(projects, params={"page[limit]": PROJECTS_LIMIT_MAX})
    assert listed.status_code == 200
    _refused(api.get(projects, params={"page[limit]": PROJECTS_LIMIT_MAX + 1}), "page[limit]")
    container = listed.json()["data"][0]["relationships"]["rfis"]["data"]["id"]
    rfis = f"/bim360/rfis/v2/containers/{container}/rfis"
    assert api.get(rfis, params={"limit": RFI_LIMIT_MAX}).status_code == 200
    _refused(api.get(rfis, params={"limit": RFI_LIMIT_MAX + 1}), "limit")
