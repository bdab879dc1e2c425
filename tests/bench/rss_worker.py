"""A fresh process that syncs generated items through django-q2's own worker loop and reports its RSS growth.

Run by test_memory_bench.py as `python -m tests.bench.rss_worker <count> <keep-query-log>` with the default settings
(DEBUG on) and a database of its own; prints one JSON line. `keep-query-log` 1 disconnects the worker's query-log
guard, to show in the same run what a worker kept before.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from multiprocessing import Queue, Value


def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} missing from /proc/self/status")


class Generated:
    """Items made page by page, ~3 KB of provider JSON each (nothing kept between pages)."""

    label = "Bench"

    def __init__(self, count: int) -> None:
        self.count = count

    def pages(self, kind: str, since: dt.datetime | None) -> Iterator[object]:
        from projects.ports import Page
        from providers.types import ProviderItem
        from tests.bench.test_ingest_bench import _raw

        if kind != "submittal":
            return
        for start in range(0, self.count, 2_000):
            yield Page(
                items=[
                    ProviderItem(
                        kind="submittal",
                        provider_id=str(n),
                        number=f"05 12 00-{n}",
                        title=f"Shop drawings {n}",
                        status="Open",
                        updated_at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
                        ball_in_court=("Rita Reviewer",),
                        url=f"https://provider.example.com/submittals/{n}",
                        raw=_raw(n, 0),
                    )
                    for n in range(start, min(start + 2_000, self.count))
                ],
                total=self.count,
            )

    def response_options(self, kind: str) -> list[object]:
        return []

    def post_response(self, item: object, option: object, comment: str, files: Sequence[object] = ()) -> str:
        raise NotImplementedError


def sync_generated(link_id: int, count: int) -> str:
    from projects.services import link_sync

    run = link_sync(link_id=link_id, port=Generated(count))  # type: ignore[arg-type]
    return "" if run is None else f"{run.status} {run.new}"


def main(count: int, keep_query_log: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connector_portal.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django_q.signals import pre_execute
    from django_q.worker import worker

    from connector_portal.models import Firm, ProjectCenterProject
    from projects.models import ProjectLink
    from providers.models import ProviderAccount
    from tests.projects.conftest import keyword_lists_add

    call_command("migrate", verbosity=0)
    if keep_query_log:
        pre_execute.disconnect(dispatch_uid="connector_portal.query_log_off")
    firm = Firm.objects.create(name="Memory", slug=f"memory-{time.time_ns()}")
    account = ProviderAccount.objects.create(firm=firm, provider="procore", provider_user_id="m", name="Rita")
    project = ProjectCenterProject.objects.create(firm=firm, pc_project_id="M-1", name="Memory")
    keyword_lists_add(project)
    link = ProjectLink.objects.create(
        firm=firm, project=project, provider="procore", account=account, provider_project_id="1", sync_rfis=False
    )
    tasks: Queue = Queue()
    results: Queue = Queue()
    task = {"id": "m1", "name": "m1", "func": "tests.bench.rss_worker.sync_generated", "args": (link.pk, count)}
    tasks.put({**task, "kwargs": {}})
    tasks.put("STOP")
    with open("/proc/self/clear_refs", "w") as refs:  # restart the peak (VmHWM) here, after migrating
        refs.write("5")
    before = _rss_kb("VmRSS")
    began = time.perf_counter()
    worker(tasks, results, Value("f", -1))
    seconds = time.perf_counter() - began
    outcome = results.get(timeout=30)
    print(
        json.dumps(
            {
                "result": outcome["result"],
                "growth_mb": (_rss_kb("VmHWM") - before) / 1024,
                "seconds": seconds,
                "debug": __import__("django.conf").conf.settings.DEBUG,
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2] == "1")
