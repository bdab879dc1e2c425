"""Every request the portal sends to Procore or Autodesk while the suite runs, checked against the reference.

tests/conftest.py turns the recorder on around every test: each request that goes out through the portal's one HTTP
layer (providers.http.HttpClient.send), whether a test mocks it (responses) or a sandbox answers it, is checked against
the provider's published description (tests/providers/procore_reference.py, autodesk_reference.py). A test that sent
an undocumented operation, parameter, header or body key, or an invalid value, fails at teardown with one line per
problem, naming the operation and the reference file. At the end of the session the terminal summary gives the
counts (undocumented must read 0), and `PROVIDER_REQUEST_LOG=<file>` writes the whole log, one JSON line per request
(names only: no header, query or body values, which can hold tokens).

Requests a test sends itself (tests/sandbox probes the sandbox with wrong requests on purpose) do not go through the
HTTP layer and are not recorded: this checks what the product sends. ConstructEx has no published description.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from providers import http
from tests.providers import autodesk_reference, procore_reference

# Where the real services live (PROVIDERS.md); in sandbox mode the portal talks to `<SANDBOX_URL>/<provider>`.
HOSTS = {
    "api.procore.com": "procore",
    "login.procore.com": "procore",
    "sandbox.procore.com": "procore",
    "login-sandbox.procore.com": "procore",
    "api-monthly.procore.com": "procore",
    "login-sandbox-monthly.procore.com": "procore",
    "developer.api.autodesk.com": "autodesk",
    "api.userprofile.autodesk.com": "autodesk",
}
_SANDBOX_PATH = re.compile(r"^/(procore|autodesk)(/.*)$")
CHECKERS: dict[str, tuple[Callable[[], bool], Callable[..., list[str]], Callable[[str, str], Any]]] = {
    "procore": (procore_reference.reference_available, procore_reference.problems_at, procore_reference.match),
    "autodesk": (autodesk_reference.reference_available, autodesk_reference.problems_at, autodesk_reference.match),
}
LABELS = {"procore": "Procore", "autodesk": "Autodesk"}


@dataclass(frozen=True)
class Sent:
    test: str
    provider: str  # "procore", "autodesk", or "" (ConstructEx and any other host: not checked)
    method: str
    host: str
    path: str  # below the provider's base URL
    query: str
    headers: dict[str, str]
    body: Any
    checked: bool
    operation: str  # the documented operation it matched ("" when none)
    problems: tuple[str, ...]

    def entry(self) -> dict[str, Any]:
        """The log line: names only, never values."""
        return {
            "test": self.test,
            "provider": self.provider,
            "method": self.method,
            "path": self.path,
            "query": sorted(procore_reference.query_of(self.query)),
            "headers": sorted(self.headers),
            "checked": self.checked,
            "operation": self.operation,
            "problems": list(self.problems),
        }


def attribute(url: str) -> tuple[str, str]:
    """(provider, path below its base URL) of a request's URL; ("", path) for a host that is neither provider."""
    parts = urlsplit(url)
    if parts.hostname in HOSTS:
        return HOSTS[parts.hostname], parts.path
    found = _SANDBOX_PATH.match(parts.path)
    if found:
        return found.group(1), found.group(2)
    return "", parts.path


def check(method: str, url: str, headers: dict[str, str], body: Any, *, test: str = "") -> Sent:
    provider, path = attribute(url)
    parts = urlsplit(url)
    checked, operation = False, ""
    problems: tuple[str, ...] = ()
    if provider:
        available, problems_at, match = CHECKERS[provider]
        if available():
            checked = True
            problems = tuple(problems_at(method, path, parts.query, headers, body))
            operation = getattr(match(method, path), "name", "")
    return Sent(test, provider, method, parts.netloc, path, parts.query, headers, body, checked, operation, problems)


class Recorder:
    """Collects what the product sends; `during(test)` records one test's requests."""

    def __init__(self) -> None:
        self.log: list[Sent] = []
        self._product = threading.local()
        self._lock = threading.Lock()

    def sending(self) -> bool:
        return getattr(self._product, "depth", 0) > 0

    def install(self, monkeypatch: Any, test: str) -> list[Sent]:
        """Patch the HTTP layer for one test; the returned list fills with that test's requests. A recorder installed
        on top of another (a test of this module) is the only one that records until the test ends."""
        sent: list[Sent] = []
        monkeypatch.setattr(sys.modules[__name__], "active", self)
        client_send = http.HttpClient.send
        session_send = requests.Session.send
        recorder = self

        def product_send(client: http.HttpClient, *args: Any, **kwargs: Any) -> requests.Response:
            recorder._product.depth = getattr(recorder._product, "depth", 0) + 1
            try:
                return client_send(client, *args, **kwargs)
            finally:
                recorder._product.depth -= 1

        def recording_send(session: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> Any:
            if recorder is active and recorder.sending():
                one = check(str(request.method), str(request.url), dict(request.headers), request.body, test=test)
                with recorder._lock:
                    sent.append(one)
                    recorder.log.append(one)
            return session_send(session, request, **kwargs)

        monkeypatch.setattr(http.HttpClient, "send", product_send)
        monkeypatch.setattr(requests.Session, "send", recording_send)
        return sent

    # -- the session's figures -----------------------------------------------------------------------------------

    def undocumented(self) -> list[Sent]:
        return [one for one in self.log if one.problems]

    def summary(self) -> list[str]:
        lines = ["Provider requests the suite sent, checked against ../shared/reference:"]
        for provider, label in LABELS.items():
            mine = [one for one in self.log if one.provider == provider]
            checked = [one for one in mine if one.checked]
            operations = Counter(one.operation for one in checked if one.operation)
            problems = sum(len(one.problems) for one in mine)
            allowed = sorted(set(operations) & {op.name for op in autodesk_reference.UNDESCRIBED})
            lines.append(
                f"  {label}: {len(mine)} requests, {len(checked)} checked ({len(operations)} documented operations), "
                f"{sum(1 for one in mine if one.problems)} undocumented ({problems} problems)"
                + (f"; allowlisted, documented outside ../shared/reference: {', '.join(allowed)}" if allowed else "")
            )
        others = Counter(one.host for one in self.log if not one.provider)
        if others:
            lines.append(f"  not described by a reference (ConstructEx, other hosts): {sum(others.values())} requests")
        return lines

    def write(self, path: Path) -> None:
        with path.open("w", encoding="utf-8") as handle:
            for one in self.log:
                handle.write(json.dumps(one.entry(), sort_keys=True) + "\n")


RECORDER = Recorder()
active: Recorder | None = None  # the recorder that records now (the innermost installed)


def failure_text(sent: list[Sent]) -> str:
    lines = [f"{one.method} {one.path}: {problem}" for one in sent for problem in one.problems]
    return "This test made the portal send requests the providers do not document (../shared/reference):\n" + "\n".join(
        f"  {line}" for line in lines
    )


def recording(monkeypatch: Any, test: str, recorder: Recorder = RECORDER) -> Iterator[list[Sent]]:
    """The body of the autouse fixture: record the test's requests, then fail it if any is undocumented."""
    sent = recorder.install(monkeypatch, test)
    yield sent
    bad = [one for one in sent if one.problems]
    if bad:
        pytest.fail(failure_text(bad), pytrace=False)
