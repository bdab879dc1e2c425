"""The emulated Procore REST API under /procore (paths after the prefix are Procore's own)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import procore_json as pj
from . import webhooks
from .items import (
    ItemFilter,
    approver_respond,
    approvers_by_item,
    current_step,
    item_get,
    items_page,
    orgs_of_user,
    post_add,
    posts_by_item,
    responses_of,
    users_by_id,
    visible_projects,
)
from .procore_api import (
    PER_PAGE_MAX,
    PROJECTS_V11_PER_PAGE_MAX,
    ApiError,
    Caller,
    Row,
    api,
    date_range,
    int_filter,
    page_params,
    paginated,
    project_for,
    tool_check,
)
from .uploads import (
    UploadError,
    files_attach,
    files_of,
    procore_attachment_json,
    procore_upload_declare,
    procore_with_files,
    stored_uploads,
)
from .web import Request, Response, json_response

if TYPE_CHECKING:
    from .server import SandboxApp

P = "/procore/rest"


@api(company=False)
def me(app: SandboxApp, request: Request, caller: Caller) -> Response:
    user = app.store.row("SELECT * FROM users WHERE id = ?", (caller.user_id,))
    return json_response({"id": user["id"], "login": user["login"], "name": user["name"]})


@api(company=False)
def companies(app: SandboxApp, request: Request, caller: Caller) -> Response:
    rows = [pj.company_json(o) for o in orgs_of_user(app, provider="procore", user_id=caller.user_id)]
    page, per_page = page_params(request)
    chunk = rows[(page - 1) * per_page : page * per_page]
    return paginated(request, chunk, page=page, per_page=per_page, total=len(rows))


@api()
def projects(app: SandboxApp, request: Request, caller: Caller) -> Response:
    company = caller.checked_company
    company_id = int(request.params.get("company_id") or request.query.get("company_id") or company["id"])
    if company_id != company["id"]:
        raise ApiError(403, "company_id does not match the Procore-Company-Id header.")
    rows = visible_projects(app, provider="procore", user_id=caller.user_id, org_id=company_id)
    v11 = request.path.endswith("/v1.1/projects")
    page, per_page = page_params(request, maximum=PROJECTS_V11_PER_PAGE_MAX if v11 else PER_PAGE_MAX)
    chunk = [pj.project_json(p, company) for p in rows[(page - 1) * per_page : page * per_page]]
    return paginated(request, chunk, page=page, per_page=per_page, total=len(rows))


@api()
def project_detail(app: SandboxApp, request: Request, caller: Caller) -> Response:
    return json_response(pj.project_json(project_for(app, caller, request.params["id"]), caller.checked_company))


@api()
def submittal_statuses(app: SandboxApp, request: Request, caller: Caller) -> Response:
    data = [{"id": n, "name": name, "status": name} for n, name in pj.SUBMITTAL_STATUSES.values()]
    return paginated(request, data, page=1, per_page=100, total=len(data))


def _submittals_json(app: SandboxApp, project_id: int, rows: list) -> list[dict]:
    ids = [r["id"] for r in rows]
    approvers = approvers_by_item(app, ids)
    responses = {r["id"]: r for r in responses_of(app, project_id)}
    user_ids = {r["manager_id"] for r in rows} | {a["user_id"] for group in approvers.values() for a in group}
    users = users_by_id(app, user_ids)
    data = [pj.submittal_json(r, approvers.get(r["id"], []), responses, users) for r in rows]
    procore_with_files(app, data, [])
    return data


@api()
def submittals(app: SandboxApp, request: Request, caller: Caller) -> Response:
    project = project_for(app, caller, request.params["project_id"])
    tool_check(app, project, "Submittals")
    start, end = date_range(request.query.get("filters[updated_at]"))
    status_id = int_filter(request, "status_id")
    current = request.query.get("filters[current_revision]")
    filters = ItemFilter(
        updated_from=start,
        updated_to=end,
        statuses=[pj.STATUS_BY_ID.get(status_id, "none")] if status_id is not None else [],
        approver_id=int_filter(request, "approver_id"),
        ball_in_court_id=int_filter(request, "ball_in_court_id"),
        current_revision=None if current in (None, "") else current.lower() in ("true", "1"),
    )
    page, per_page = page_params(request)
    rows, total = items_page(
        app, project_id=project["id"], kind="submittal", filters=filters, offset=(page - 1) * per_page, limit=per_page
    )
    return paginated(request, _submittals_json(app, project["id"], rows), page=page, per_page=per_page, total=total)


@api()
def submittal_detail(app: SandboxApp, request: Request, caller: Caller) -> Response:
    project = project_for(app, caller, request.params["project_id"])
    tool_check(app, project, "Submittals")
    item = item_get(app, item_id=int(request.params["id"]), kind="submittal")
    if item is None or item["project_id"] != project["id"]:
        raise ApiError(404, "Submittal not found.")
    return json_response(_submittals_json(app, project["id"], [item])[0])


@api()
def submittal_responses(app: SandboxApp, request: Request, caller: Caller) -> Response:
    project = project_for(app, caller, request.params["project_id"])
    tool_check(app, project, "Submittals")
    page_params(request)  # a per_page above Procore's maximum is refused here too
    data = [{"id": r["id"], "name": r["name"], "considered": r["considered"]} for r in responses_of(app, project["id"])]
    return paginated(request, data, page=1, per_page=max(len(data), 1), total=len(data))


@api()
def approver_patch(app: SandboxApp, request: Request, caller: Caller) -> Response:
    """PATCH /rest/v1.0/submittal_approvers/{id}: the caller answers as that approver while the submittal is open."""
    project = project_for(app, caller, request.query.get("project_id"))
    tool_check(app, project, "Submittals")
    approver = app.store.one("SELECT * FROM approvers WHERE id = ?", (int_or_404(request.params["id"]),))
    item = approver and item_get(app, item_id=approver["item_id"], kind="submittal")
    if approver is None or item is None or item["project_id"] != project["id"]:
        raise ApiError(404, "Submittal approver not found.")
    if request.query.get("submittal_id") not in (None, "", str(item["id"])):
        raise ApiError(404, "Submittal approver not found on that submittal.")
    if approver["user_id"] != caller.user_id:
        raise ApiError(403, "Only the approver can respond for this approver.")
    body = (request.json() or {}).get("submittal_approver") or {}
    responses = {r["id"]: r for r in responses_of(app, project["id"])}
    chosen = responses.get(body.get("submittal_response_id"))
    if chosen is None or chosen["considered"] == "pending":
        raise ApiError(400, "submittal_response_id is not a valid response for this approver.")
    if item["status"] != "open" or not item["current_revision"]:
        raise ApiError(422, "The submittal is closed or superseded by a newer revision; it no longer takes responses.")
    step = current_step(approvers_by_item(app, [item["id"]]).get(item["id"], []))
    if approver["response_id"] is None and step is not None and approver["workflow_group_number"] > step:
        raise ApiError(403, NOT_YOUR_TURN)
    send_emails = bool_query(request, "send_emails")
    uploads = _uploads_named(app, body, project, caller)
    row = approver_respond(
        app, approver_id=approver["id"], response_id=chosen["id"], comment=str(body.get("comment", ""))
    )
    files_attach(app, uploads, provider="procore", item_id=item["id"], approver_id=approver["id"])
    if send_emails:
        emails_send(app, item_id=item["id"], about="submittal_approver", sender_id=caller.user_id)
    webhooks.emit(
        app,
        project_id=project["id"],
        resource="Submittals",
        resource_id=item["id"],
        event="update",
        user_id=caller.user_id,
        application=caller.token["client_id"],
    )
    answer = {
        "id": row["id"],
        "attachments": [
            procore_attachment_json(f) for f in files_of(app, column="approver_id", ids=[row["id"]]).get(row["id"], [])
        ],
        "comment": row["comment"],
        "returned_date": row["returned_date"],
        "sent_date": row["sent_date"],
        "days_to_respond": 10,
        "submittal_response_id": row["response_id"],
    }
    return json_response([answer])


NOT_YOUR_TURN = (
    "User does not have permission to update Submittal Approver: it is not this approver's turn. Approvers of a later "
    "workflow step respond once the current step's approvers have responded."
)


def bool_query(request: Request, name: str) -> bool:
    """A documented boolean query parameter (absent: false); 400 for anything but true/false."""
    raw = request.query.get(name)
    if raw in (None, ""):
        return False
    if raw.lower() not in ("true", "false"):
        raise ApiError(400, f"{name} must be true or false.")
    return raw.lower() == "true"


def emails_send(app: SandboxApp, *, item_id: int, about: str, sender_id: int) -> None:
    """Procore emails the item's people only when the call asks (`send_emails` defaults to false); recorded here."""
    with app.store.write() as conn:
        conn.execute(
            "INSERT INTO emails (item_id, about, sender_id, sent_at) VALUES (?,?,?,?)",
            (item_id, about, sender_id, app.now_iso()),
        )


OFFICIAL_REFUSED = (
    "You do not have permission to mark responses official on this RFI. Official responses need the RFI manager, "
    "Admin on the RFIs tool or the Mark Official Responses permission."
)


def may_mark_official(app: SandboxApp, caller: Caller, item: Row) -> bool:
    """The RFI manager, or a company admin (Admin on the RFIs tool); a plain assignee may only reply non-officially."""
    if caller.user_id == item["manager_id"]:
        return True
    admin = app.store.one(
        "SELECT is_admin FROM org_members WHERE org_id = ? AND user_id = ?",
        (caller.company["id"] if caller.company is not None else 0, caller.user_id),
    )
    return bool(admin and admin["is_admin"])


def int_or_404(raw: str) -> int:
    if not raw.isdigit():
        raise ApiError(404, "Not found.")
    return int(raw)


def _rfis_json(app: SandboxApp, rows: list) -> list[dict]:
    posts = posts_by_item(app, [r["id"] for r in rows])
    users = users_by_id(app, {r["manager_id"] for r in rows} | {r["assignee_id"] for r in rows})
    data = [pj.rfi_json(r, posts.get(r["id"], []), users) for r in rows]
    procore_with_files(app, [], data)
    return data


@api()
def rfis(app: SandboxApp, request: Request, caller: Caller) -> Response:
    project = project_for(app, caller, request.params["project_id"])
    tool_check(app, project, "RFIs")
    start, end = date_range(request.query.get("filters[updated_at]"))
    status = request.query.get("filters[status]")
    filters = ItemFilter(
        updated_from=start,
        updated_to=end,
        statuses=[status] if status else [],
        ball_in_court_id=int_filter(request, "ball_in_court_id"),
        assignee_id=int_filter(request, "assigned_id"),
    )
    page, per_page = page_params(request)
    rows, total = items_page(
        app, project_id=project["id"], kind="rfi", filters=filters, offset=(page - 1) * per_page, limit=per_page
    )
    return paginated(request, _rfis_json(app, rows), page=page, per_page=per_page, total=total)


def _rfi(app: SandboxApp, request: Request, caller: Caller, key: str) -> tuple:
    project = project_for(app, caller, request.params["project_id"])
    tool_check(app, project, "RFIs")
    item = item_get(app, item_id=int_or_404(request.params[key]), kind="rfi")
    if item is None or item["project_id"] != project["id"]:
        raise ApiError(404, "RFI not found.")
    return project, item


@api()
def rfi_detail(app: SandboxApp, request: Request, caller: Caller) -> Response:
    _project, item = _rfi(app, request, caller, "id")
    return json_response(_rfis_json(app, [item])[0])


@api()
def replies(app: SandboxApp, request: Request, caller: Caller) -> Response:
    _project, item = _rfi(app, request, caller, "rfi_id")
    posts = posts_by_item(app, [item["id"]]).get(item["id"], [])
    data = [pj.reply_json(p) for p in posts if p["kind"] == "answer"]
    return paginated(request, data, page=1, per_page=max(len(data), 1), total=len(data))


@api()
def reply_create(app: SandboxApp, request: Request, caller: Caller) -> Response:
    project, item = _rfi(app, request, caller, "rfi_id")
    reply = (request.json() or {}).get("reply") or {}
    if not str(reply.get("body", "")).strip():
        raise ApiError(400, "reply.body is required.")
    if item["status"] != "open":
        raise ApiError(422, "The RFI is closed; it no longer takes replies.")
    official = reply.get("official", False)
    if not isinstance(official, bool):
        raise ApiError(400, "reply.official must be true or false.")
    if official and not may_mark_official(app, caller, item):
        raise ApiError(403, OFFICIAL_REFUSED)
    uploads = _uploads_named(app, reply, project, caller)
    post = post_add(
        app, item_id=item["id"], kind="answer", body=str(reply["body"]), official=official, user_id=caller.user_id
    )
    files_attach(app, uploads, provider="procore", item_id=item["id"], post_id=post["id"])
    webhooks.emit(
        app,
        project_id=project["id"],
        resource="RFIs",
        resource_id=item["id"],
        event="update",
        user_id=caller.user_id,
        application=caller.token["client_id"],
    )
    user = app.store.row("SELECT name AS user_name FROM users WHERE id = ?", (caller.user_id,))
    answer = pj.reply_json({**dict(post), "user_name": user["user_name"]})
    procore_with_files(app, [], [{"questions": [{"answers": [answer]}]}])
    return json_response(answer, 201)


def _uploads_named(app: SandboxApp, body: dict, project: Row, caller: Caller) -> list:
    """The stored uploads a PATCH or reply names in `upload_ids` (none when absent); 400 for one not ready."""
    if "upload_ids" not in body:
        return []
    try:
        return stored_uploads(
            app, upload_ids=body["upload_ids"], provider="procore", project_id=project["id"], user_id=caller.user_id
        )
    except UploadError as error:
        raise ApiError(error.status, error.message) from error


@api()
def upload_create(app: SandboxApp, request: Request, caller: Caller) -> Response:
    project = project_for(app, caller, request.params["project_id"])
    try:
        answer = procore_upload_declare(
            app, project_id=project["id"], user_id=caller.user_id, body=request.json(), base_url=request.base_url
        )
    except UploadError as error:
        raise ApiError(error.status, error.message) from error
    return json_response(answer, 201)


ROUTES = [
    ("GET", f"{P}/v1.0/me", me),
    ("GET", f"{P}/v1.0/companies", companies),
    ("GET", f"{P}/v1.0/companies/{{company_id}}/projects", projects),
    ("GET", f"{P}/v1.0/companies/{{company_id}}/submittal_statuses", submittal_statuses),
    ("GET", f"{P}/v1.0/projects", projects),
    ("GET", f"{P}/v1.1/projects", projects),
    ("GET", f"{P}/v1.0/projects/{{id}}", project_detail),
    ("GET", f"{P}/v1.0/projects/{{project_id}}/submittals", submittals),
    ("GET", f"{P}/v1.1/projects/{{project_id}}/submittals", submittals),
    ("GET", f"{P}/v1.0/projects/{{project_id}}/submittals/{{id}}", submittal_detail),
    ("GET", f"{P}/v1.1/projects/{{project_id}}/submittals/{{id}}", submittal_detail),
    ("GET", f"{P}/v1.0/projects/{{project_id}}/submittal_responses", submittal_responses),
    ("PATCH", f"{P}/v1.0/submittal_approvers/{{id}}", approver_patch),
    ("GET", f"{P}/v1.0/projects/{{project_id}}/rfis", rfis),
    ("GET", f"{P}/v1.0/projects/{{project_id}}/rfis/{{id}}", rfi_detail),
    ("GET", f"{P}/v1.0/projects/{{project_id}}/rfis/{{rfi_id}}/replies", replies),
    ("POST", f"{P}/v1.0/projects/{{project_id}}/rfis/{{rfi_id}}/replies", reply_create),
    ("POST", f"{P}/v1.0/projects/{{project_id}}/uploads", upload_create),
    *webhooks.ROUTES,
]
