"""/metrics: off without a token, refused with a wrong one, and every process's counters added up in production."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import responses
from django.test import Client
from pytest_django.fixtures import Settings

from connector_portal import metrics
from providers.errors import ProviderError, RateLimited
from providers.http import Attempt, HttpClient
from tests.ops.metrics_helpers import TOKEN, scrape, value

URL = "https://api.example.test/rest/v1.0/things"


@pytest.fixture
def token(settings: Settings) -> str:
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def refuse(response: object, attempt: Attempt) -> ProviderError:
    return ProviderError("refused")


def test_metrics_are_off_until_a_token_is_set(db: None, client: Client, settings: Settings) -> None:
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything")
    assert response.status_code == 404
    assert "METRICS_TOKEN" in response.json()["message"]


def test_a_scrape_without_the_right_token_is_refused(db: None, client: Client, token: str) -> None:
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert wrong.status_code == 401
    assert b"portal_" not in wrong.content


def test_a_scrape_answers_prometheus_text_with_the_queue_gauges(db: None, client: Client, token: str) -> None:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = scrape(client)
    assert value(samples, "portal_task_broker_up") == 1.0
    assert value(samples, "portal_task_queue_depth") == 0.0


@responses.activate
def test_provider_requests_429s_and_waits_are_counted(
    db: None, client: Client, token: str, sleeps: list[float]
) -> None:
    before = scrape(client)
    responses.get(URL, status=429, headers={"Retry-After": "2"})
    responses.get(URL, json=[])
    responses.get(URL, status=429, headers={"Retry-After": "600"})
    http = HttpClient(label="Procore", jitter=lambda: 1.0)

    http.send("GET", URL, classify=refuse)  # a 429, a 2 s wait slept in place, then 200
    with pytest.raises(RateLimited):
        http.send("GET", URL, classify=refuse)  # a 429 asking for 10 minutes: deferred, never slept

    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return (value(after, name, **labels) or 0.0) - (value(before, name, **labels) or 0.0)

    assert grew("portal_provider_requests_total", provider="Procore", status="429") == 2
    assert grew("portal_provider_requests_total", provider="Procore", status="200") == 1
    assert grew("portal_provider_rate_limited_total", provider="Procore") == 2
    assert grew("portal_provider_waits_total", provider="Procore", outcome="slept") == 1
    assert grew("portal_provider_waits_total", provider="Procore", outcome="deferred") == 1
    # The counter is the process's: what other tests added before makes the difference a float sum.
    assert grew("portal_provider_wait_seconds_total", provider="Procore") == pytest.approx(602)
    assert sleeps == [2.0]


COUNT_IN_ANOTHER_PROCESS = """
from connector_portal import metrics
metrics.PROVIDER_REQUESTS.labels(provider="Autodesk", status="200").inc(3)
"""


def test_with_a_multiprocess_folder_a_scrape_adds_up_every_process(
    db: None, client: Client, token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):  # two gunicorn workers, say, each counting 3 requests
        subprocess.run([sys.executable, "-c", COUNT_IN_ANOTHER_PROCESS], env=env, cwd=root, check=True)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))

    samples = scrape(client)

    assert value(samples, "portal_provider_requests_total", provider="Autodesk", status="200") == 6
    assert value(samples, "portal_task_broker_up") == 1.0  # the gauges read at scrape time are still there
    assert metrics.multiprocess_dir() == str(tmp_path)
