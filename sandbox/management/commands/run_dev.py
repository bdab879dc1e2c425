"""Run the portal, the task worker and the provider sandbox together in the foreground (`make run`).

It lives with the sandbox because that is what it adds to `runserver` and `qcluster`: like the sandbox's other
commands it exists only where PROVIDER_SANDBOX is on, and the product knows nothing of it.

Children run in their own sessions, so Ctrl-C reaches only this supervisor, which stops each child once and waits
for it (a second signal mid-shutdown can leave django-q's cluster hanging).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand

STOP_GRACE_SECONDS = 15


def dev_commands(addr: str) -> list[list[str]]:
    """The three processes. The sandbox listens where the portal will call it (SANDBOX_URL): they move together."""
    manage = [sys.executable, "manage.py"]
    sandbox = urlsplit(settings.SANDBOX_URL)
    where = ["--host", sandbox.hostname or "127.0.0.1", "--port", str(sandbox.port or 8001)]
    return [[*manage, "run_sandbox", *where], [*manage, "qcluster"], [*manage, "runserver", addr, "--noreload"]]


class Command(BaseCommand):
    help = "Start the web server, the django-q2 worker and the provider sandbox; Ctrl-C stops all three."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args: Any, addr: str, **options: Any) -> None:
        commands = dev_commands(addr)
        children = [subprocess.Popen(command, start_new_session=True) for command in commands]  # noqa: S603
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
        if not stopping:
            self.stderr.write("A process stopped on its own; stopping the others.")
        self._stop(children)

    def _stop(self, children: list[subprocess.Popen[bytes]]) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        self.stdout.write("Stopped the portal, the worker and the provider sandbox.")
