"""Start a provider sandbox inside a test, on a free port, with its own temporary database.

    from sandbox.testing import running_sandbox

    with running_sandbox(tmp_path / "sandbox.sqlite3") as sandbox:
        users = sandbox.seed()                       # demo data; every user's password is "sandbox"
        sandbox.base_url                             # e.g. "http://127.0.0.1:54321"
        sandbox.url("procore", "/oauth/authorize")   # base_url + "/procore/oauth/authorize"
        sandbox.app.faults.configure({"error_rate": 1.0})      # fault knobs (see faults.Faults)
        sandbox.app.limiter.configure({"procore_spike": 5})    # rate limits (see ratelimit.RateLimits)
        sandbox.clock.advance(3600)                  # move the sandbox's time, no sleeping
        sandbox.token("procore", "reviewer@sandbox.test")      # an access+refresh pair without the browser dance
        sandbox.scenario("send_submittal", project_id=...)     # see scenarios.SCENARIOS

Pytest fixture: `sandbox` in tests/sandbox/conftest.py (seeded, started per test). Other test folders can import
`running_sandbox` directly, or add `pytest_plugins = ["tests.sandbox.conftest"]` to their conftest.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .constants import SANDBOX_CLIENTS, SANDBOX_PREFIXES
from .scenarios import SCENARIOS
from .seed import seed_bulk, seed_demo
from .server import SandboxApp, SandboxServer
from .tokens import code_exchange, code_issue


class FakeClock:
    """A clock that only moves when told; install with `app.clock = clock`."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class RunningSandbox:
    app: SandboxApp
    server: SandboxServer
    clock: FakeClock

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def url(self, provider: str, path: str) -> str:
        return f"{self.base_url}{SANDBOX_PREFIXES[provider]}{path}"

    def seed(self) -> list[dict[str, str]]:
        return seed_demo(self.app.store)

    def seed_bulk(self, *, provider: str = "procore", count: int = 10_000) -> int:
        return seed_bulk(self.app.store, provider=provider, count=count)

    def scenario(self, name: str, **arguments: Any) -> dict[str, Any]:
        return SCENARIOS[name](self.app, **arguments)

    def token(self, provider: str, login: str, *, scope: str = "") -> dict[str, Any]:
        """Issue tokens for a seeded user directly (skips the sign-in pages, which have their own tests)."""
        user = self.app.store.row("SELECT id FROM users WHERE login = ?", (login,))
        redirect_uri = f"http://127.0.0.1:8000/oauth/{provider}/callback/"
        client_id = SANDBOX_CLIENTS[provider][0]
        code = code_issue(
            self.app,
            provider=provider,
            client_id=client_id,
            user_id=user["id"],
            redirect_uri=redirect_uri,
            challenge=None,
            scope=scope,
        )
        return code_exchange(
            self.app, provider=provider, client_id=client_id, code=code, redirect_uri=redirect_uri, verifier=None
        )


@contextmanager
def running_sandbox(
    db_path: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    seed: bool = False,
    request_log: str | Path | None = None,
) -> Iterator[RunningSandbox]:
    """Serve a SandboxApp on `host:port` (0: a free port) in a background thread until the block ends."""
    app = SandboxApp(db_path, request_log=request_log)
    clock = FakeClock()
    app.clock = clock
    server = SandboxServer(app, host, port)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="provider-sandbox", daemon=True)
    thread.start()
    handle = RunningSandbox(app=app, server=server, clock=clock)
    if seed:
        handle.seed()
    try:
        yield handle
    finally:
        server.stop()
        thread.join(timeout=5)


# The child serves the same database as a sandbox of its own on a free port and prints its base URL once it listens.
_SERVE_ONE = """
import sys
from sandbox.server import SandboxApp, SandboxServer
server = SandboxServer(SandboxApp(sys.argv[1]), "127.0.0.1", 0)
print(server.base_url, flush=True)
server.serve_forever(0.05)
"""


@contextmanager
def sandbox_process(db_path: str | Path) -> Iterator[str]:
    """Serve the sandbox database at `db_path` from a process of its own until the block ends; yields its base URL.

    For benchmarks of bytes from the provider: a real provider is remote, so neither the portal nor the yardstick it
    is compared with should share its interpreter (and its lock) with the server making the bytes. The database is
    the running test sandbox's (SQLite in WAL mode: both may read it); the child keeps the real clock."""
    root = Path(__file__).resolve().parent.parent
    child = subprocess.Popen(  # noqa: S603 - our own interpreter running our own module
        [sys.executable, "-c", _SERVE_ONE, str(db_path)], cwd=root, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        base_url = child.stdout.readline().strip()
        if not base_url.startswith("http://"):
            raise RuntimeError(f"the sandbox process did not start (exit code {child.poll()})")
        yield base_url
    finally:
        child.terminate()
        child.wait(timeout=10)
