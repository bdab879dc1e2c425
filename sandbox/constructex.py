"""The emulated ConstructEx API under /constructex: the contract PROVIDERS.md assumes (cursor paging, `updated_since`).

Cursors are opaque to clients (base64 of the next offset); a page holds `limit` results (default 50, at most 200).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import uploads
from .faults import too_many_requests
from .items import (
    ItemFilter,
    approver_respond,
    approvers_by_item,
    ball_in_court_ids,
    can_see_project,
    item_get,
    items_page,
    post_add,
    posts_by_item,
    project_get,
    responses_of,
    users_by_id,
    visible_projects,
)
from .ratelimit import retry_after
from .store import iso, parse_time
from .tokens import token_lookup
from .web import Request, Response, int_param, json_response

if TYPE_CHECKING:
    from .server import SandboxApp

P = "/constructex/api/v1"
REVIEW_RESPONSES = ("Approved", "Approved as Noted", "Revise and Resubmit", "Rejected", "For Record Only")


class CxError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def api(handler: Callable[[SandboxApp, Request, Any], Response]) -> Callable[[SandboxApp, Request], Response]:
    def run(app: SandboxApp, request: Request) -> Response:
        token = token_lookup(app, provider="constructex", token=request.bearer())
        now = app.timestamp()
        window = app.limiter.per_minute("constructex", str(token["user_id"]) if token else "anonymous", now)
        if window is not None and window.exhausted:
            return too_many_requests(request.path, retry_after(window, now))
        if token is None:
            return json_response({"error": {"code": "unauthorized", "message": "The access token is invalid."}}, 401)
        try:
            return handler(app, request, token)
        except CxError as error:
            return json_response({"error": {"code": error.code, "message": error.message}}, error.status)

    return run


def _cursor_offset(raw: str | None) -> int:
    if not raw:
        return 0
    try:
        return int(base64.urlsafe_b64decode(raw.encode()).decode())
    except ValueError as error:
        raise CxError(400, "bad_cursor", "The cursor is not valid; start again without one.") from error


def _next_cursor(offset: int, limit: int, total: int) -> str | None:
    return base64.urlsafe_b64encode(str(offset + limit).encode()).decode() if offset + limit < total else None


def _user(users: dict[int, Any], user_id: int | None) -> dict[str, Any] | None:
    user = users.get(user_id) if user_id is not None else None
    return {"id": user["id"], "name": user["name"], "email": user["login"]} if user else None


@api
def me(app: SandboxApp, request: Request, token: Any) -> Response:
    return json_response({"id": token["user_id"], "name": token["name"], "email": token["login"]})


@api
def projects(app: SandboxApp, request: Request, token: Any) -> Response:
    rows = visible_projects(app, provider="constructex", user_id=token["user_id"], org_id=None)
    offset, limit = (
        _cursor_offset(request.query.get("cursor")),
        int_param(request.query.get("limit"), 50, low=1, high=200),
    )
    results = [{"id": p["id"], "name": p["name"], "number": p["number"]} for p in rows[offset : offset + limit]]
    return json_response({"results": results, "next_cursor": _next_cursor(offset, limit, len(rows))})


def _project(app: SandboxApp, token: Any, raw: str) -> Any:
    project = project_get(app, provider="constructex", project_id=int(raw) if raw.isdigit() else 0)
    if project is None:
        raise CxError(404, "not_found", "No such project.")
    if not can_see_project(app, project=project, user_id=token["user_id"]):
        raise CxError(403, "forbidden", "You are not on this project's team.")
    return project


def _page(app: SandboxApp, request: Request, token: Any, kind: str) -> tuple[Any, list[Any], str | None]:
    project = _project(app, token, request.params["project_id"])
    since = request.query.get("updated_since")
    try:
        updated_from = iso(parse_time(since)) if since else None
    except ValueError as error:
        raise CxError(400, "bad_updated_since", "updated_since must be an ISO-8601 time.") from error
    offset, limit = (
        _cursor_offset(request.query.get("cursor")),
        int_param(request.query.get("limit"), 50, low=1, high=200),
    )
    rows, total = items_page(
        app,
        project_id=project["id"],
        kind=kind,
        filters=ItemFilter(updated_from=updated_from, include_deleted=True),
        offset=offset,
        limit=limit,
    )
    return project, rows, _next_cursor(offset, limit, total)


@api
def submittals(app: SandboxApp, request: Request, token: Any) -> Response:
    project, rows, cursor = _page(app, request, token, "submittal")
    approvers = approvers_by_item(app, [r["id"] for r in rows])
    responses = {r["id"]: r["name"] for r in responses_of(app, project["id"])}
    users = users_by_id(app, {r["manager_id"] for r in rows} | {a["user_id"] for g in approvers.values() for a in g})
    files = uploads.files_of(app, column="approver_id", ids=[a["id"] for g in approvers.values() for a in g])
    results = [_submittal_json(r, approvers.get(r["id"], []), responses, users, files) for r in rows]
    return json_response({"results": results, "next_cursor": cursor})


def _submittal_json(
    item: Any,
    approvers: list[Any],
    responses: dict[int, str],
    users: dict[int, Any],
    files: dict[int, list] | None = None,
) -> dict:
    files = files or {}
    reviews = [
        {
            "id": a["id"],
            "reviewer": _user(users, a["user_id"]),
            "response": responses.get(a["response_id"]),
            "comment": a["comment"] or None,
            "returned_at": a["returned_date"],
            "attachments": [uploads.cx_attachment_json(f) for f in files.get(a["id"], [])],
        }
        for a in approvers
    ]
    return {
        "id": item["id"],
        "number": item["number"],
        "revision": item["revision"],
        "title": item["title"],
        "description": item["description"],
        "status": item["status"],
        "due_date": item["due_date"],
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
        "closed_at": item["closed_at"],
        "deleted": item["status"] == "deleted",
        "manager": _user(users, item["manager_id"]),
        "ball_in_court": [_user(users, u) for u in ball_in_court_ids(item, approvers)],
        "reviews": reviews,
    }


@api
def rfis(app: SandboxApp, request: Request, token: Any) -> Response:
    _project, rows, cursor = _page(app, request, token, "rfi")
    posts = posts_by_item(app, [r["id"] for r in rows])
    users = users_by_id(app, {r["manager_id"] for r in rows} | {r["assignee_id"] for r in rows})
    files = uploads.files_of(app, column="post_id", ids=[p["id"] for g in posts.values() for p in g])
    return json_response(
        {"results": [_rfi_json(r, posts.get(r["id"], []), users, files) for r in rows], "next_cursor": cursor}
    )


def _rfi_json(
    item: Any, posts: list[Any], users: dict[int, Any], files: dict[int, list] | None = None
) -> dict[str, Any]:
    files = files or {}
    return {
        "id": item["id"],
        "number": item["number"],
        "subject": item["title"],
        "question": next((p["body"] for p in posts if p["kind"] == "question"), ""),
        "status": item["status"],
        "due_date": item["due_date"],
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
        "closed_at": item["closed_at"],
        "deleted": item["status"] == "deleted",
        "assignee": _user(users, item["assignee_id"]),
        "manager": _user(users, item["manager_id"]),
        "ball_in_court": [_user(users, u) for u in ball_in_court_ids(item, [])],
        "answers": [_answer_json(p, files.get(p["id"], [])) for p in posts if p["kind"] == "answer"],
    }


def _answer_json(post: Any, files: list | None = None) -> dict[str, Any]:
    return {
        "attachments": [uploads.cx_attachment_json(f) for f in files or []],
        "id": post["id"],
        "body": post["body"],
        "official": bool(post["official"]),
        "author": {"id": post["created_by"], "name": post["user_name"]},
        "created_at": post["created_at"],
    }


def _item(app: SandboxApp, token: Any, raw: str, kind: str) -> Any:
    item = item_get(app, item_id=int(raw) if raw.isdigit() else 0, kind=kind)
    project = item and project_get(app, provider="constructex", project_id=item["project_id"])
    if item is None or project is None:
        raise CxError(404, "not_found", f"No such {kind}.")
    _project(app, token, str(project["id"]))
    if item["status"] != "open":
        raise CxError(409, "closed", f"The {kind} is closed; it no longer takes responses.")
    return item


@api
def review_create(app: SandboxApp, request: Request, token: Any) -> Response:
    item = _item(app, token, request.params["id"], "submittal")
    body = request.json() or {}
    approver = app.store.one(
        "SELECT * FROM approvers WHERE item_id = ? AND user_id = ?", (item["id"], token["user_id"])
    )
    if approver is None:
        raise CxError(403, "not_reviewer", "You are not a reviewer of this submittal.")
    response = next((r for r in responses_of(app, item["project_id"]) if r["name"] == body.get("response")), None)
    if response is None:
        raise CxError(422, "bad_response", f"response must be one of: {', '.join(REVIEW_RESPONSES)}.")
    files = _attachments_named(app, body, item, token)
    row = approver_respond(
        app, approver_id=approver["id"], response_id=response["id"], comment=str(body.get("comment", ""))
    )
    uploads.files_attach(app, files, provider="constructex", item_id=item["id"], approver_id=approver["id"])
    return json_response(
        {
            "id": row["id"],
            "submittal_id": item["id"],
            "response": response["name"],
            "comment": row["comment"] or None,
            "returned_at": row["returned_date"],
            "attachments": [
                uploads.cx_attachment_json(f)
                for f in uploads.files_of(app, column="approver_id", ids=[row["id"]]).get(row["id"], [])
            ],
        },
        201,
    )


def _attachments_named(app: SandboxApp, body: dict, item: Any, token: Any) -> list:
    if "attachment_ids" not in body:
        return []
    try:
        return uploads.stored_uploads(
            app,
            upload_ids=body["attachment_ids"],
            provider="constructex",
            project_id=item["project_id"],
            user_id=token["user_id"],
        )
    except uploads.UploadError as error:
        raise CxError(422, "bad_attachment", error.message) from error


@api
def upload_create(app: SandboxApp, request: Request, token: Any) -> Response:
    project = _project(app, token, request.params["project_id"])
    try:
        answer = uploads.constructex_upload_declare(
            app, project_id=project["id"], user_id=token["user_id"], body=request.json(), base_url=request.base_url
        )
    except uploads.UploadError as error:
        raise CxError(error.status, "bad_upload", error.message) from error
    return json_response(answer, 201)


@api
def upload_content(app: SandboxApp, request: Request, token: Any) -> Response:
    try:
        answer = uploads.constructex_upload_put(
            app, upload_id=request.params["id"], user_id=token["user_id"], content=request.body
        )
    except uploads.UploadError as error:
        raise CxError(error.status, "bad_upload", error.message) from error
    return json_response(answer)


@api
def answer_create(app: SandboxApp, request: Request, token: Any) -> Response:
    item = _item(app, token, request.params["id"], "rfi")
    body = request.json() or {}
    text = str(body.get("body", "")).strip()
    if not text:
        raise CxError(422, "body_required", "body is required.")
    files = _attachments_named(app, body, item, token)
    post_add(
        app,
        item_id=item["id"],
        kind="answer",
        body=text,
        official=token["user_id"] == item["assignee_id"],
        user_id=token["user_id"],
    )
    post = posts_by_item(app, [item["id"]])[item["id"]][-1]
    uploads.files_attach(app, files, provider="constructex", item_id=item["id"], post_id=post["id"])
    return json_response(
        _answer_json(post, uploads.files_of(app, column="post_id", ids=[post["id"]]).get(post["id"])), 201
    )


ROUTES = [
    ("GET", f"{P}/me", me),
    ("GET", f"{P}/projects", projects),
    ("GET", f"{P}/projects/{{project_id}}/submittals", submittals),
    ("GET", f"{P}/projects/{{project_id}}/rfis", rfis),
    ("POST", f"{P}/submittals/{{id}}/reviews", review_create),
    ("POST", f"{P}/rfis/{{id}}/answers", answer_create),
    ("POST", f"{P}/projects/{{project_id}}/uploads", upload_create),
    ("PUT", f"{P}/uploads/{{id}}/content", upload_content),
]
