"""Queuing django-q2 tasks, many at once when the broker is the database.

`async_task` writes one row per task with the ORM broker; the sweep queues thousands, so it writes them in one insert.
"""

from __future__ import annotations

from collections.abc import Sequence

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
        now = timezone.now()
        key = broker.list_key or Conf.CLUSTER_NAME
        OrmQ.objects.using(Conf.ORM).bulk_create(
            [OrmQ(key=key, payload=_package(func, args), lock=now) for func, args in calls]
        )
        return
    for func, args in calls:
        broker.enqueue(_package(func, args))


def enqueue(func: str, *args: object) -> None:
    enqueue_many([(func, args)])
