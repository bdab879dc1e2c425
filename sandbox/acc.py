"""ACC RFIs (v3, and BIM 360 v2 listing) and ACC Submittals (v2) under /autodesk. Ids here are without `b.`."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from . import acc_attachments, files, oss, uploads
from .autodesk_api import (
    RFI_LIMIT_MAX,
    SUBMITTAL_LIMIT_MAX,
    AdskError,
    BodyRule,
    Caller,
    acc_project,
    api,
    body_of,
    checked_body,
    date_range,
    page_limit,
    updated_range,
)
from .items import (
    ItemFilter,
    approver_respond,
    approvers_by_item,
    ball_in_court_ids,
    item_get,
    items_page,
    people_of,
    post_add,
    posts_by_item,
    responses_of,
    uid_for,
    users_by_id,
)
from .web import Request, Response, int_param, json_response

if TYPE_CHECKING:
    from .server import SandboxApp

RFI = "/autodesk/construction/rfis/v3/projects/{project_id}"
SUB = "/autodesk/construction/submittals/v2/projects/{project_id}"
# POST .../rfis/{rfiId}/responses (acc-rfis-v3-response-create in construction.json).
RFI_RESPONSE_BODY = BodyRule(
    keys={"text": (), "status": ("answered", "rejected"), "onBehalf": (), "attachments": ()},
    required=("text", "status"),
)


# acc-rfis-v3-search's `filter.status` enum in construction.json: every status an ACC RFI can have.
RFI_STATUSES = (
    "draft",
    "submitted",
    "open",
    "openRev1",
    "openRev2",
    "answered",
    "answeredRev1",
    "answeredManager",
    "rejected",
    "closed",
    "void",
)
# Statuses of ACC's RFI review workflow, stored as they are; the RFI still takes responses in them.
REVIEW_WORKFLOW = ("openRev1", "openRev2", "answeredRev1", "answeredManager")


def _rfi_status(item: Any) -> str:
    if item["status"] == "open":
        return "answered" if item["answered"] else "open"
    return item["status"]


def _rfi_states(raw: Any) -> list[str]:
    """The search's `filter.status` values; anything outside the documented enum is Autodesk's 400."""
    states = [str(s) for s in (raw if isinstance(raw, list) else [raw] if raw else [])]
    unknown = [s for s in states if s not in RFI_STATUSES]
    if unknown:
        raise AdskError(400, "Bad input", f"filter.status must be among {', '.join(RFI_STATUSES)}; got {unknown}.")
    return states


def rfi_container_of(project: Any) -> str:
    """A project's RFIs container id (Data Management's `relationships.rfis.data.id`): not the project's id."""
    return uid_for("rfis-container", project["id"])


def _container_project(app: SandboxApp, container_id: str) -> Any:
    """The Autodesk project whose RFIs container this is; 404 for anything else (a project id included)."""
    rows = app.store.all("SELECT * FROM projects WHERE provider = 'autodesk'")
    project = next((p for p in rows if rfi_container_of(p) == container_id), None)
    if project is None:
        raise AdskError(404, "Container not found", f"No RFIs container {container_id} (take relationships.rfis).")
    return project


def _rfi_json(item: Any, posts: list[Any], users: dict[int, Any]) -> dict[str, Any]:
    question = next((p["body"] for p in posts if p["kind"] == "question"), "")
    official = next((p for p in reversed(posts) if p["kind"] == "answer" and p["official"]), None)
    adsk = {uid: users[uid]["adsk_id"] for uid in users}
    return {
        "id": item["uid"],
        "customIdentifier": item["number"],
        "title": item["title"],
        "question": question,
        "status": _rfi_status(item),
        # v3 RFIs have no `ballInCourt` (PROVIDERS.md): who must act is `assignedTo` ({id, type}: user, role, company).
        "assignedTo": [{"id": adsk.get(item["assignee_id"]), "type": "user"}] if item["assignee_id"] else [],
        "managerId": adsk.get(item["manager_id"]),
        "createdBy": adsk.get(item["manager_id"]),
        "dueDate": item["due_date"],
        "createdAt": item["created_at"],
        "updatedAt": item["updated_at"],
        "closedAt": item["closed_at"],
        "officialResponse": official["body"] if official else None,
        "costImpact": item["cost_impact"] or None,
        "scheduleImpact": item["schedule_impact"] or None,
        "responses": [_response_json(p) for p in posts if p["kind"] == "answer"],
        # The RFI's own folder for its attachments: Autodesk makes it asynchronously after the RFI, and the field
        # shows only once it is there (APS tutorial "Upload Attachments to RFIs").
        **({"virtualFolderUrn": oss.rfi_folder_id(item)} if item["folder_ready"] else {}),
    }


def _rfis(app: SandboxApp, rows: list[Any]) -> list[dict[str, Any]]:
    posts = posts_by_item(app, [r["id"] for r in rows])
    users = users_by_id(app, people_of(rows))
    results = [_rfi_json(r, posts.get(r["id"], []), users) for r in rows]
    oss.rfi_with_files(app, results, posts)
    files.acc_add(app, rows, results)
    return results


def _rfi_page(app: SandboxApp, project: Any, limit: int, offset: int, updated: str | None, states: list[str]) -> dict:
    start, end = updated_range(updated)
    filters = ItemFilter(updated_from=start, updated_to=end, rfi_states=states)
    rows, total = items_page(app, project_id=project["id"], kind="rfi", filters=filters, offset=offset, limit=limit)
    return {"pagination": {"limit": limit, "offset": offset, "totalResults": total}, "results": _rfis(app, rows)}


@api
def rfi_search(app: SandboxApp, request: Request, caller: Caller) -> Response:
    project = acc_project(app, caller, request.params["project_id"], tool="RFIs")
    body = body_of(request)
    limit = page_limit(body.get("limit"), 10, maximum=RFI_LIMIT_MAX)
    offset = int_param(str(body.get("offset", "")), 0)
    flt = body.get("filter") or {}
    return json_response(_rfi_page(app, project, limit, offset, flt.get("updatedAt"), _rfi_states(flt.get("status"))))


def _bim360_rfi(rfi: dict[str, Any]) -> dict[str, Any]:
    """An RFI as BIM 360's v2 API gives it: JSON:API-like, fields under `attributes`, one `assignedTo` id."""
    assigned = rfi["assignedTo"][0]["id"] if rfi["assignedTo"] else None
    attributes = {k: v for k, v in rfi.items() if k not in ("id", "responses", "virtualFolderUrn")}
    attributes |= {"assignedTo": assigned, "assignedToType": "user" if assigned else None}
    return {"id": rfi["id"], "type": "rfis", "attributes": attributes}


@api
def bim360_rfis(app: SandboxApp, request: Request, caller: Caller) -> Response:
    container = _container_project(app, request.params["container_id"])
    project = acc_project(app, caller, container["uid"], acc_only=False, tool="RFIs")
    limit = page_limit(request.query.get("limit"), 10, maximum=RFI_LIMIT_MAX)
    offset = int_param(request.query.get("offset"), 0)
    status = request.query.get("filter[status]")
    states = status.split(",") if status else []
    page = _rfi_page(app, project, limit, offset, request.query.get("filter[updatedAt]"), states)
    return json_response({**page, "results": [_bim360_rfi(r) for r in page["results"]]})


def _rfi_item(app: SandboxApp, request: Request, caller: Caller) -> tuple[Any, Any]:
    project = acc_project(app, caller, request.params["project_id"], tool="RFIs")
    item = item_get(app, uid=request.params["rfi_id"], kind="rfi")
    if item is None or item["project_id"] != project["id"]:
        raise AdskError(404, "RFI not found")
    return project, item


@api
def rfi_detail(app: SandboxApp, request: Request, caller: Caller) -> Response:
    _project, item = _rfi_item(app, request, caller)
    return json_response(_rfis(app, [item])[0])


def _response_json(post: Any) -> dict[str, Any]:
    """An RFI response as the RFI detail embeds it (id, text, status, createdBy, onBehalf, state)."""
    return {
        "id": post["uid"],
        "text": post["body"],
        "status": post["status"] or "answered",  # as posted: answered, or rejected
        "createdBy": post["user_adsk_id"],
        "onBehalf": None,
        "state": "official" if post["official"] else "unofficial",
        "createdAt": post["created_at"],
    }


@api
def rfi_respond(app: SandboxApp, request: Request, caller: Caller) -> Response:
    """POST .../responses: `{text, status}` required (status answered or rejected), optional onBehalf, attachments;
    Autodesk documents no GET of this path (the RFI detail embeds `responses[]`)."""
    project, item = _rfi_item(app, request, caller)
    body = checked_body(request, RFI_RESPONSE_BODY)
    text, status = str(body["text"]).strip(), str(body["status"])
    if item["status"] not in ("open", *REVIEW_WORKFLOW):
        raise AdskError(422, "RFI closed", "The RFI is closed; it no longer takes responses.")
    attached = oss.rfi_attachments(app, project, item, caller, body.get("attachments"))
    answer = post_add(
        app,
        item_id=item["id"],
        kind="answer",
        body=text,
        official=caller.user_id == item["assignee_id"] and status == "answered",
        user_id=caller.user_id,
        status=status,
    )
    if status == "rejected":
        # A rejected response sends the RFI back: its status becomes `rejected` (Autodesk's RFI workflow).
        with app.store.write() as conn:
            conn.execute("UPDATE items SET status = 'rejected' WHERE id = ?", (item["id"],))
    uploads.files_attach(app, attached, provider="autodesk", item_id=item["id"], post_id=answer["id"])
    post = posts_by_item(app, [item["id"]])[item["id"]][-1]
    return json_response(_response_json(post), 201)


def role_uid(project_id: int, name: str) -> str:
    """A project role's id, as the Admin API's `roleIds` and the submittals' `ballInCourtRoles` give it."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox:role:{project_id}:{name}"))


def company_uid(name: str) -> str:
    """The id of the company a user represents (the Admin API's `companyId`, the items' `ballInCourtCompanies`)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox:company:{name}"))


def roles_by_user(app: SandboxApp, project_id: int) -> dict[int, list[str]]:
    """The project's roles per user, by name."""
    rows = app.store.all("SELECT user_id, name FROM project_roles WHERE project_id = ? ORDER BY name", (project_id,))
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(row["user_id"], []).append(row["name"])
    return found


def _assignee(approver: Any, project_id: int, users: dict[int, Any], roles: dict[int, list[str]]) -> tuple[str, str]:
    """(assignedTo, assignedToType) of a review task: the user, or the role or company the task was given to (the
    approver row then names a user who holds that role or represents that company)."""
    user = users.get(approver["user_id"])
    if approver["assigned_as"] == "role" and roles.get(approver["user_id"]):
        return role_uid(project_id, roles[approver["user_id"]][0]), "role"
    if approver["assigned_as"] == "company" and user is not None and user["company_name"]:
        return company_uid(user["company_name"]), "company"
    return (user["adsk_id"] if user is not None else approver["user_adsk_id"]), "user"


def caller_groups(app: SandboxApp, project: Any, caller: Caller) -> set[str]:
    """The caller's Autodesk id with the ids of their roles in the project and of the company they represent."""
    user = app.store.row("SELECT * FROM users WHERE id = ?", (caller.user_id,))
    groups = {
        caller.adsk_id,
        *(role_uid(project["id"], n) for n in roles_by_user(app, project["id"]).get(caller.user_id, [])),
    }
    if user["company_name"]:
        groups.add(company_uid(user["company_name"]))
    return groups


# statusId of ACC submittal items (submittals-items-GET): 1 Required, 2 Open, 3 Closed, 4 Void, 5 Empty, 6 Draft.
SUBMITTAL_STATUS_IDS = ("1", "2", "3", "4", "5", "6")


def _state(item: Any, approvers: list[Any]) -> tuple[str, str]:
    """(statusId, stateId) as ACC reports them: a draft is 6 (Draft), not 1 (Required, waiting for submission)."""
    if item["status"] == "closed":
        return "3", "sbc-2"
    if item["status"] == "void":
        return "4", "void"
    if item["status"] == "draft":
        return "6", "draft"
    if item["status"] == "required":
        return "1", "sbc-1"
    return "2", "rev" if any(a["response_id"] is None for a in approvers) else "mgr-2"


def _ball(item: Any, approvers: list[Any], users: dict[int, Any], roles: dict[int, list[str]]) -> dict[str, list[str]]:
    """ballInCourtUsers / Roles / Companies: the pending tasks' assignees by type (the manager when none is)."""
    ball: dict[str, list[str]] = {"user": [], "role": [], "company": []}
    holders = set(ball_in_court_ids(item, approvers))
    pending = [a for a in approvers if a["response_id"] is None and a["user_id"] in holders]
    for approver in pending:
        assigned, kind = _assignee(approver, item["project_id"], users, roles)
        if assigned not in ball[kind]:
            ball[kind].append(assigned)
    for user_id in holders - {a["user_id"] for a in pending}:
        if user_id in users:
            ball["user"].append(users[user_id]["adsk_id"])
    return ball


def _submittal_json(
    item: Any, approvers: list[Any], responses: dict[int, Any], users: dict[int, Any], roles: dict[int, list[str]]
) -> dict:
    status_id, state_id = _state(item, approvers)
    answered = [a for a in approvers if a["response_id"] is not None]
    last = answered[-1] if answered else None
    ball = _ball(item, approvers, users, roles)
    return {
        "id": item["uid"],
        "identifier": item["id"],
        "customIdentifier": item["number"],
        "customIdentifierHumanReadable": f"{item['spec_number']}-{item['number']}",
        "title": item["title"],
        "description": item["description"],
        "revision": item["revision"],
        "statusId": status_id,
        "stateId": state_id,
        "specIdentifier": item["spec_number"],
        # Named like the items list's documented date filters (filter[sentToReview], filter[receivedFromReview]).
        "sentToReview": min((a["sent_date"] for a in approvers if a["sent_date"]), default=None),
        "receivedFromReview": last["returned_date"] if last else None,
        "ballInCourtUsers": ball["user"],
        "ballInCourtRoles": ball["role"],
        "ballInCourtCompanies": ball["company"],
        "responseId": responses[last["response_id"]]["uid"] if last else None,
        "responseComment": last["comment"] if last else None,
        "managerId": users[item["manager_id"]]["adsk_id"] if item["manager_id"] in users else None,
        "dueDate": item["due_date"],
        "createdAt": item["created_at"],
        "updatedAt": item["updated_at"],
        "closedAt": item["closed_at"],
    }


def _submittals(app: SandboxApp, project: Any, rows: list[Any]) -> list[dict[str, Any]]:
    approvers = approvers_by_item(app, [r["id"] for r in rows])
    responses = {r["id"]: r for r in responses_of(app, project["id"])}
    user_ids = {r["manager_id"] for r in rows} | {a["user_id"] for group in approvers.values() for a in group}
    users = users_by_id(app, user_ids)
    roles = roles_by_user(app, project["id"])
    results = [_submittal_json(r, approvers.get(r["id"], []), responses, users, roles) for r in rows]
    files.acc_add(app, rows, results)
    return results


@api
def submittal_items(app: SandboxApp, request: Request, caller: Caller) -> Response:
    project = acc_project(app, caller, request.params["project_id"], tool="Submittals")
    limit = page_limit(request.query.get("limit"), 20, maximum=SUBMITTAL_LIMIT_MAX)
    offset = int_param(request.query.get("offset"), 0)
    for name in SUBMITTAL_DATE_FILTERS:
        date_range(name, request.query.get(name))  # every date filter takes dates, not date-times
    wanted = [s for s in (request.query.get("filter[statusId]") or "").split(",") if s]
    if any(s not in SUBMITTAL_STATUS_IDS for s in wanted):
        raise AdskError(400, "Bad input", f"filter[statusId] takes {', '.join(SUBMITTAL_STATUS_IDS)}; got {wanted}.")
    start, end = date_range("filter[updatedAt]", request.query.get("filter[updatedAt]"))
    filters = ItemFilter(updated_from=start, updated_to=end)
    rows, total = items_page(
        app, project_id=project["id"], kind="submittal", filters=filters, offset=offset, limit=limit
    )
    next_url = None
    if offset + limit < total:
        query = urlencode({**request.query, "offset": str(offset + limit), "limit": str(limit)})
        next_url = f"{request.base_url}{request.path}?{query}"
    pagination = {"limit": limit, "offset": offset, "totalResults": total, "nextUrl": next_url}
    return json_response({"pagination": pagination, "results": _submittals(app, project, rows)})


# GET .../items date filters (acc-submittals-v2-items in construction.json): each takes dates (DATE_FILTER).
SUBMITTAL_DATE_FILTERS = tuple(
    f"filter[{name}]"
    for name in (
        "dueDate",
        "submitterDueDate",
        "managerDueDate",
        "createdAt",
        "sentToSubmitter",
        "receivedFromSubmitter",
        "sentToReview",
        "receivedFromReview",
        "publishedDate",
        "requiredDate",
        "requiredApprovalDate",
        "requiredOnJobDate",
        "updatedAt",
    )
)


@api
def submittal_detail(app: SandboxApp, request: Request, caller: Caller) -> Response:
    project, item = acc_attachments.submittal_of(app, request, caller)
    return json_response(_submittals(app, project, [item])[0])


@api
def submittal_responses(app: SandboxApp, request: Request, caller: Caller) -> Response:
    project = acc_project(app, caller, request.params["project_id"], tool="Submittals")
    rows = [r for r in responses_of(app, project["id"]) if r["category_id"]]
    results = [{"id": r["uid"], "value": r["name"], "categoryId": r["category_id"]} for r in rows]
    return json_response(_offset_page(request, results))


def _offset_page(request: Request, results: list[dict[str, Any]]) -> dict[str, Any]:
    """One page of a short Submittals list (responses, steps): `limit` 1-50 (default 20) from `offset`."""
    limit = page_limit(request.query.get("limit"), 20, maximum=SUBMITTAL_LIMIT_MAX)
    offset = int_param(request.query.get("offset"), 0)
    pagination = {"limit": limit, "offset": offset, "totalResults": len(results)}
    return {"pagination": pagination, "results": results[offset : offset + limit]}


def _task_json(approver: Any, step_id: str, responses: dict[int, Any], assigned: tuple[str, str]) -> dict[str, Any]:
    response = responses.get(approver["response_id"])
    return {
        "id": approver["uid"],
        "stepId": step_id,
        "assignedTo": assigned[0],
        "assignedToType": assigned[1],
        "status": "completed" if response else "in-progress",
        "responseId": response["uid"] if response else None,
        "responseComment": approver["comment"] or None,
        "completedAt": approver["returned_date"],
    }


def _steps(app: SandboxApp, project: Any, item: Any) -> list[dict[str, Any]]:
    approvers = approvers_by_item(app, [item["id"]]).get(item["id"], [])
    responses = {r["id"]: r for r in responses_of(app, project["id"])}
    users = users_by_id(app, {a["user_id"] for a in approvers})
    roles = roles_by_user(app, project["id"])
    steps: dict[int, dict[str, Any]] = {}
    for approver in approvers:
        group = approver["workflow_group_number"]
        step_id = uid_for("step", item["id"] * 1000 + group)
        step = steps.setdefault(group, {"id": step_id, "stepNumber": group, "status": "completed", "tasks": []})
        task = _task_json(approver, step_id, responses, _assignee(approver, project["id"], users, roles))
        step["tasks"].append(task)
        if task["status"] != "completed":
            step["status"] = "in-progress"
    return list(steps.values())


@api
def submittal_steps(app: SandboxApp, request: Request, caller: Caller) -> Response:
    project, item = acc_attachments.submittal_of(app, request, caller)
    return json_response(_offset_page(request, _steps(app, project, item)))


def caller_task(app: SandboxApp, project: Any, item: Any, caller: Caller, task_id: str) -> tuple[dict, int]:
    """(task, approver row id) of a review task of the item that the caller may act on; 404 / 403 otherwise."""
    task = next((t for s in _steps(app, project, item) for t in s["tasks"] if t["id"] == task_id), None)
    if task is None:
        raise AdskError(404, "Task not found")
    if task["assignedTo"] not in caller_groups(app, project, caller):
        raise AdskError(
            403, "Forbidden", "Only the task's assignee (the user, or a holder of its role or company) can act on it."
        )
    return task, app.store.row("SELECT id FROM approvers WHERE uid = ?", (task_id,))["id"]


# POST .../tasks/{taskId}:close (acc-submittals-v2-task-close in construction.json; submittals-tasks-taskIdclose-POST
# documents `saveAttachmentDrafts` and `duplicateAttachments` as arrays of strings, the first "Not relevant").
TASK_CLOSE_BODY = BodyRule(
    keys={"responseId": (), "responseComment": (), "saveAttachmentDrafts": (), "duplicateAttachments": ()},
    required=("responseId",),
)


@api
def task_close(app: SandboxApp, request: Request, caller: Caller) -> Response:
    """Close the caller's review task with a response: the ACC way to post a reviewer's answer. Its draft
    attachments are published with it (sandbox.acc_attachments); `saveAttachmentDrafts` and `duplicateAttachments`
    must be arrays of strings, as the page documents them (the sandbox refuses any other form: how Autodesk treats
    one is not documented)."""
    project, item = acc_attachments.submittal_of(app, request, caller)
    step = next((s for s in _steps(app, project, item) if s["id"] == request.params["step_id"]), None)
    if step is None or not any(t["id"] == request.params["task_id"] for t in step["tasks"]):
        raise AdskError(404, "Task not found")
    task, _approver = caller_task(app, project, item, caller, request.params["task_id"])
    body = checked_body(request, TASK_CLOSE_BODY)
    for key in ("saveAttachmentDrafts", "duplicateAttachments"):
        if key in body and not (isinstance(body[key], list) and all(isinstance(v, str) for v in body[key])):
            raise AdskError(
                400,
                "Bad input",
                f"{key} is documented as an array of strings; this sandbox does not take {body[key]!r}.",
            )
    response = next((r for r in responses_of(app, project["id"]) if r["uid"] == body.get("responseId")), None)
    if response is None or not response["category_id"]:
        raise AdskError(400, "Bad input", "responseId is not a response of this project.")
    if item["status"] != "open" or not item["current_revision"]:
        raise AdskError(422, "Submittal closed", "The submittal item is closed; it no longer takes reviews.")
    approver = app.store.row("SELECT id FROM approvers WHERE uid = ?", (task["id"],))
    approver_respond(
        app, approver_id=approver["id"], response_id=response["id"], comment=str(body.get("responseComment", ""))
    )
    acc_attachments.task_drafts_publish(app, item=item, task_id=task["id"])
    closed = next(t for s in _steps(app, project, item) for t in s["tasks"] if t["id"] == task["id"])
    return json_response(closed)


# GET /construction/admin/v1/projects/{projectId}/users/{userId} (Account Admin API, "admin-projectsprojectId-users-
# userId-GET" on APS; not in construction.json): where a reviewer's project roles and company are documented.
ADMIN_USER_QUERY = ("fields",)


@api
def admin_project_user(app: SandboxApp, request: Request, caller: Caller) -> Response:
    """A project user as the Account Admin API gives them: `companyId`, `roleIds` and `roles[]` ({id, name})."""
    unknown = sorted(set(request.query) - set(ADMIN_USER_QUERY))
    if unknown:
        raise AdskError(400, "Bad input", f"Unknown query parameter(s): {', '.join(unknown)}.")
    project = acc_project(app, caller, request.params["project_id"], acc_only=False)
    wanted = request.params["user_id"]
    user = app.store.one("SELECT * FROM users WHERE adsk_id = ? OR CAST(id AS TEXT) = ?", (wanted, wanted))
    member = user is not None and app.store.one(
        "SELECT 1 FROM project_members WHERE project_id = ? AND user_id = ?", (project["id"], user["id"])
    )
    if user is None or not member:
        raise AdskError(404, "Not found", f"No user {wanted} in this project.")
    names = roles_by_user(app, project["id"]).get(user["id"], [])
    roles = [{"id": role_uid(project["id"], n), "name": n} for n in names]
    company = company_uid(user["company_name"]) if user["company_name"] else None
    return json_response(
        {
            "id": uid_for("project-user", user["id"]),
            "email": user["login"],
            "name": user["name"],
            "autodeskId": user["adsk_id"],
            "companyId": company,
            "companyName": user["company_name"] or None,
            "roleIds": [r["id"] for r in roles],
            "roles": roles,
            "status": "active",
        }
    )


ROUTES = [
    ("GET", "/autodesk/construction/admin/v1/projects/{project_id}/users/{user_id}", admin_project_user),
    ("POST", f"{RFI}/search:rfis", rfi_search),
    ("GET", f"{RFI}/rfis/{{rfi_id}}", rfi_detail),
    ("POST", f"{RFI}/rfis/{{rfi_id}}/responses", rfi_respond),
    ("GET", "/autodesk/bim360/rfis/v2/containers/{container_id}/rfis", bim360_rfis),
    ("GET", f"{SUB}/items", submittal_items),
    ("GET", f"{SUB}/items/{{item_id}}", submittal_detail),
    ("GET", f"{SUB}/responses", submittal_responses),
    ("GET", f"{SUB}/items/{{item_id}}/steps", submittal_steps),
    ("POST", f"{SUB}/items/{{item_id}}/steps/{{step_id}}/tasks/{{task_id}}:close", task_close),
    *oss.ROUTES,
    *acc_attachments.ROUTES,
]
