"""Rate limits as the providers apply them, counted in memory per caller with the app's injectable clock.

Procore: an hourly window and a 10-second spike window; every answer (4xx included) counts and carries the
`X-Rate-Limit-*` headers of the window closest to running out. Autodesk and ConstructEx: one per-minute window, and a
429 with `Retry-After` past it; Autodesk's RFI and Submittal APIs add a per-minute window per application (every user
of the same client id together).
"""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class RateLimits:
    procore_hourly: int = 3600
    procore_spike: int = 100  # per 10 seconds
    autodesk_per_minute: int = 300
    # Autodesk's RFI and Submittal APIs also count per application, every customer together (PROVIDERS.md).
    autodesk_rfis_app_per_minute: int = 100
    autodesk_submittals_app_per_minute: int = 600
    constructex_per_minute: int = 300
    enabled: bool = True

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Window:
    limit: int
    remaining: int
    reset_at: float  # epoch seconds

    @property
    def exhausted(self) -> bool:
        return self.remaining < 0


class RateLimiter:
    def __init__(self) -> None:
        self.limits = RateLimits()
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, int], tuple[float, int]] = {}  # (caller, window length) -> (start, count)

    def configure(self, data: dict[str, Any]) -> RateLimits:
        values = self.limits.as_dict()
        for key, value in data.items():
            if key not in values:
                raise ValueError(f"unknown rate-limit setting: {key}")
            values[key] = bool(value) if key == "enabled" else int(value)
        with self._lock:
            self.limits = RateLimits(**values)
            self._windows.clear()
        return self.limits

    def hit(self, caller: str, now: float, windows: list[tuple[int, int]]) -> Window:
        """Count one request against each (length seconds, limit) window; answer the window closest to running out."""
        tightest: Window | None = None
        with self._lock:
            for length, limit in windows:
                key = (caller, length)
                start, count = self._windows.get(key, (now, 0))
                if now >= start + length:
                    start, count = now, 0
                count += 1
                self._windows[key] = (start, count)
                window = Window(limit, limit - count, start + length)
                if tightest is None or window.remaining < tightest.remaining:
                    tightest = window
        assert tightest is not None
        return tightest

    def procore(self, caller: str, now: float) -> Window | None:
        if not self.limits.enabled:
            return None
        return self.hit(caller, now, [(3600, self.limits.procore_hourly), (10, self.limits.procore_spike)])

    def per_minute(self, provider: str, caller: str, now: float) -> Window | None:
        if not self.limits.enabled:
            return None
        return self.hit(f"{provider}:{caller}", now, [(60, getattr(self.limits, f"{provider}_per_minute"))])


def autodesk_app_window(limiter: RateLimiter, client_id: str, path: str, now: float) -> Window | None:
    """The per-application window of Autodesk's RFI or Submittal API that `path` calls, counted; None elsewhere."""
    if not limiter.limits.enabled:
        return None
    if "/rfis/" in path:
        api, limit = "rfis", limiter.limits.autodesk_rfis_app_per_minute
    elif "/construction/submittals/" in path:
        api, limit = "submittals", limiter.limits.autodesk_submittals_app_per_minute
    else:
        return None
    return limiter.hit(f"autodesk-app:{api}:{client_id}", now, [(60, limit)])


def procore_headers(window: Window) -> dict[str, str]:
    return {
        "X-Rate-Limit-Limit": str(window.limit),
        "X-Rate-Limit-Remaining": str(max(window.remaining, 0)),
        "X-Rate-Limit-Reset": str(math.ceil(window.reset_at)),
    }


def retry_after(window: Window, now: float) -> int:
    return max(1, math.ceil(window.reset_at - now))
