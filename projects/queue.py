"""Queuing django-q2 tasks, many at once when the broker is the database.

`async_task` writes one row per task with the ORM broker; the sweep queues thousands, so it writes them in one insert.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.humanhash import uuid
from django_q.models import OrmQ
from django_q.signing import SignedPackage
from django_q.tasks import async_task

Call = tuple[str, tuple[object, ...]]


def _package(func: str, args: tuple[object, ...]) -> str:
    name, task_id = uuid()
    return SignedPackage.dumps(
        {"id": task_id, "name": name, "func": func, "args": args, "kwargs": {}, "started": timezone.now()}
    )


ROWS_PER_INSERT = 10_000  # 30,000 bound values: under SQLite's 32,766 and PostgreSQL's 65,535


def _orm_insert(key: str, payloads: Sequence[str]) -> None:
    """One multi-row INSERT per 10,000 tasks into the ORM broker's table (bulk_create would split it into batches
    of 333 rows on SQLite, whose old 999-variable limit Django still assumes)."""
    connection = connections[Conf.ORM]
    quote = connection.ops.quote_name
    lock = connection.ops.adapt_datetimefield_value(timezone.now())
    columns = ", ".join(quote(c) for c in ("key", "payload", "lock"))
    for start in range(0, len(payloads), ROWS_PER_INSERT):
        chunk = payloads[start : start + ROWS_PER_INSERT]
        values = ", ".join(["(%s, %s, %s)"] * len(chunk))
        params = [value for payload in chunk for value in (key, payload, lock)]
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {quote(OrmQ._meta.db_table)} ({columns}) VALUES {values}", params)  # noqa: S608


def enqueue_many(calls: Sequence[Call]) -> None:
    """Queue each (dotted function, args) as a task."""
    if not calls:
        return
    if Conf.SYNC:  # tests run tasks at once, in order
        for func, args in calls:
            async_task(func, *args)
        return
    broker = get_broker()
    if Conf.ORM:
        _orm_insert(broker.list_key or Conf.CLUSTER_NAME, [_package(func, args) for func, args in calls])
        return
    for func, args in calls:
        broker.enqueue(_package(func, args))


def enqueue(func: str, *args: object) -> None:
    enqueue_many([(func, args)])
