"""The other side of the project: what a general contractor (or a company admin) does, for demos and tests.

Each scenario takes the app and keyword arguments (strings are accepted, as they come from forms and the command
line), changes the sandbox's data, fires Procore webhooks where the item changed, and returns a short JSON summary.
"""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import files, webhooks
from .items import post_add, uid_for
from .procore_api import TOOLS
from .seed import GC
from .store import inserted_id
from .tokens import user_tokens_revoke

if TYPE_CHECKING:
    from .server import SandboxApp


class ScenarioError(ValueError):
    """A scenario's input names something that does not exist; the message says what."""


def _user_id(app: SandboxApp, login: str | None, default: int | None = None) -> int:
    if not login:
        if default is None:
            raise ScenarioError("login is required")
        return default
    row = app.store.one("SELECT id FROM users WHERE login = ?", (login.strip().lower(),))
    if row is None:
        raise ScenarioError(f"no sandbox user {login!r}")
    return row["id"]


def _project(app: SandboxApp, project_id: Any) -> Any:
    row = app.store.one("SELECT * FROM projects WHERE id = ?", (int(project_id),))
    if row is None:
        raise ScenarioError(f"no project {project_id}")
    return row


def _item(app: SandboxApp, item_id: Any) -> Any:
    row = app.store.one("SELECT * FROM items WHERE id = ?", (int(item_id),))
    if row is None:
        raise ScenarioError(f"no item {item_id}")
    return row


def _changed(app: SandboxApp, item: Any, event: str) -> None:
    resource = "Submittals" if item["kind"] == "submittal" else "RFIs"
    webhooks.emit(
        app, project_id=item["project_id"], resource=resource, resource_id=item["id"], event=event, user_id=GC
    )


def _next_number(app: SandboxApp, project_id: int, kind: str) -> str:
    row = app.store.row(
        "SELECT MAX(CAST(number AS INTEGER)) FROM items WHERE project_id = ? AND kind = ?", (project_id, kind)
    )
    return str((row[0] or 0) + 1)


def _insert_item(app: SandboxApp, conn: Any, **values: Any) -> Any:
    now = app.now_iso()
    values = {"created_at": now, "updated_at": now, "manager_id": GC, "uid": "", **values}
    cursor = conn.execute(
        f"INSERT INTO items ({','.join(values)}) VALUES ({','.join('?' * len(values))})",  # noqa: S608
        list(values.values()),
    )
    item_id = cursor.lastrowid
    conn.execute("UPDATE items SET uid = ? WHERE id = ?", (uid_for(values["kind"], item_id), item_id))
    return conn.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()


def send_submittal(
    app: SandboxApp,
    *,
    project_id: Any,
    title: str = "New submittal",
    to: str = "",
    after: str = "",
    description: str = "",
    spec_number: str = "01 33 00",
    spec_title: str = "Submittal Procedures",
    **files: Any,
) -> dict:
    """The GC sends a new submittal to a reviewer (default: the seeded reviewer) for approval. With `after` (a login),
    that user approves in workflow step 1 and the reviewer in step 2, so the reviewer's turn comes once they respond.
    `edit_item` sets the rest of its content."""
    project = _project(app, project_id)
    reviewer = _user_id(app, to or "reviewer@sandbox.test")
    first = _user_id(app, after) if after else None
    with app.store.write() as conn:
        item = _insert_item(
            app,
            conn,
            project_id=project["id"],
            kind="submittal",
            title=title,
            number=_next_number(app, project["id"], "submittal"),
            description=description,
            spec_number=spec_number,
            spec_title=spec_title,
            due_date=app.now_iso()[:10],
        )
        steps = (
            [(first, 1, -item["id"]), (reviewer, 2, item["id"])] if first is not None else [(reviewer, 1, item["id"])]
        )
        for user_id, step, task in steps:
            conn.execute(
                "INSERT INTO approvers (item_id, user_id, uid, sent_date, workflow_group_number) VALUES (?,?,?,?,?)",
                (item["id"], user_id, uid_for("task", task), app.now_iso()[:10], step),
            )
    attached = _attach_given(app, item["id"], files)
    _changed(app, item, "create")
    return {"item_id": item["id"], "uid": item["uid"], "number": item["number"], "files": attached}


def send_rfi(
    app: SandboxApp,
    *,
    project_id: Any,
    title: str = "New RFI",
    question: str = "",
    to: str = "",
    spec_number: str = "",
    spec_title: str = "",
    **files: Any,
) -> dict:
    """The GC sends a new RFI to an assignee (default: the seeded reviewer). `edit_item` sets the rest of its
    content, `answer_rfi` adds to its thread."""
    project = _project(app, project_id)
    assignee = _user_id(app, to or "reviewer@sandbox.test")
    with app.store.write() as conn:
        item = _insert_item(
            app,
            conn,
            project_id=project["id"],
            kind="rfi",
            title=title,
            assignee_id=assignee,
            number=_next_number(app, project["id"], "rfi"),
            spec_number=spec_number,
            spec_title=spec_title,
        )
        conn.execute(
            "INSERT INTO posts (item_id, kind, uid, body, created_by, created_at) VALUES (?,?,?,?,?,?)",
            (
                item["id"],
                "question",
                uid_for("post", item["id"]),
                question or f"Please answer: {title}",
                GC,
                app.now_iso(),
            ),
        )
    attached = _attach_given(app, item["id"], files)
    _changed(app, item, "create")
    return {"item_id": item["id"], "uid": item["uid"], "number": item["number"], "files": attached}


def _attach_given(app: SandboxApp, item_id: int, given: dict[str, Any]) -> list[str]:
    """The files sent with a new item: `attach_name` + `attach_b64` (what `sandbox_control ... attach=PATH` sends)."""
    if not given.get("attach_name"):
        return []
    return [attach_file(app, item_id=item_id, **given, touch=False)["uid"]]


def attach_file(
    app: SandboxApp,
    *,
    item_id: Any,
    attach_name: str = "",
    attach_b64: str = "",
    size: Any = 0,
    on: str = "item",
    answer_id: Any = None,
    content_type: str = "",
    fault: str = "",
    touch: bool = True,
    **_: Any,
) -> dict:
    """The GC attaches a file to an item (`on`: item or question; an answer with `answer_id`): its bytes
    (`attach_b64`, base64) or `size` generated bytes. `fault` truncate / corrupt makes its download go wrong."""
    item = _item(app, item_id)
    try:
        data = base64.b64decode(attach_b64, validate=True) if attach_b64 else None
    except ValueError as error:
        raise ScenarioError("attach_b64 is not base64") from error
    if data is None and not str(size).isdigit():
        raise ScenarioError("give the file's bytes (attach_b64) or a size in bytes")
    if on not in ("item", "question", "answer") or (on == "answer") != bool(answer_id):
        raise ScenarioError("on is item, question, or answer with answer_id")
    name = attach_name or "attachment.pdf"
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if data is None and not int(size or 0):
        data = files.small_pdf(f"{item['title']} ({item['number']})")
    row = files.file_attach(
        app,
        item_id=item["id"],
        filename=name,
        data=data,
        size=int(size or 0),
        seed=item["id"],
        content_type=content_type or guessed,
        hangs=on,
        post_id=int(answer_id) if answer_id else None,
        fault=fault,
        touch=touch,
    )
    if touch:
        _changed(app, item, "update")
    return {"file_id": row["id"], "uid": row["uid"], "filename": row["filename"], "size": row["size"]}


def create_revision(app: SandboxApp, *, item_id: Any, **_: Any) -> dict:
    """Close a submittal as superseded and open its next revision with the same approvers, pending again."""
    old = _item(app, item_id)
    if old["kind"] != "submittal":
        raise ScenarioError("only submittals have revisions")
    now = app.now_iso()
    with app.store.write() as conn:
        conn.execute(
            "UPDATE items SET current_revision = 0, status = 'closed', closed_at = ?, updated_at = ? WHERE id = ?",
            (now, now, old["id"]),
        )
        copy = {
            k: old[k]
            for k in (
                "project_id",
                "kind",
                "number",
                "title",
                "description",
                "spec_number",
                "spec_title",
                "due_date",
                "manager_id",
            )
        }
        item = _insert_item(app, conn, **copy, revision=old["revision"] + 1)
        for approver in conn.execute("SELECT * FROM approvers WHERE item_id = ?", (old["id"],)).fetchall():
            conn.execute(
                "INSERT INTO approvers (item_id, user_id, uid, sent_date, workflow_group_number) VALUES (?,?,?,?,?)",
                (
                    item["id"],
                    approver["user_id"],
                    uid_for("task", item["id"] * 100 + approver["id"] % 100),
                    now[:10],
                    approver["workflow_group_number"],
                ),
            )
    _changed(app, old, "update")
    _changed(app, item, "create")
    return {"item_id": item["id"], "uid": item["uid"], "revision": item["revision"], "previous_item_id": old["id"]}


def add_approver(app: SandboxApp, *, item_id: Any, login: str, step: Any = 1, **_: Any) -> dict:
    """The GC inserts an approver step into a submittal's workflow at `step`: that step and the later ones move one
    step on, so their approvers wait for the new one's response."""
    item = _item(app, item_id)
    if item["kind"] != "submittal":
        raise ScenarioError("only submittals have approvers")
    user_id, number = _user_id(app, login), int(step)
    with app.store.write() as conn:
        conn.execute(
            "UPDATE approvers SET workflow_group_number = workflow_group_number + 1"
            " WHERE item_id = ? AND workflow_group_number >= ?",
            (item["id"], number),
        )
        cursor = conn.execute(
            "INSERT INTO approvers (item_id, user_id, uid, sent_date, workflow_group_number) VALUES (?,?,?,?,?)",
            (item["id"], user_id, "", app.now_iso()[:10], number),
        )
        approver_id = inserted_id(cursor)
        conn.execute("UPDATE approvers SET uid = ? WHERE id = ?", (uid_for("added-task", approver_id), approver_id))
        conn.execute("UPDATE items SET updated_at = ? WHERE id = ?", (app.now_iso(), item["id"]))
    _changed(app, item, "update")
    return {"item_id": item["id"], "approver_id": approver_id, "step": number}


# What `edit_item` may set: the item's column and how a form's text becomes its value.
CONTENT_FIELDS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "title": ("title", str),
    "description": ("description", str),
    "spec_number": ("spec_number", str),
    "spec_title": ("spec_title", str),
    "submittal_type": ("submittal_type", str),
    "contractor": ("contractor", str),
    "due_date": ("due_date", lambda text: text or None),
    "cost_impact": ("cost_impact", str),
    "cost_value": ("cost_value", lambda text: float(text) if text else None),
    "schedule_impact": ("schedule_impact", str),
    "schedule_days": ("schedule_days", lambda text: int(text) if text else None),
}


def edit_item(app: SandboxApp, *, item_id: Any, received_from: str = "", question: str = "", **fields: Any) -> dict:
    """The GC edits an item's content: any of CONTENT_FIELDS, `received_from` (a login: who sent it) and, for an
    RFI, its `question`. Fields not given stay as they are."""
    item = _item(app, item_id)
    unknown = sorted(set(fields) - set(CONTENT_FIELDS))
    if unknown:
        raise ScenarioError(f"edit_item cannot set {', '.join(unknown)}; it sets {', '.join(CONTENT_FIELDS)}")
    try:
        values = {CONTENT_FIELDS[k][0]: CONTENT_FIELDS[k][1](str(v).strip()) for k, v in fields.items()}
    except ValueError as error:
        raise ScenarioError(f"edit_item: {error}") from error
    if received_from:
        values["received_from_id"] = _user_id(app, received_from)
    with app.store.write() as conn:
        for column, value in values.items():
            conn.execute(f"UPDATE items SET {column} = ? WHERE id = ?", (value, item["id"]))  # noqa: S608
        if question and item["kind"] == "rfi":
            conn.execute("UPDATE posts SET body = ? WHERE item_id = ? AND kind = 'question'", (question, item["id"]))
        conn.execute("UPDATE items SET updated_at = ? WHERE id = ?", (app.now_iso(), item["id"]))
    _changed(app, item, "update")
    return {"item_id": item["id"], "changed": sorted([*values, *(["question"] if question else [])])}


def answer_rfi(app: SandboxApp, *, item_id: Any, body: str, login: str = "", official: Any = False, **_: Any) -> dict:
    """Someone on the project (default: the GC) adds an answer to an RFI's thread, official or not."""
    item = _item(app, item_id)
    if item["kind"] != "rfi":
        raise ScenarioError("only RFIs have answers")
    is_official = str(official).strip().lower() in ("1", "true", "yes", "on")
    post = post_add(
        app, item_id=item["id"], kind="answer", body=body, official=is_official, user_id=_user_id(app, login, GC)
    )
    _changed(app, item, "update")
    return {"item_id": item["id"], "answer_id": post["id"], "official": is_official}


def _set_status(app: SandboxApp, item_id: Any, status: str) -> dict:
    item = _item(app, item_id)
    now = app.now_iso()
    with app.store.write() as conn:
        conn.execute(
            "UPDATE items SET status = ?, closed_at = ?, updated_at = ? WHERE id = ?",
            (status, now if status == "closed" else None, now, item["id"]),
        )
    _changed(app, item, "update")
    return {"item_id": item["id"], "status": status}


def close_item(app: SandboxApp, *, item_id: Any, **_: Any) -> dict:
    return _set_status(app, item_id, "closed")


def reopen_item(app: SandboxApp, *, item_id: Any, **_: Any) -> dict:
    return _set_status(app, item_id, "open")


def delete_item(app: SandboxApp, *, item_id: Any, **_: Any) -> dict:
    """Delete (recycle) an item upstream: it leaves every list and read; ConstructEx lists it as a tombstone."""
    item = _item(app, item_id)
    with app.store.write() as conn:
        conn.execute("UPDATE items SET status = 'deleted', updated_at = ? WHERE id = ?", (app.now_iso(), item["id"]))
    _changed(app, item, "delete")
    return {"item_id": item["id"], "status": "deleted"}


def rename_response(app: SandboxApp, *, response_id: Any, name: str, **_: Any) -> dict:
    """A company renames a submittal response; its `considered` meaning stays."""
    with app.store.write() as conn:
        if conn.execute("UPDATE responses SET name = ? WHERE id = ?", (name, int(response_id))).rowcount != 1:
            raise ScenarioError(f"no response {response_id}")
    return {"response_id": int(response_id), "name": name}


def block_app(app: SandboxApp, *, org_id: Any, blocked: Any = True, **_: Any) -> dict:
    """A Procore company stops allowing outside applications / an Autodesk hub removes the app's integration."""
    flag = str(blocked).lower() not in ("0", "false", "no", "off", "")
    with app.store.write() as conn:
        if conn.execute("UPDATE orgs SET blocked = ? WHERE id = ?", (int(flag), int(org_id))).rowcount != 1:
            raise ScenarioError(f"no company or hub {org_id}")
    return {"org_id": int(org_id), "blocked": flag}


def disable_tool(app: SandboxApp, *, project_id: Any, tool: str = "Submittals", disabled: Any = True, **_: Any) -> dict:
    """A Procore project admin disables (or enables again) the project's Submittals or RFIs tool, or an Autodesk
    project admin takes the members' permission in it away (or the tool is not activated): every call to it answers
    403."""
    project = _project(app, project_id)
    if tool not in TOOLS:
        raise ScenarioError(f"tool is one of {', '.join(TOOLS)}")
    flag = str(disabled).lower() not in ("0", "false", "no", "off", "")
    with app.store.write() as conn:
        conn.execute("DELETE FROM disabled_tools WHERE project_id = ? AND tool = ?", (project["id"], tool))
        if flag:
            conn.execute("INSERT INTO disabled_tools (project_id, tool) VALUES (?, ?)", (project["id"], tool))
    return {"project_id": project["id"], "tool": tool, "disabled": flag}


def rfi_folder(app: SandboxApp, *, item_id: Any, ready: Any = False, **_: Any) -> dict:
    """Autodesk has not made an ACC RFI's attachments folder yet (it does so asynchronously after the RFI), or has
    made it now (`ready`): until then the RFI shows no `virtualFolderUrn` and its folder takes no storage."""
    row = _item(app, item_id)
    if row["kind"] != "rfi":
        raise ScenarioError(f"item {item_id} is not an RFI")
    flag = str(ready).lower() not in ("0", "false", "no", "off", "")
    with app.store.write() as conn:
        conn.execute("UPDATE items SET folder_ready = ? WHERE id = ?", (int(flag), row["id"]))
    return {"item_id": row["id"], "folder_ready": flag}


def hook_version(app: SandboxApp, *, hook_id: Any, api_version: str = "v4.0", **_: Any) -> dict:
    """A Procore admin switches a hook's payload version (v2.0, the legacy one, or v4.0) in the Webhooks tool."""
    if api_version not in webhooks.PAYLOAD_VERSIONS:
        raise ScenarioError(f"api_version is one of {', '.join(webhooks.PAYLOAD_VERSIONS)}")
    with app.store.write() as conn:
        if conn.execute("UPDATE hooks SET api_version = ? WHERE id = ?", (api_version, int(hook_id))).rowcount != 1:
            raise ScenarioError(f"no hook {hook_id}")
    return {"hook_id": int(hook_id), "api_version": api_version}


def revoke_tokens(app: SandboxApp, *, login: str, provider: str = "", **_: Any) -> dict:
    """A user (or an admin) disconnects the app: every token the user holds stops working."""
    count = user_tokens_revoke(app, user_id=_user_id(app, login), provider=provider or None)
    return {"login": login, "revoked": count}


SCENARIOS: dict[str, Callable[..., dict]] = {
    "send_submittal": send_submittal,
    "send_rfi": send_rfi,
    "attach_file": attach_file,
    "create_revision": create_revision,
    "add_approver": add_approver,
    "edit_item": edit_item,
    "answer_rfi": answer_rfi,
    "close_item": close_item,
    "reopen_item": reopen_item,
    "delete_item": delete_item,
    "rename_response": rename_response,
    "block_app": block_app,
    "disable_tool": disable_tool,
    "rfi_folder": rfi_folder,
    "hook_version": hook_version,
    "revoke_tokens": revoke_tokens,
}
