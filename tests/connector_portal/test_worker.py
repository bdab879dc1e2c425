"""A django-q2 worker keeps no SQL query log, even with DEBUG on (the development default)."""

from __future__ import annotations

from multiprocessing import Queue, Value

from django.db import connection
from django_q.worker import worker

from connector_portal.models import Firm


def count_firms_with_queries_logged() -> int:
    connection.force_debug_cursor = True  # what DEBUG does: log every query
    for _ in range(50):
        Firm.objects.count()
    return len(connection.queries_log)


def test_a_worker_keeps_no_query_log_even_with_debug_on(db: None) -> None:
    tasks: Queue = Queue()
    results: Queue = Queue()
    tasks.put({"id": "t1", "name": "t1", "func": count_firms_with_queries_logged, "args": (), "kwargs": {}})
    tasks.put("STOP")
    kept = connection.queries_log
    try:
        worker(tasks, results, Value("f", -1))
    finally:  # give the test process its own log back
        connection.queries_log, connection.force_debug_cursor = kept, False

    assert results.get(timeout=5)["result"] == 0
