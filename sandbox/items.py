"""Reads and writes of projects, submittals and RFIs shared by the three emulated providers.

Who holds the ball: on an open submittal, the approvers of its current workflow step (the lowest
`workflow_group_number` with an approver who has not responded) who have not responded; approvers of later steps wait
for theirs; the submittal manager once every approver has responded. On an open RFI, its assignee until an official
answer, then the RFI manager. Closed items have nobody.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .store import inserted_id, placeholders

if TYPE_CHECKING:
    from .server import SandboxApp

Row = sqlite3.Row


@dataclass
class ItemFilter:
    updated_from: str | None = None  # ISO UTC text, inclusive
    updated_to: str | None = None  # inclusive
    statuses: list[str] = field(default_factory=list)
    approver_id: int | None = None
    ball_in_court_id: int | None = None
    assignee_id: int | None = None
    current_revision: bool | None = None
    ids: list[int] = field(default_factory=list)
    rfi_states: list[str] = field(default_factory=list)  # Autodesk's RFI statuses: draft, open, answered, closed
    include_deleted: bool = False  # ConstructEx lists deleted items as tombstones; Procore and Autodesk drop them


_RFI_STATES = {
    "draft": "status = 'draft'",
    "open": "(status = 'open' AND answered = 0)",
    "answered": "(status = 'open' AND answered = 1)",
    "closed": "status = 'closed'",
    # ACC's review workflow: an RFI in one of these is stored with the status itself.
    **{state: f"status = '{state}'" for state in ("openRev1", "openRev2", "answeredRev1", "answeredManager")},
}
_PENDING = "SELECT 1 FROM approvers a WHERE a.item_id = items.id AND a.response_id IS NULL"
# The current workflow step of a submittal: the lowest step with an approver still to respond.
_CURRENT_STEP = (
    "(SELECT MIN(b.workflow_group_number) FROM approvers b WHERE b.item_id = items.id AND b.response_id IS NULL)"
)


def _where(project_id: int, kind: str, f: ItemFilter) -> tuple[str, list[Any]]:
    sql, params = ["project_id = ?", "kind = ?"], [project_id, kind]
    if not f.include_deleted:
        sql.append("status != 'deleted'")
    if f.updated_from:
        sql.append("updated_at >= ?")
        params.append(f.updated_from)
    if f.updated_to:
        sql.append("updated_at <= ?")
        params.append(f.updated_to)
    if f.statuses:
        sql.append(f"status IN ({placeholders(f.statuses)})")
        params += f.statuses
    if f.rfi_states:
        states = [_RFI_STATES[s] for s in f.rfi_states if s in _RFI_STATES] or ["0"]
        sql.append("(" + " OR ".join(states) + ")")
    if f.ids:
        sql.append(f"id IN ({placeholders(f.ids)})")
        params += f.ids
    if f.current_revision is not None:
        sql.append("current_revision = ?")
        params.append(int(f.current_revision))
    if f.approver_id is not None:
        sql.append("EXISTS (SELECT 1 FROM approvers a WHERE a.item_id = items.id AND a.user_id = ?)")
        params.append(f.approver_id)
    if f.assignee_id is not None:
        sql.append("assignee_id = ?")
        params.append(f.assignee_id)
    if f.ball_in_court_id is not None:
        if kind == "submittal":
            in_step = f"a.user_id = ? AND a.workflow_group_number = {_CURRENT_STEP}"
            sql.append(
                f"status = 'open' AND (EXISTS ({_PENDING} AND {in_step})"
                f" OR (manager_id = ? AND NOT EXISTS ({_PENDING})))"
            )
        else:
            sql.append("status = 'open' AND ((answered = 0 AND assignee_id = ?) OR (answered = 1 AND manager_id = ?))")
        params += [f.ball_in_court_id, f.ball_in_court_id]
    return " AND ".join(sql), params


def items_page(
    app: SandboxApp, *, project_id: int, kind: str, filters: ItemFilter, offset: int, limit: int
) -> tuple[list[Row], int]:
    """One page of items ordered by (updated_at, id), and how many match in all."""
    where, params = _where(project_id, kind, filters)
    total = app.store.row(f"SELECT COUNT(*) FROM items WHERE {where}", params)[0]  # noqa: S608 - built from constants
    rows = app.store.all(
        f"SELECT * FROM items WHERE {where} ORDER BY updated_at, id LIMIT ? OFFSET ?",  # noqa: S608
        [*params, limit, offset],
    )
    return rows, total


def item_get(app: SandboxApp, *, item_id: int | None = None, uid: str | None = None, kind: str) -> Row | None:
    """An item that is not deleted (a deleted one is gone for every API)."""
    if uid is not None:
        return app.store.one("SELECT * FROM items WHERE uid = ? AND kind = ? AND status != 'deleted'", (uid, kind))
    return app.store.one("SELECT * FROM items WHERE id = ? AND kind = ? AND status != 'deleted'", (item_id, kind))


def approvers_by_item(app: SandboxApp, item_ids: list[int]) -> dict[int, list[Row]]:
    rows = app.store.all(
        "SELECT a.*, u.name AS user_name, u.login AS user_login, u.adsk_id AS user_adsk_id FROM approvers a"  # noqa: S608
        f" JOIN users u ON u.id = a.user_id WHERE a.item_id IN ({placeholders(item_ids)})"
        " ORDER BY a.workflow_group_number, a.id",
        item_ids,
    )
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row["item_id"]].append(row)
    return grouped


def posts_by_item(app: SandboxApp, item_ids: list[int]) -> dict[int, list[Row]]:
    rows = app.store.all(
        "SELECT p.*, u.name AS user_name, u.login AS user_login, u.adsk_id AS user_adsk_id FROM posts p"  # noqa: S608
        f" JOIN users u ON u.id = p.created_by WHERE p.item_id IN ({placeholders(item_ids)}) ORDER BY p.id",
        item_ids,
    )
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row["item_id"]].append(row)
    return grouped


def people_of(items: list[Row]) -> set[int]:
    """The users the items name: managers, assignees and senders (`received_from_id`)."""
    return {r[k] for r in items for k in ("manager_id", "assignee_id", "received_from_id") if r[k] is not None}


def users_by_id(app: SandboxApp, user_ids: set[int]) -> dict[int, Row]:
    ids = sorted(i for i in user_ids if i is not None)
    rows = app.store.all(f"SELECT * FROM users WHERE id IN ({placeholders(ids)})", ids)  # noqa: S608
    return {row["id"]: row for row in rows}


def responses_of(app: SandboxApp, project_id: int) -> list[Row]:
    return app.store.all("SELECT * FROM responses WHERE project_id = ? ORDER BY position, id", (project_id,))


def current_step(approvers: list[Row]) -> int | None:
    """The submittal's current workflow step: the lowest step with an approver still to respond (None: all have)."""
    return min((a["workflow_group_number"] for a in approvers if a["response_id"] is None), default=None)


def ball_in_court_ids(item: Row, approvers: list[Row]) -> list[int]:
    """Who must act now: a submittal's approvers of the current step who have not responded (later steps wait), or
    its manager once every approver has; an RFI's assignee until an official answer, then its manager."""
    if item["status"] != "open":
        return []
    if item["kind"] == "rfi":
        return [item["manager_id"] if item["answered"] else item["assignee_id"]]
    step = current_step(approvers)
    pending = [a["user_id"] for a in approvers if a["response_id"] is None and a["workflow_group_number"] == step]
    return pending or [item["manager_id"]]


def project_get(app: SandboxApp, *, provider: str, project_id: int | None = None, uid: str | None = None) -> Row | None:
    if uid is not None:
        return app.store.one("SELECT * FROM projects WHERE uid = ? AND provider = ?", (uid, provider))
    return app.store.one("SELECT * FROM projects WHERE id = ? AND provider = ?", (project_id, provider))


def can_see_project(app: SandboxApp, *, project: Row, user_id: int) -> bool:
    """Members see a project; so do administrators of its company or hub."""
    member = app.store.one(
        "SELECT 1 FROM project_members WHERE project_id = ? AND user_id = ?"
        " UNION SELECT 1 FROM org_members WHERE org_id = ? AND user_id = ? AND is_admin = 1",
        (project["id"], user_id, project["org_id"], user_id),
    )
    return member is not None


def visible_projects(app: SandboxApp, *, provider: str, user_id: int, org_id: int | None) -> list[Row]:
    return app.store.all(
        "SELECT p.* FROM projects p WHERE p.provider = ? AND (? IS NULL OR p.org_id = ?) AND ("
        " EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id AND m.user_id = ?)"
        " OR EXISTS (SELECT 1 FROM org_members o WHERE o.org_id = p.org_id AND o.user_id = ? AND o.is_admin = 1))"
        " ORDER BY p.id",
        (provider, org_id, org_id, user_id, user_id),
    )


def orgs_of_user(app: SandboxApp, *, provider: str, user_id: int) -> list[Row]:
    return app.store.all(
        "SELECT o.*, m.is_admin FROM orgs o JOIN org_members m ON m.org_id = o.id"
        " WHERE o.provider = ? AND m.user_id = ? ORDER BY o.id",
        (provider, user_id),
    )


def approver_respond(app: SandboxApp, *, approver_id: int, response_id: int, comment: str) -> Row:
    """Record an approver's response (returned today) and touch the submittal; the updated approver row."""
    now = app.now_iso()
    with app.store.write() as conn:
        conn.execute(
            "UPDATE approvers SET response_id = ?, comment = ?, returned_date = ? WHERE id = ?",
            (response_id, comment, now[:10], approver_id),
        )
        conn.execute(
            "UPDATE items SET updated_at = ? WHERE id = (SELECT item_id FROM approvers WHERE id = ?)",
            (now, approver_id),
        )
        return conn.execute("SELECT * FROM approvers WHERE id = ?", (approver_id,)).fetchone()


def post_add(
    app: SandboxApp, *, item_id: int, kind: str, body: str, official: bool, user_id: int, status: str = ""
) -> Row:
    """Add a question or an answer to an RFI; an official answer moves the ball to the RFI manager. `status` is an
    ACC RFI response's own (`answered`, `rejected`), empty for the other providers' posts."""
    now = app.now_iso()
    with app.store.write() as conn:
        cursor = conn.execute(
            "INSERT INTO posts (item_id, kind, uid, body, official, created_by, created_at, status)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (item_id, kind, "", body, int(official), user_id, now, status),
        )
        post_id = inserted_id(cursor)
        conn.execute("UPDATE posts SET uid = ? WHERE id = ?", (uid_for("post", post_id), post_id))
        answered = ", answered = 1" if kind == "answer" and official else ""
        conn.execute(f"UPDATE items SET updated_at = ?{answered} WHERE id = ?", (now, item_id))  # noqa: S608
        return conn.execute("SELECT * FROM posts WHERE id = ?", (post_id,)).fetchone()


def uid_for(kind: str, number: int) -> str:
    """A stable UUID-looking id for Autodesk-style ids, derived from the row id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox:{kind}:{number}"))
