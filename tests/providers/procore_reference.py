"""Checks Procore requests against Procore's published operations (../shared/reference/procore/endpoints/*.json).

What a request must be, each rule from the reference unless said otherwise:
- a documented operation (method + path template; the most specific template wins);
- every query parameter documented, the required ones present, each value as its schema says (type, enum, date and
  date-range formats; limits where known: `LIMITS`);
- every body key documented at every depth the schema describes, the required ones present, each value valid;
- headers: `Procore-Company-Id` on every company-scoped call and on no other (`company_scoped`), equal to the company
  the call names (its `company_id` query parameter or path parameter) where it names one; no other non-standard
  header, since no Procore operation documents a header parameter.

The reference is found through tests/reference.py. Where it is absent the checks that ride along every test do
nothing and the dedicated tests are skipped, saying why; in CI (`CI=true`) both fail instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.providers import reference_values as values
from tests.reference import reference_or_none, reference_path

ENDPOINTS = ("procore", "endpoints")
ENDPOINTS_DIR = reference_path(*ENDPOINTS)
# The two REST operations that are not about one company: who the user is, and which companies they belong to.
# PROVIDERS.md: "Every call but /rest/v1.0/me and /rest/v1.0/companies needs the header Procore-Company-Id". The
# endpoint files document no header parameter, so the rule is: every /rest/ operation of the reference is
# company-scoped except these two; OAuth (/oauth/...) is not REST and never company-scoped.
NOT_COMPANY_SCOPED = frozenset({"RestV10MeGet", "RestV10CompaniesGet"})
COMPANY_HEADER = "Procore-Company-Id"
# Limits the endpoint files do not carry (they give `page` and `per_page` no bounds), from PROVIDERS.md:
# `page` counts from 1; `per_page` at most 300 on the v1.1 projects list, and at most 2,000 on the other lists
# ("Procore's pagination guide recommends at most 2,000").
LIMITS: dict[tuple[str, str], dict[str, int]] = {("RestV11ProjectsGet", "per_page"): {"minimum": 1, "maximum": 300}}
DEFAULT_LIMITS: dict[str, dict[str, int]] = {"page": {"minimum": 1}, "per_page": {"minimum": 1, "maximum": 2_000}}
# Headers every HTTP client sends, or the HTTP layer adds for authentication and content: never a parameter.
STANDARD_HEADERS = frozenset(
    {"accept", "accept-encoding", "authorization", "connection", "content-length", "content-type", "user-agent"}
)


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
    path: str = ""
    query_schemas: dict[str, values.Schema] = field(default_factory=dict, compare=False)
    body_schema: values.Schema = field(default_factory=dict, compare=False)
    company_scoped: bool = False

    @property
    def where(self) -> str:
        """The operation and the reference file that describes it, for messages."""
        return f"{self.name} (procore/endpoints/{self.name}.json)"


def reference_available() -> bool:
    """Whether Procore's operations are there (in CI, their absence fails the calling test instead)."""
    return reference_or_none(*ENDPOINTS) is not None


def _query_schema(name: str, parameter: dict[str, Any]) -> values.Schema:
    schema = dict(parameter.get("schema") or {})
    # The date filters document `start...end` ranges (of dates or of date-times) in their description.
    if schema.get("format") in ("date", "date-time") and "`...`" in str(parameter.get("description", "")):
        schema["format"] = "procore-date-range"
    schema.update(LIMITS.get((name, parameter["name"]), DEFAULT_LIMITS.get(parameter["name"], {})))
    return schema


def _operation(spec: dict[str, Any]) -> Operation:
    path = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(spec["path"]))
    query = [p for p in spec.get("parameters", []) if p.get("in") == "query"]
    schema = (spec.get("requestBody") or {}).get("schema") or {}
    body = frozenset(schema.get("properties", {})) if spec.get("requestBody") else None
    name = spec["operationId"]
    return Operation(
        name=name,
        method=spec["method"].upper(),
        pattern=re.compile(f"^{path}$"),
        query=frozenset(p["name"] for p in query),
        required_query=frozenset(p["name"] for p in query if p.get("required")),
        body=body,
        required_body=frozenset(schema.get("required", [])),
        body_undescribed=bool(spec.get("requestBody")) and not schema,
        path=spec["path"],
        query_schemas={p["name"]: _query_schema(name, p) for p in query},
        body_schema=schema,
        company_scoped=spec["path"].startswith("/rest/") and name not in NOT_COMPANY_SCOPED,
    )


@cache
def operations() -> tuple[Operation, ...]:
    return tuple(_operation(json.loads(path.read_text())) for path in sorted(ENDPOINTS_DIR.glob("*.json")))


def body_of(raw: Any, content_type: str) -> tuple[dict[str, Any] | None, dict[str, list[str]] | None]:
    """A sent body as (JSON object, None) or (None, form fields); (None, None) when there is none."""
    if not raw:
        return None, None
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    if "json" in content_type:
        loaded = json.loads(text)
        return (loaded if isinstance(loaded, dict) else {"": loaded}), None
    form: dict[str, list[str]] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        form.setdefault(key, []).append(value)
    return None, form


def query_of(query: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        found.setdefault(key, []).append(value)
    return found


def match(method: str, path: str) -> Operation | None:
    candidates = [op for op in operations() if op.method == method and op.pattern.match(path)]
    return max(candidates, key=lambda o: len(o.pattern.pattern)) if candidates else None  # the most specific


def _path_params(op: Operation, path: str) -> dict[str, str]:
    names = re.findall(r"\{([^}]+)\}", op.path)
    named = re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(op.path))
    found = re.match(f"^{named}$", path)
    return dict(zip(names, found.groups(), strict=True)) if found else {}


def _header_problems(op: Operation, path: str, headers: dict[str, str], query: dict[str, list[str]]) -> list[str]:
    lowered = {key.lower(): value for key, value in headers.items()}
    company = lowered.get(COMPANY_HEADER.lower())
    found = [
        f"{op.where}: undocumented header {key!r}"
        for key in sorted(headers)
        if key.lower() not in STANDARD_HEADERS and key.lower() != COMPANY_HEADER.lower()
    ]
    if not op.company_scoped:
        if company is not None:
            found.append(f"{op.where}: {COMPANY_HEADER} sent on a call that is not company-scoped")
        return found
    if not company:
        return [*found, f"{op.where}: no {COMPANY_HEADER} header"]
    if not re.fullmatch(r"\d+", company):
        found.append(f"{op.where}: {COMPANY_HEADER} {company!r} is not a company id")
    named = [*query.get("company_id", []), _path_params(op, path).get("company_id", "")]
    named = [value for value in named if value]
    if named and company not in named:
        found.append(f"{op.where}: {COMPANY_HEADER} {company!r} is not the company the call names ({named[0]!r})")
    return found


def problems_of(method: str, url: str, headers: dict[str, str], request: Any, *, base: str) -> list[str]:
    """What is undocumented, missing or invalid about one Procore request ([] when it is fine)."""
    parts = urlsplit(url)
    path = f"{parts.scheme}://{parts.netloc}{parts.path}".removeprefix(base)
    return problems_at(method, path, parts.query, headers, getattr(request, "body", None))


def problems_at(method: str, path: str, query_text: str, headers: dict[str, str], raw_body: Any) -> list[str]:
    """Like problems_of, for a request already split into path (below the base URL), query, headers and body."""
    op = match(method, path)
    if op is None:
        return [f"{method} {path} is not a documented Procore operation (procore/endpoints/*.json)"]
    found: list[str] = []
    query = query_of(query_text)
    found += [f"{op.where}: undocumented query parameter {key!r}" for key in sorted(set(query) - op.query)]
    found += [f"{op.where}: required query parameter {key!r} missing" for key in sorted(op.required_query - set(query))]
    for key in sorted(set(query) & op.query):
        found += [f"{op.where}: {p}" for p in values.check_texts(query[key], op.query_schemas[key], f"query {key!r}")]
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    body, form = body_of(raw_body, content_type)
    if op.body is None and (body or form):
        found.append(f"{op.where}: takes no body, got {sorted(body or form or {})}")
    elif op.body is not None and not op.body_undescribed:
        if body is not None:
            found += [f"{op.where}: {p}" for p in values.check_object(body, op.body_schema, "")]
        elif form is not None:
            found += [f"{op.where}: {p}" for p in _form_problems(form, op.body_schema)]
        else:
            found += [f"{op.where}: required body key {key!r} missing" for key in sorted(op.required_body)]
    found += _header_problems(op, path, headers, query)
    return found


def _form_problems(form: dict[str, list[str]], schema: values.Schema) -> list[str]:
    """A form body (OAuth) against the body schema: keys documented, required present, values by declared type."""
    properties: dict[str, values.Schema] = schema.get("properties") or {}
    found = [f"undocumented body key {key!r}" for key in sorted(set(form) - set(properties))]
    found += [f"required body key {key!r} missing" for key in schema.get("required", []) if key not in form]
    for key in sorted(set(form) & set(properties)):
        found += values.check_texts(form[key], properties[key], f"body key {key!r}")
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
