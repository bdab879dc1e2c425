"""Liveness, readiness and the task queue's depth and age: what `/healthz/*` answers and the metrics read.

Liveness says the process answers at all (nothing else is touched, so a slow database never gets a web process
restarted). Readiness says it can serve: the database, the shared cache and the task broker answer.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from prometheus_client.metrics_core import Metric

from connector_portal.metrics import gauge


def database_state() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # any failure here is the answer, not a crash
        return {"ok": False, "vendor": connection.vendor, "error": type(exc).__name__}


def cache_state() -> dict[str, Any]:
    """Write and read back a key: login rate limits need a cache every process shares."""
    key, value = "healthz:probe", uuid.uuid4().hex
    try:
        cache.set(key, value, timeout=30)
        ok = cache.get(key) == value
        return {"ok": ok, "backend": type(cache).__name__} if ok else {"ok": False, "error": "read back differs"}
    except Exception as exc:  # any failure here is the answer, not a crash
        return {"ok": False, "error": type(exc).__name__}


def oldest_task_queued_at(broker: Any) -> dt.datetime | None:
    """When the oldest task still waiting in the broker was queued (the task's own `started` stamp), or None."""
    from django_q.brokers.orm import ORM
    from django_q.brokers.redis_broker import Redis
    from django_q.signing import SignedPackage

    payload: Any = None
    if isinstance(broker, Redis):
        payload = broker.connection.lindex(broker.list_key, 0)  # rpush in, blpop out: index 0 is the oldest
    elif isinstance(broker, ORM):
        row = broker.get_connection().filter(key=broker.list_key, lock__lte=timezone.now()).order_by("id").first()
        payload = row.payload if row is not None else None
    if payload is None:
        return None
    try:
        started = SignedPackage.loads(payload).get("started")
    except Exception:  # a task another deployment signed, or garbage: no age rather than no metrics
        return None
    return started if isinstance(started, dt.datetime) else None


def task_queue_state() -> dict[str, Any]:
    from django_q.brokers import get_broker
    from django_q.conf import Conf
    from django_q.status import Stat

    try:
        broker = get_broker()
        broker.ping()
        return {
            "ok": True,
            "broker": type(broker).__name__,
            "queued": broker.queue_size(),
            "clusters": len(Stat.get_all(broker=broker)),
            "sync": bool(Conf.SYNC),
        }
    except Exception as exc:  # any failure here is the answer, not a crash
        return {"ok": False, "error": type(exc).__name__}


def readiness() -> dict[str, Any]:
    checks = {"database": database_state(), "cache": cache_state(), "task_queue": task_queue_state()}
    ok = all(check["ok"] for check in checks.values())
    return {"status": "ok" if ok else "error", **checks}


def task_queue_metrics() -> Iterable[Metric]:
    """Scrape-time gauges: how many tasks wait in the broker, and for how long the oldest has waited."""
    from django_q.brokers import get_broker

    depth = gauge("portal_task_queue_depth", "Tasks waiting in the broker for a worker.")
    age = gauge("portal_task_queue_oldest_age_seconds", "How long the oldest waiting task has waited (0: none).")
    up = gauge("portal_task_broker_up", "1 when the task broker answered this scrape, else 0.")
    try:
        broker = get_broker()
        broker.ping()
        queued_at = oldest_task_queued_at(broker)
        depth.add_metric([], float(broker.queue_size()))
        age.add_metric([], max(0.0, (timezone.now() - queued_at).total_seconds()) if queued_at else 0.0)
        up.add_metric([], 1.0)
    except Exception:  # the broker being down is itself the measurement
        up.add_metric([], 0.0)
        return [up]
    return [depth, age, up]
