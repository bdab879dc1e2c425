from __future__ import annotations

import pytest

from providers import http


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait the HTTP layer would have slept, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(http, "sleeper", recorded.append)
    return recorded
