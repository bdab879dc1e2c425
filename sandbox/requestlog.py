"""The request log (`SANDBOX_REQUEST_LOG=<file>`): one JSON line per request received, secrets masked.

Header values are never written (only names); query and body fields whose names look secret are replaced by "***".
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from .web import Request

MASK = "***"
SECRET_WORDS = ("token", "secret", "password", "code", "verifier", "authorization", "assertion", "key")


def is_secret(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def mask(value: Any) -> Any:
    """A copy of a JSON value with every secret-looking field replaced by MASK."""
    if isinstance(value, dict):
        return {k: MASK if is_secret(str(k)) and v not in (None, "") else mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


def request_entry(request: Request, status: int, timestamp: str) -> dict[str, Any]:
    body: Any = request.json()
    if body is None and request.body and "form" in request.header("content-type"):
        body = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    return {
        "time": timestamp,
        "method": request.method,
        "path": request.path,
        "query": mask(request.query),
        "headers": sorted(request.headers),
        "body": mask(body),
        "status": status,
    }


class RequestLog:
    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path else None
        self._lock = threading.Lock()

    def append(self, request: Request, status: int, timestamp: str) -> None:
        if self.path is None:
            return
        line = json.dumps(request_entry(request, status, timestamp), sort_keys=True)
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
