"""ACC submittal attachments (submittals-attachments-POST, -attachmentId-PATCH, items-itemId-attachments-GET), emulated
strictly: a local file is an attachment created on the reviewer's task with `{name, urnTypeId: "2", taskId}` (APS
tutorial "Attach Local Files to Submittals", https://aps.autodesk.com/en/docs/acc/v1/tutorials/submittals/attach-
local-files: `urnTypeId` is required and "2" for a local file; `taskId` ties it to the review task). The answer names
the empty OSS object in `uploadUrn`, with `urn` null (the Files tool's version urn, made only later by Autodesk); the
object is filled through the OSS flow (sandbox.oss), the attachment marked `isFileUploaded`, and the task's drafts
are published when the task is closed (sandbox.acc calls `task_drafts_publish`). What a review attached is a row of
`response_files`.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from . import uploads
from .autodesk_api import AdskError, BodyRule, Caller, acc_project, api, checked_body, page_limit
from .items import item_get
from .oss import new_object, object_urn, unknown_query
from .web import Request, Response, int_param, json_response

if TYPE_CHECKING:
    from .server import SandboxApp

# submittals-attachments-POST: name* (the page lists `/ \n \r \t \0 \f ? * \\ < > | :` as not supported in it) and
# urnTypeId* ("Possible values: 2"), taskId (required in review: the sandbox's drafts always belong to a review task),
# categoryId (1-4), isFileUploaded ("cannot be explicitly set to false"; a draft is confirmed by the PATCH once its
# file is uploaded), urn (the Files tool's version: "not applicable for local file uploads"; this sandbox does not
# emulate the Files tool).
LOCAL_FILE = "2"
NAME_UNSUPPORTED = "/\n\r\t\0\f?*\\<>|:"
ATTACHMENT_BODY = BodyRule(
    keys={
        "name": (),
        "urnTypeId": (LOCAL_FILE,),
        "taskId": (),
        "categoryId": (),
        "isFileUploaded": (),
        "urn": (),
    },
    required=("name", "urnTypeId", "taskId"),
)
ATTACHMENT_PATCH = BodyRule(keys={"isFileUploaded": ()}, required=("isFileUploaded",))
ATTACHMENT_LIST_QUERY = ("limit", "offset", "sort", "filter[categoryId]", "filter[revision]", "filter[isFileUploaded]")


def _attachment_json(row: Any, *, flag_as_text: bool = False) -> dict[str, Any]:
    """An attachment as Autodesk answers it; the GET listing and the PATCH answer `isFileUploaded` as the string
    "true" or "false", as the reference examples of items-itemId-attachments-GET and attachmentId-PATCH show it."""
    uploaded = bool(row["uploaded"])
    return {
        "id": row["id"],
        "name": row["name"],
        "taskId": row["task_id"],
        "urnTypeId": LOCAL_FILE,
        "uploadUrn": object_urn(row["object_key"]),
        "urn": None,  # the Files tool's version urn: Autodesk's async job makes it once the file is processed
        "isFileUploaded": str(uploaded).lower() if flag_as_text else uploaded,
        "createdBy": row["created_by"],
        "createdAt": row["created_at"],
    }


def submittal_of(app: SandboxApp, request: Request, caller: Caller) -> tuple[Any, Any]:
    """The ACC project and submittal item a `/projects/{project_id}/items/{item_id}/…` request names (404, 403 as
    Autodesk answers them)."""
    project = acc_project(app, caller, request.params["project_id"], tool="Submittals")
    item = item_get(app, uid=request.params["item_id"], kind="submittal")
    if item is None or item["project_id"] != project["id"]:
        raise AdskError(404, "Submittal item not found")
    return project, item


@api
def attachment_create(app: SandboxApp, request: Request, caller: Caller) -> Response:
    from .acc import caller_task  # acc imports this module

    project, item = submittal_of(app, request, caller)
    body = checked_body(request, ATTACHMENT_BODY)
    if "urn" in body:
        raise AdskError(
            400,
            "Bad input",
            "This sandbox does not emulate Files tool attachments (urn); for a local file (urnTypeId 2) send no urn.",
        )
    if "isFileUploaded" in body and body["isFileUploaded"] is not True:
        # The page: it "cannot be explicitly set to false". A draft given true is still confirmed only by the PATCH,
        # once its file is uploaded: the sandbox publishes no empty file.
        raise AdskError(400, "Bad input", f"isFileUploaded cannot be set to {body['isFileUploaded']!r}; omit it.")
    unsupported = sorted({c for c in str(body["name"]) if c in NAME_UNSUPPORTED})
    if unsupported:
        raise AdskError(
            400,
            "Bad input",
            f"name holds characters that are not supported: {', '.join(map(repr, unsupported))}.",
        )
    task, approver_id = caller_task(app, project, item, caller, str(body["taskId"]))
    if task["status"] == "completed":
        raise AdskError(422, "Task closed", "The review task is closed; it takes no more attachments.")
    name = str(body["name"]).strip()
    key = new_object(app, project_row=project["id"], user_id=caller.user_id, name=name, folder="")
    attachment_id = str(uuid.uuid4())
    with app.store.write() as conn:
        conn.execute(
            "INSERT INTO acc_attachments (id, item_id, task_id, approver_id, name, object_key, created_by, created_at)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (attachment_id, item["id"], task["id"], approver_id, name, key, caller.adsk_id, app.now_iso()),
        )
    return json_response(_attachment_json(_attachment(app, item, attachment_id)), 201)


def _attachment(app: SandboxApp, item: Any, attachment_id: str) -> Any:
    row = app.store.one("SELECT * FROM acc_attachments WHERE id = ? AND item_id = ?", (attachment_id, item["id"]))
    if row is None:
        raise AdskError(404, "Attachment not found")
    return row


@api
def attachment_patch(app: SandboxApp, request: Request, caller: Caller) -> Response:
    _project, item = submittal_of(app, request, caller)
    body = checked_body(request, ATTACHMENT_PATCH)
    row = _attachment(app, item, request.params["attachment_id"])
    if body["isFileUploaded"] is not True:
        raise AdskError(400, "Bad input", "isFileUploaded takes true, once the file's upload is complete.")
    stored = app.store.one("SELECT state FROM out_uploads WHERE id = ?", (row["object_key"],))
    if stored is None or stored["state"] != "stored":
        raise AdskError(400, "Bad input", "The file was not uploaded: complete its signeds3upload first.")
    with app.store.write() as conn:
        conn.execute("UPDATE acc_attachments SET uploaded = 1 WHERE id = ?", (row["id"],))
    return json_response(_attachment_json(_attachment(app, item, row["id"]), flag_as_text=True))


@api
def attachments_list(app: SandboxApp, request: Request, caller: Caller) -> Response:
    unknown_query(request, ATTACHMENT_LIST_QUERY)
    _project, item = submittal_of(app, request, caller)
    limit = page_limit(request.query.get("limit"), 20, maximum=50)
    offset = int_param(request.query.get("offset"), 0)
    rows = app.store.all("SELECT * FROM acc_attachments WHERE item_id = ? ORDER BY created_at, id", (item["id"],))
    results = [_attachment_json(r, flag_as_text=True) for r in rows]
    pagination = {"limit": limit, "offset": offset, "totalResults": len(results)}
    return json_response({"pagination": pagination, "results": results[offset : offset + limit]})


def task_drafts_publish(app: SandboxApp, *, item: Any, task_id: str) -> None:
    """On closing a review task: its draft attachments are published with the review (an uploaded one is attached
    to the response; one never confirmed stays an empty, broken attachment, which is how a second draft made by a
    retry would show)."""
    rows = app.store.all("SELECT * FROM acc_attachments WHERE task_id = ? AND draft = 1", (task_id,))
    with app.store.write() as conn:
        for row in rows:
            conn.execute("UPDATE acc_attachments SET draft = 0 WHERE id = ?", (row["id"],))
    for row in rows:
        if row["uploaded"]:
            upload = app.store.row("SELECT * FROM out_uploads WHERE id = ?", (row["object_key"],))
            uploads.files_attach(app, [upload], provider="autodesk", item_id=item["id"], approver_id=row["approver_id"])


SUB = "/autodesk/construction/submittals/v2/projects/{project_id}/items/{item_id}/attachments"
ROUTES = [
    ("GET", SUB, attachments_list),
    ("POST", SUB, attachment_create),
    ("PATCH", f"{SUB}/{{attachment_id}}", attachment_patch),
]
