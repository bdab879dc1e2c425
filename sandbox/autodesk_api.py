"""What every Autodesk call goes through: the bearer token, the per-minute rate limit (429 + Retry-After), and the
hub's "app not added under Custom Integrations" switch (403)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from .faults import too_many_requests
from .items import can_see_project, project_get
from .ratelimit import autodesk_app_window, retry_after
from .tokens import token_lookup
from .web import Request, Response, json_response

if TYPE_CHECKING:
    from .server import SandboxApp

Row = sqlite3.Row
NOT_PROVISIONED = (
    "The app is not added under Custom Integrations of this account. An account administrator must add the app's "
    "client id under Account Admin > Custom Integrations."
)


@dataclass
class Caller:
    token: Row
    user_id: int
    adsk_id: str


class AdskError(Exception):
    def __init__(self, status: int, title: str, detail: str = "") -> None:
        super().__init__(title)
        self.status, self.title, self.detail = status, title, detail or title


def error_response(error: AdskError) -> Response:
    body = {
        "jsonapi": {"version": "1.0"},
        "errors": [
            {
                "status": str(error.status),
                "code": _CODES.get(error.status, "ERROR"),
                "title": error.title,
                "detail": error.detail,
            }
        ],
    }
    return json_response(body, error.status)


_CODES = {400: "BAD_INPUT", 401: "AUTH-006", 403: "BIM360DM_ERROR", 404: "NOT_FOUND", 422: "VALIDATION_ERROR"}
AdskHandler = Callable[["SandboxApp", Request, Caller], Response]


def api(handler: AdskHandler) -> Callable[[SandboxApp, Request], Response]:
    def run(app: SandboxApp, request: Request) -> Response:
        token = token_lookup(app, provider="autodesk", token=request.bearer())
        now = app.timestamp()
        window = app.limiter.per_minute("autodesk", f"{token['user_id']}" if token else "anonymous", now)
        if window is not None and window.exhausted:
            return too_many_requests(request.path, retry_after(window, now))
        shared = autodesk_app_window(app.limiter, token["client_id"], request.path, now) if token else None
        if shared is not None and shared.exhausted:
            return too_many_requests(request.path, retry_after(shared, now))
        if token is None:
            return json_response(
                {"developerMessage": "The access token is invalid or expired.", "errorCode": "AUTH-006"}, 401
            )
        try:
            return handler(app, request, Caller(token, token["user_id"], token["adsk_id"]))
        except AdskError as error:
            return error_response(error)

    return run


def strip_b(raw: str) -> str | None:
    """Data Management ids carry a `b.` prefix; None when it is missing."""
    return raw[2:] if raw.startswith("b.") else None


def hub_for(app: SandboxApp, caller: Caller, hub_id: str) -> Row:
    uid = strip_b(hub_id)
    hub = app.store.one(
        "SELECT o.* FROM orgs o JOIN org_members m ON m.org_id = o.id"
        " WHERE o.uid = ? AND o.provider = 'autodesk' AND m.user_id = ?",
        (uid, caller.user_id),
    )
    if hub is None:
        raise AdskError(404, "Hub not found", f"No hub {hub_id} is visible to this user.")
    if hub["blocked"]:
        raise AdskError(403, "Forbidden", NOT_PROVISIONED)
    return hub


def acc_project(app: SandboxApp, caller: Caller, project_id: str, *, acc_only: bool = True, tool: str = "") -> Row:
    """A project for the RFI and Submittal APIs, which take the id without `b.`. The ACC APIs (RFIs v3, Submittals)
    do not know BIM 360 projects: 404, as for an unknown project; BIM 360's own RFI API passes `acc_only=False`.
    Autodesk's three 403s, each in its own words: the hub has not added the app (Custom Integrations), the caller is
    not a member of the project, or the caller has no permission in the project's `tool` ("RFIs", "Submittals"; the
    `disable_tool` scenario takes it away, or the tool is not activated on the project)."""
    project = project_get(app, provider="autodesk", uid=project_id)
    if project is None:
        raise AdskError(404, "Project not found", f"No project {project_id} (these APIs take the id without 'b.').")
    hub = app.store.row("SELECT * FROM orgs WHERE id = ?", (project["org_id"],))
    if acc_only and hub["kind"] == "bim360":
        raise AdskError(404, "Project not found", f"{project_id} is a BIM 360 project; this is an ACC API.")
    if hub["blocked"]:
        raise AdskError(403, "Forbidden", NOT_PROVISIONED)
    if not can_see_project(app, project=project, user_id=caller.user_id):
        raise AdskError(403, "Forbidden", "You are not a member of this project.")
    if tool and app.store.one("SELECT 1 FROM disabled_tools WHERE project_id = ? AND tool = ?", (project["id"], tool)):
        raise AdskError(403, "Forbidden", f"You do not have permission in the {tool} tool of this project.")
    return project


# The largest pages Autodesk documents (../shared/reference/autodesk/construction.json, each list's `limit` maximum;
# Data Management's `page[limit]` from PROVIDERS.md); tests/sandbox/test_autodesk.py keeps them equal to the reference.
RFI_LIMIT_MAX = 200  # RFIs v3 search:rfis (body) and BIM 360 RFIs v2 (query)
SUBMITTAL_LIMIT_MAX = 50  # ACC Submittals v2 items, responses, steps and tasks
PROJECTS_LIMIT_MAX = 200  # Data Management hubs/{hub_id}/projects page[limit]


def page_limit(raw: Any, default: int, *, maximum: int, name: str = "limit") -> int:
    """A page size from 1 to `maximum` (absent: `default`); anything else is Autodesk's 400."""
    if raw in (None, ""):
        return default
    text = str(raw)
    if isinstance(raw, bool) or not text.isdigit() or not 1 <= int(text) <= maximum:
        raise AdskError(400, "Bad input", f"{name} must be a whole number from 1 to {maximum}; got {raw!r}.")
    return int(text)


def body_of(request: Request) -> dict[str, Any]:
    data = request.json()
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class BodyRule:
    """The body keys an operation documents (in ../shared/reference/autodesk/construction.json): each key with its
    enum (empty when any value), and the required keys. Anything else is Autodesk's 400."""

    keys: dict[str, tuple[str, ...]]
    required: tuple[str, ...] = ()


def checked_body(request: Request, rule: BodyRule) -> dict[str, Any]:
    """The request's JSON body after the rule's checks: an object, only documented keys, required keys present and
    not empty, enum values among the documented ones; else 400 with Autodesk's error shape."""
    data = request.json()
    if not isinstance(data, dict):
        raise AdskError(400, "Bad input", "The request body must be a JSON object.")
    unknown = sorted(set(data) - set(rule.keys))
    if unknown:
        raise AdskError(400, "Bad input", f"Unknown field(s): {', '.join(unknown)}.")
    missing = [key for key in rule.required if data.get(key) in (None, "")]
    if missing:
        raise AdskError(400, "Bad input", f"Required field(s) missing: {', '.join(missing)}.")
    for key, allowed in rule.keys.items():
        if allowed and key in data and data[key] not in allowed:
            raise AdskError(400, "Bad input", f"{key} must be one of {', '.join(allowed)}; got {data[key]!r}.")
    return data


DATE_FILTER = re.compile(r"^\d{4}-\d{2}-\d{2}(\.\.\d{4}-\d{2}-\d{2})?$")  # ACC submittals' date filters


def date_range(name: str, raw: str | None) -> tuple[str | None, str | None]:
    """ACC submittals' date filter (`YYYY-MM-DD` or `YYYY-MM-DD..YYYY-MM-DD`, both days included) as ISO UTC text;
    a date-time, or anything else, is a 400 as at Autodesk."""
    if raw is None:
        return None, None
    if not DATE_FILTER.match(raw):
        raise AdskError(400, "Bad input", f"{name} takes dates, YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD; got {raw!r}.")
    start, _, end = raw.partition("..")
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end or start)
    except ValueError as error:
        raise AdskError(400, "Bad input", f"Invalid date in {name}: {raw!r}.") from error
    return f"{first.isoformat()}T00:00:00Z", f"{last.isoformat()}T23:59:59Z"


def updated_range(raw: str | None) -> tuple[str | None, str | None]:
    """Autodesk's `from..to` range (two dots; either side may be empty) as ISO UTC text."""
    from .store import iso, parse_time

    if not raw:
        return None, None
    start, sep, end = raw.partition("..")
    if not sep or end.startswith("."):
        raise AdskError(400, "Bad filter", "updatedAt takes a range: from..to")
    try:
        return (iso(parse_time(start)) if start else None, iso(parse_time(end)) if end else None)
    except ValueError as error:
        raise AdskError(400, "Bad filter", f"Invalid date in {raw!r}") from error
