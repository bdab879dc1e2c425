"""Checks Procore requests against Procore's published operations (../shared/reference/procore/endpoints/*.json).

The reference is found through tests/reference.py. Where it is absent the check that rides along every provider test
does nothing and the dedicated test is skipped, saying why; in CI (`CI=true`) both fail instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.reference import reference_or_none, reference_path

ENDPOINTS = ("procore", "endpoints")
ENDPOINTS_DIR = reference_path(*ENDPOINTS)
# Calls Procore documents as not needing the company header; every other REST call must carry it.
NO_COMPANY_HEADER = {"/rest/v1.0/me", "/rest/v1.0/companies"}


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    pattern: re.Pattern[str]
    query: frozenset[str]
    required_query: frozenset[str]
    body: frozenset[str] | None  # None: the operation takes no body
    required_body: frozenset[str]
    # An empty schema (`{}`) documents a body without describing it (webhook hooks and triggers): any key passes.
    body_undescribed: bool = False


def reference_available() -> bool:
    """Whether Procore's operations are there (in CI, their absence fails the calling test instead)."""
    return reference_or_none(*ENDPOINTS) is not None


def _operation(spec: dict[str, Any]) -> Operation:
    path = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(spec["path"]))
    query = [p for p in spec.get("parameters", []) if p.get("in") == "query"]
    schema = (spec.get("requestBody") or {}).get("schema") or {}
    body = frozenset(schema.get("properties", {})) if spec.get("requestBody") else None
    return Operation(
        name=spec["operationId"],
        method=spec["method"].upper(),
        pattern=re.compile(f"^{path}$"),
        query=frozenset(p["name"] for p in query),
        required_query=frozenset(p["name"] for p in query if p.get("required")),
        body=body,
        required_body=frozenset(schema.get("required", [])),
        body_undescribed=bool(spec.get("requestBody")) and not schema,
    )


@cache
def operations() -> tuple[Operation, ...]:
    return tuple(_operation(json.loads(path.read_text())) for path in sorted(ENDPOINTS_DIR.glob("*.json")))


def _body_keys(request: Any) -> set[str]:
    raw = request.body
    if not raw:
        return set()
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    if "json" in request.headers.get("Content-Type", ""):
        return set(json.loads(text))
    return {key for key, _value in parse_qsl(text, keep_blank_values=True)}


def problems_of(method: str, url: str, headers: dict[str, str], request: Any, *, base: str) -> list[str]:
    """What is undocumented or missing about one Procore request ([] when it is fine)."""
    parts = urlsplit(url)
    path = f"{parts.scheme}://{parts.netloc}{parts.path}".removeprefix(base)
    candidates = [op for op in operations() if op.method == method and op.pattern.match(path)]
    if not candidates:
        return [f"{method} {path} is not a documented Procore operation"]
    op = max(candidates, key=lambda o: len(o.pattern.pattern))  # the most specific template
    found: list[str] = []
    query = {key for key, _value in parse_qsl(parts.query, keep_blank_values=True)}
    found += [f"{op.name}: undocumented query parameter {key!r}" for key in sorted(query - op.query)]
    found += [f"{op.name}: required query parameter {key!r} missing" for key in sorted(op.required_query - query)]
    body = _body_keys(request)
    if op.body is None and body:
        found.append(f"{op.name}: takes no body, got {sorted(body)}")
    if op.body is not None and not op.body_undescribed:
        found += [f"{op.name}: undocumented body key {key!r}" for key in sorted(body - op.body)]
        found += [f"{op.name}: required body key {key!r} missing" for key in sorted(op.required_body - body)]
    if path.startswith("/rest/") and path not in NO_COMPANY_HEADER and not headers.get("Procore-Company-Id"):
        found.append(f"{op.name}: no Procore-Company-Id header")
    return found


def procore_calls(calls: Iterable[Any], *, base: str) -> list[Any]:
    return [call for call in calls if call.request.url.startswith(base + "/")]


def assert_documented(calls: Iterable[Any], *, base: str) -> None:
    if not reference_available():
        return
    problems = [
        problem
        for call in procore_calls(calls, base=base)
        for problem in problems_of(
            call.request.method, call.request.url, dict(call.request.headers), call.request, base=base
        )
    ]
    assert not problems, "Procore requests that do not match Procore's published operations:\n" + "\n".join(problems)
