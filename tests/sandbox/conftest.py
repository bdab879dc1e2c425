"""Fixtures for tests that talk to a provider sandbox over real HTTP.

`sandbox`: a seeded sandbox on a free port with its own temporary database and a fake clock (see
sandbox/testing.py for what the handle offers). Reuse it elsewhere with
`pytest_plugins = ["tests.sandbox.conftest"]` or call `running_sandbox` yourself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.testing import RunningSandbox, running_sandbox

TIMEOUT = (2, 5)
REVIEWER, GC, CONSULTANT, OUTSIDER = 7_000_000_001, 7_000_000_002, 7_000_000_003, 7_000_000_004
SUMMIT, HARBOR = 5_100_000_001, 5_100_000_002
RIVERSIDE, BRIDGE, OAK, LAKESIDE = 6_100_000_001, 6_100_000_002, 6_100_000_003, 6_100_000_004


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path / "sandbox.sqlite3", seed=True) as handle:
        yield handle


class Api:
    """A requests session against one provider of the sandbox, signed in as one user."""

    def __init__(self, sandbox: RunningSandbox, provider: str, login: str, company: int | None = None) -> None:
        self.sandbox, self.provider = sandbox, provider
        self.session = requests.Session()
        self.tokens = sandbox.token(provider, login, scope="data:read data:write" if provider == "autodesk" else "")
        self.session.headers["Authorization"] = f"Bearer {self.tokens['access_token']}"
        if company is not None:
            self.session.headers["Procore-Company-Id"] = str(company)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.sandbox.url(self.provider, path), timeout=TIMEOUT, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.sandbox.url(self.provider, path), timeout=TIMEOUT, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.patch(self.sandbox.url(self.provider, path), timeout=TIMEOUT, **kwargs)


@pytest.fixture
def procore(sandbox: RunningSandbox) -> Api:
    """The reviewer at Procore, working in Summit Builders."""
    return Api(sandbox, "procore", "reviewer@sandbox.test", SUMMIT)
