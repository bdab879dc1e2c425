"""What every django-q2 worker process does before a task, whatever the settings.

With DEBUG on (the development default) Django keeps the SQL of each query on the connection, up to 9,000 of them,
and a worker is never "between requests" to have them cleared: a sync's bulk statements of 2,000 rows of provider
JSON held it at tens of megabytes per worker. A worker has no debug page to show them, so it keeps none.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from django.db import connections


def query_log_off(*, task: dict[str, Any], **_signal: Any) -> None:
    """django-q2's `pre_execute`: give each of this process's connections a query log that keeps nothing.

    Replacing the log (not just clearing it) also covers the queries of the task about to run. A task run inline
    (`sync`: the tests, `Q_CLUSTER["sync"]`) is in the caller's process, whose log is the caller's to keep."""
    if task.get("sync"):
        return
    for connection in connections.all(initialized_only=True):
        if connection.queries_log.maxlen != 0:
            connection.queries_log = deque(maxlen=0)
