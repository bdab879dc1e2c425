"""What every Procore REST call goes through: the bearer token, the rate limit, `Procore-Company-Id`, the
company's app switch, project access, and page/per_page pagination with `Link`, `Total` and `Per-Page`."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .faults import too_many_requests
from .items import can_see_project, project_get
from .ratelimit import procore_headers, retry_after
from .store import iso, parse_time
from .tokens import token_lookup
from .web import Request, Response, int_param, json_response

if TYPE_CHECKING:
    from .server import SandboxApp

Row = sqlite3.Row
NOT_CONNECTED = "App is not connected to this company"


@dataclass
class Caller:
    token: Row
    user_id: int
    company: Row | None = None

    @property
    def checked_company(self) -> Row:
        """The company `api()` checked for this call; only a handler declared with `company=False` has none."""
        if self.company is None:
            raise RuntimeError("This handler was declared with api(company=False), so the call names no company.")
        return self.company


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


ProcoreHandler = Callable[["SandboxApp", Request, Caller], Response]


def api(*, company: bool = True) -> Callable[[ProcoreHandler], Callable[[SandboxApp, Request], Response]]:
    """Wrap a Procore handler with authentication, rate limiting and (unless `company=False`) the company checks."""

    def wrap(handler: ProcoreHandler) -> Callable[[SandboxApp, Request], Response]:
        def run(app: SandboxApp, request: Request) -> Response:
            token = token_lookup(app, provider="procore", token=request.bearer())
            now = app.timestamp()
            window = app.limiter.procore(f"{token['client_id']}:{token['user_id']}" if token else "anonymous", now)
            if window is not None and window.exhausted:
                return too_many_requests(request.path, retry_after(window, now), int(window.reset_at), window.limit)
            response = _answer(app, request, token, company, handler)
            if window is not None:
                response.headers.update(procore_headers(window))
            return response

        return run

    return wrap


def _answer(app: SandboxApp, request: Request, token: Row | None, company: bool, handler: ProcoreHandler) -> Response:
    if token is None:
        return json_response({"errors": "401 Unauthorized: the access token is missing, invalid or expired."}, 401)
    caller = Caller(token=token, user_id=token["user_id"])
    try:
        if company:
            caller.company = company_for(app, request, caller.user_id)
        return handler(app, request, caller)
    except ApiError as error:
        return json_response({"errors": error.message}, error.status)


def company_for(app: SandboxApp, request: Request, user_id: int) -> Row:
    raw = request.header("procore-company-id")
    if not raw:
        raise ApiError(400, "The Procore-Company-Id header is required for this request.")
    company = _company_row(app, raw, user_id)
    query_company = request.query.get("company_id")
    if query_company and query_company != raw:
        _company_row(app, query_company, user_id)  # the company the query names must be allowed too
    return company


def _company_row(app: SandboxApp, raw: str, user_id: int) -> Row:
    if not raw.isdigit():
        raise ApiError(400, f"Company id {raw!r} is not a number.")
    company = app.store.one(
        "SELECT o.* FROM orgs o JOIN org_members m ON m.org_id = o.id WHERE o.id = ? AND o.provider = 'procore'"
        " AND m.user_id = ?",
        (int(raw), user_id),
    )
    if company is None:
        raise ApiError(403, "You do not have access to this company.")
    if company["blocked"]:
        raise ApiError(403, NOT_CONNECTED)
    return company


def project_for(app: SandboxApp, caller: Caller, raw_id: str | None) -> Row:
    """The project a call names, checked against the caller's company and team membership."""
    if not raw_id or not str(raw_id).isdigit():
        raise ApiError(400, "project_id is required.")
    project = project_get(app, provider="procore", project_id=int(raw_id))
    if project is None or caller.company is None or project["org_id"] != caller.company["id"]:
        raise ApiError(404, "Project not found.")
    if not can_see_project(app, project=project, user_id=caller.user_id):
        raise ApiError(403, "You do not have access to this project.")
    return project


TOOLS = ("Submittals", "RFIs")


def tool_check(app: SandboxApp, project: Row, tool: str) -> None:
    """A project tool an admin has disabled answers 403 on every call to it, as Procore does."""
    if app.store.one("SELECT 1 FROM disabled_tools WHERE project_id = ? AND tool = ?", (project["id"], tool)):
        raise ApiError(
            403, f"You do not have permission to access the {tool} tool on this project (the tool is disabled)."
        )


# The largest `per_page` Procore's list endpoints take: its pagination guide recommends at most 2,000 (PROVIDERS.md,
# corrections; older versions documented 10,000); the v1.1 projects list stops at 300.
PER_PAGE_MAX = 2_000
PROJECTS_V11_PER_PAGE_MAX = 300


def page_params(request: Request, *, default: int = 100, maximum: int = PER_PAGE_MAX) -> tuple[int, int]:
    """`page` (from 1) and `per_page` (1 to `maximum`); a `per_page` outside that range is a 400, as at Procore."""
    page = int_param(request.query.get("page"), 1, low=1)
    raw = request.query.get("per_page")
    if raw not in (None, "") and not (str(raw).isdigit() and 1 <= int(str(raw)) <= maximum):
        raise ApiError(400, f"per_page must be a whole number from 1 to {maximum}; got {raw!r}.")
    per_page = int_param(raw, default, low=1, high=maximum)
    return page, per_page


def paginated(request: Request, data: list[Any], *, page: int, per_page: int, total: int) -> Response:
    """A JSON list with Procore's `Link` (first/prev/next/last), `Total` and `Per-Page` headers."""
    last = max(1, -(-total // per_page))

    def link(number: int, rel: str) -> str:
        query = {**request.query, "page": str(number), "per_page": str(per_page)}
        return f'<{request.base_url}{request.path}?{urlencode(query)}>; rel="{rel}"'

    links = [link(1, "first")]
    if page > 1:
        links.append(link(min(page - 1, last), "prev"))
    if page < last:
        links.append(link(page + 1, "next"))
    links.append(link(last, "last"))
    return json_response(data, headers={"Link": ", ".join(links), "Total": str(total), "Per-Page": str(per_page)})


def date_range(raw: str | None) -> tuple[str | None, str | None]:
    """`a...b` (either side may be empty) as ISO UTC text; ApiError on a malformed range."""
    if not raw:
        return None, None
    start, sep, end = raw.partition("...")
    if not sep:
        raise ApiError(
            400, "Date filters take a range: start...end (for example 2026-01-01T00:00:00Z...2026-01-02T00:00:00Z)."
        )
    try:
        return (iso(parse_time(start)) if start else None, iso(parse_time(end)) if end else None)
    except ValueError as error:
        raise ApiError(400, f"Invalid date in range {raw!r}.") from error


def int_filter(request: Request, name: str) -> int | None:
    raw = request.query.get(f"filters[{name}]")
    if raw in (None, ""):
        return None
    if not raw.isdigit():
        raise ApiError(400, f"filters[{name}] must be a number.")
    return int(raw)
