"""Autodesk's RFI and Submittal APIs count requests per application, every user of the client id together
(PROVIDERS.md: RFIs 100 a minute, Submittals 600): past it, 429 with Retry-After, whoever asks."""

from __future__ import annotations

from sandbox.ratelimit import RateLimits
from sandbox.testing import RunningSandbox

from .conftest import Api


def _acc_project(api: Api) -> str:
    hubs = {h["attributes"]["name"]: h["id"] for h in api.get("/project/v1/hubs").json()["data"]}
    hub = hubs["Summit Builders (ACC)"]
    return api.get(f"/project/v1/hubs/{hub}/projects").json()["data"][0]["id"][2:]


def test_the_default_per_application_limits_are_autodesks() -> None:
    limits = RateLimits()
    assert (limits.autodesk_rfis_app_per_minute, limits.autodesk_submittals_app_per_minute) == (100, 600)


def test_the_rfi_budget_is_shared_by_every_user_of_the_app(sandbox: RunningSandbox) -> None:
    reviewer, gc = Api(sandbox, "autodesk", "reviewer@sandbox.test"), Api(sandbox, "autodesk", "gc@sandbox.test")
    project = _acc_project(reviewer)
    sandbox.app.limiter.configure({"autodesk_rfis_app_per_minute": 2, "autodesk_submittals_app_per_minute": 1})
    search = f"/construction/rfis/v3/projects/{project}/search:rfis"

    assert reviewer.post(search, json={}).status_code == 200
    assert gc.post(search, json={}).status_code == 200
    limited = reviewer.post(search, json={})  # a third request this minute, whoever sends it
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
    assert gc.get("/project/v1/hubs").status_code == 200  # Data Management is not part of that budget
    items = f"/construction/submittals/v2/projects/{project}/items"
    assert gc.get(items).status_code == 200 and reviewer.get(items).status_code == 429  # a budget of its own

    sandbox.clock.advance(60)
    assert gc.post(search, json={}).status_code == 200
