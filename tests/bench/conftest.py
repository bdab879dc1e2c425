"""The provider sandbox over real HTTP for the benchmarks: waits between retries skipped (the clock measured is the
work's, not the policy's sleeps), the portal pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from providers import http
from sandbox.testing import RunningSandbox, running_sandbox


@pytest.fixture
def sandbox(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningSandbox]:
    monkeypatch.setattr(http, "sleeper", lambda seconds: None)
    with running_sandbox(tmp_path / "sandbox.sqlite3", seed=True) as handle:
        settings.SANDBOX_URL = handle.base_url
        settings.PROVIDER_SANDBOX = True
        yield handle
