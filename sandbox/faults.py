"""Fault injection: the knobs reliability tests and benchmarks turn at run time (`POST /_control/faults`).

Each knob applies to requests whose path starts with `match` (default: every emulated provider, never `/_control`).
Shares are probabilities from 0 to 1 drawn from a seeded generator, so a run with the same seed misbehaves the same way.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any

from .web import Request, Response, json_response, text_response

PROCORE_LIMIT_BODY = "You have surpassed the max number of requests for an hour. Please wait until your limit resets."


@dataclass
class Faults:
    latency_ms: int = 0  # added before every matching answer
    error_rate: float = 0.0  # share of answers replaced by `error_status`
    error_status: int = 503  # 503 carries Retry-After, as Procore does under heavy load
    storm_rate: float = 0.0  # share of answers replaced by the provider's 429
    retry_after: int = 1  # seconds, in Retry-After of injected 503/429 answers
    stall_rate: float = 0.0  # share of requests held without an answer ...
    stall_seconds: float = 30.0  # ... for this long (the server's shutdown ends a stall early)
    drop_rate: float = 0.0  # share of connections closed without any answer
    match: str = "/"  # path prefix the knobs apply to, e.g. "/procore/rest"
    seed: int = 1

    @classmethod
    def from_dict(cls, data: dict[str, Any], base: Faults | None = None) -> Faults:
        """A copy of `base` (default: no faults) with the keys of `data` applied; unknown keys are a ValueError."""
        names = {f.name: f.type for f in fields(cls)}
        unknown = set(data) - set(names)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        values = asdict(base or cls())
        for key, value in data.items():
            current = values[key]
            values[key] = type(current)(value) if not isinstance(current, str) else str(value)
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultInjector:
    """Holds the current faults and decides, request by request, what goes wrong."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.faults = Faults()
        self._random = random.Random(self.faults.seed)  # noqa: S311 - chaos, not cryptography

    def configure(self, data: dict[str, Any], *, replace: bool = False) -> Faults:
        with self._lock:
            self.faults = Faults.from_dict(data, None if replace else self.faults)
            self._random = random.Random(self.faults.seed)  # noqa: S311
            return self.faults

    def applies(self, request: Request) -> bool:
        return not request.path.startswith("/_control") and request.path.startswith(self.faults.match)

    def draw(self, share: float) -> bool:
        if share <= 0:
            return False
        with self._lock:
            return share >= 1 or self._random.random() < share

    def injected_answer(self, request: Request) -> Response | None:
        """The error or 429 that replaces the real answer, or None to answer normally."""
        faults = self.faults
        if self.draw(faults.storm_rate):
            return too_many_requests(request.path, faults.retry_after)
        if self.draw(faults.error_rate):
            headers = {"Retry-After": str(faults.retry_after)} if faults.error_status == 503 else {}
            return json_response({"error": "Service Unavailable (injected fault)"}, faults.error_status, headers)
        return None


def too_many_requests(path: str, retry_after: int, reset_at: int | None = None, limit: int = 0) -> Response:
    """The provider's own 429: Procore's text body and rate headers, Autodesk's and ConstructEx's Retry-After."""
    if path.startswith("/procore"):
        headers = {"X-Rate-Limit-Limit": str(limit), "X-Rate-Limit-Remaining": "0"}
        if reset_at is not None:
            headers["X-Rate-Limit-Reset"] = str(reset_at)
        headers["Retry-After"] = str(retry_after)
        return text_response(PROCORE_LIMIT_BODY, 429, headers)
    body = {
        "developerMessage": f"Too many requests. Retry after {retry_after} seconds.",
        "errorCode": "TOO_MANY_REQUESTS",
    }
    return json_response(body, 429, {"Retry-After": str(retry_after)})
