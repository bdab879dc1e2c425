from __future__ import annotations

import time

import pytest
import requests

from sandbox.faults import PROCORE_LIMIT_BODY
from sandbox.testing import RunningSandbox

from .conftest import Api


def test_latency_is_added_before_the_answer(sandbox: RunningSandbox, procore: Api) -> None:
    waited: list[float] = []
    sandbox.app.sleep = waited.append  # record instead of sleeping
    sandbox.app.faults.configure({"latency_ms": 250})
    assert procore.get("/rest/v1.0/me").status_code == 200
    assert waited == [0.25]


def test_a_share_of_answers_become_503_with_retry_after(sandbox: RunningSandbox, procore: Api) -> None:
    sandbox.app.faults.configure({"error_rate": 1.0, "retry_after": 7})
    answer = procore.get("/rest/v1.0/me")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "7"


def test_the_error_rate_is_a_share_of_requests(sandbox: RunningSandbox, procore: Api) -> None:
    sandbox.app.faults.configure({"error_rate": 0.5, "seed": 3})
    statuses = [procore.get("/rest/v1.0/me").status_code for _ in range(40)]
    assert 8 < statuses.count(503) < 32 and statuses.count(200) + statuses.count(503) == 40


def test_a_429_storm_answers_as_each_provider_does(sandbox: RunningSandbox, procore: Api) -> None:
    sandbox.app.faults.configure({"storm_rate": 1.0, "retry_after": 30})
    procore_answer = procore.get("/rest/v1.0/me")
    assert procore_answer.status_code == 429 and procore_answer.text == PROCORE_LIMIT_BODY
    assert procore_answer.headers["X-Rate-Limit-Remaining"] == "0"
    autodesk = Api(sandbox, "autodesk", "reviewer@sandbox.test").get("/project/v1/hubs")
    assert autodesk.status_code == 429 and autodesk.headers["Retry-After"] == "30"


def test_a_stalled_response_times_the_client_out(sandbox: RunningSandbox, procore: Api) -> None:
    sandbox.app.faults.configure({"stall_rate": 1.0, "stall_seconds": 5})
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        procore.session.get(sandbox.url("procore", "/rest/v1.0/me"), timeout=(1, 0.2))
    assert time.monotonic() - started < 2


def test_a_dropped_connection_gives_no_answer_at_all(sandbox: RunningSandbox, procore: Api) -> None:
    sandbox.app.faults.configure({"drop_rate": 1.0})
    with pytest.raises(requests.ConnectionError):
        procore.get("/rest/v1.0/me")


def test_faults_apply_only_under_their_path_prefix(sandbox: RunningSandbox, procore: Api) -> None:
    sandbox.app.faults.configure({"error_rate": 1.0, "match": "/autodesk"})
    assert procore.get("/rest/v1.0/me").status_code == 200
    assert Api(sandbox, "autodesk", "reviewer@sandbox.test").get("/project/v1/hubs").status_code == 503


def test_the_control_api_sets_and_resets_faults_at_run_time(sandbox: RunningSandbox, procore: Api) -> None:
    url = f"{sandbox.base_url}/_control/faults"
    assert requests.post(url, json={"error_rate": 1, "error_status": 500}, timeout=5).json()["error_rate"] == 1.0
    assert procore.get("/rest/v1.0/me").status_code == 500
    assert requests.get(f"{sandbox.base_url}/_control/state", timeout=5).json()["faults"]["error_status"] == 500
    requests.post(url, json={"reset": True}, timeout=5)
    assert procore.get("/rest/v1.0/me").status_code == 200
    assert requests.post(url, json={"typo": 1}, timeout=5).status_code == 400


def test_the_control_api_changes_rate_limits(sandbox: RunningSandbox, procore: Api) -> None:
    requests.post(f"{sandbox.base_url}/_control/rate_limits", json={"procore_spike": 1}, timeout=5)
    assert [procore.get("/rest/v1.0/me").status_code for _ in range(2)] == [200, 429]
