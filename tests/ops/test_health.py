"""/healthz/live answers without touching anything; /healthz/ready (and /healthz) checks database, cache and queue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.signing import SignedPackage

from connector_portal import health
from tests.ops.metrics_helpers import samples_of, value


def test_liveness_answers_without_the_database(client: Client) -> None:
    # No `db` fixture: pytest-django fails any query, so this proves liveness never waits on the database.
    response = client.get("/healthz/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/healthz/ready", "/healthz"])
def test_readiness_reports_database_cache_and_queue(db: None, client: Client, path: str) -> None:
    body = client.get(path).json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["cache"]["ok"] and body["task_queue"]["ok"]


def test_readiness_fails_with_503_naming_the_cache_when_it_is_down(
    db: None, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("cache unreachable")

    monkeypatch.setattr(cache, "set", down)
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["cache"] == {"ok": False, "error": "ConnectionError"}
    assert response.json()["database"]["ok"] is True


def test_the_queue_metrics_tell_the_depth_and_the_age_of_the_oldest_task(db: None) -> None:
    broker = get_broker()
    queued_at = timezone.now() - dt.timedelta(minutes=5)
    for _ in range(2):
        broker.enqueue(SignedPackage.dumps({"id": "t", "name": "t", "func": "len", "args": (), "started": queued_at}))

    samples = samples_of(health.task_queue_metrics())

    assert value(samples, "portal_task_queue_depth") == 2
    assert 300 <= (value(samples, "portal_task_queue_oldest_age_seconds") or 0) < 360
