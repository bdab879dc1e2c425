"""Deterministic demo data, and bulk data for benchmarks (`seed_bulk`: 10,000 + 10,000 items in about a second).

Every seeded user signs in with the password `sandbox` at all three providers.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from .files import seed_file
from .items import uid_for
from .pages import password_hash
from .store import Store, inserted_id, iso

PASSWORD = "sandbox"
BASE = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

# (id, login, name, company, what the user is for)
USERS = [
    (
        7_000_000_001,
        "reviewer@sandbox.test",
        "Riley Reviewer",
        "Acme Architects",
        "the firm's reviewer: two Procore companies, ACC + BIM 360 hubs, ConstructEx",
    ),
    (
        7_000_000_002,
        "gc@sandbox.test",
        "Gina Contractor",
        "Summit Builders",
        "general contractor: company/hub admin, sends submittals and RFIs",
    ),
    (
        7_000_000_003,
        "consultant@sandbox.test",
        "Casey Consultant",
        "Bridge Engineering",
        "a second approver on some submittals",
    ),
    (
        7_000_000_004,
        "outsider@sandbox.test",
        "Owen Outsider",
        "Acme Architects",
        "in the companies and hubs, but on no project team",
    ),
]
REVIEWER, GC, CONSULTANT, OUTSIDER = (u[0] for u in USERS)

PROCORE_RESPONSES = [
    ("Pending", "pending"),
    ("Approved", "approved"),
    ("Approved as Noted", "approved as noted"),
    ("Revise and Resubmit", "revise and resubmit"),
    ("Rejected", "rejected"),
    ("For Record Only", "for record only"),
    ("Void", "void"),
]
AUTODESK_RESPONSES = [("Approved", 1), ("Approved as noted", 1), ("Revise and resubmit", 2), ("Rejected", 3)]
RENAMED = "Reviewed - No Exceptions"  # the first project's "Approved", renamed by the company

# (org id, provider, kind, name, blocked, members (user, is_admin))
ORGS = [
    (
        5_100_000_001,
        "procore",
        "company",
        "Summit Builders",
        0,
        [(GC, 1), (REVIEWER, 0), (CONSULTANT, 0), (OUTSIDER, 0)],
    ),
    (5_100_000_002, "procore", "company", "Harbor Construction", 0, [(GC, 1), (REVIEWER, 0)]),
    (5_200_000_001, "autodesk", "acc", "Summit Builders (ACC)", 0, [(GC, 1), (REVIEWER, 0), (OUTSIDER, 0)]),
    (5_200_000_002, "autodesk", "bim360", "Harbor Construction (BIM 360)", 0, [(GC, 1), (REVIEWER, 0)]),
    (5_200_000_003, "autodesk", "acc", "Granite Partners (ACC)", 1, [(GC, 1), (REVIEWER, 0)]),
    (5_200_000_004, "autodesk", "acc", "Nordic Builders (ACC, EMEA)", 0, [(GC, 1)]),
]
# Autodesk hubs outside the US data centre (the others are US).
HUB_REGIONS = {5_200_000_004: "EMEA"}

# (project id, provider, org id, name, number, members)
PROJECTS = [
    (6_100_000_001, "procore", 5_100_000_001, "Riverside Medical Center", "P-1001", [GC, REVIEWER, CONSULTANT]),
    (6_100_000_002, "procore", 5_100_000_001, "Harbor Bridge Retrofit", "P-1002", [GC]),
    (6_100_000_003, "procore", 5_100_000_001, "Oak Street School", "P-1003", [GC, REVIEWER]),
    (6_100_000_004, "procore", 5_100_000_002, "Lakeside Library", "P-2001", [GC, REVIEWER]),
    (6_100_000_005, "procore", 5_100_000_002, "Harbor Point Offices", "P-2002", [GC, REVIEWER]),
    (6_200_000_001, "autodesk", 5_200_000_001, "Riverside Medical Center (ACC)", "A-1001", [GC, REVIEWER, CONSULTANT]),
    (6_200_000_002, "autodesk", 5_200_000_001, "Waterfront Tower (ACC)", "A-1002", [GC]),
    (6_200_000_003, "autodesk", 5_200_000_002, "Lakeside Library (BIM 360)", "B-2001", [GC, REVIEWER]),
    (6_200_000_004, "autodesk", 5_200_000_003, "Granite Depot (ACC)", "G-3001", [GC, REVIEWER]),
    (6_200_000_005, "autodesk", 5_200_000_004, "Harbour Quay (ACC, EMEA)", "E-4001", [GC]),
    (6_300_000_001, "constructex", None, "Riverside Medical Center (ConstructEx)", "CX-1001", [GC, REVIEWER]),
    (6_300_000_002, "constructex", None, "Civic Center Annex", "CX-1002", [GC]),
]


# Procore facts the demo shows besides the main project P-1001 (which keeps its plain flow):
# - on Oak Street School (P-1003) the reviewer approves submittal 5 in workflow step 2, after the GC's step 1: it is not
#   theirs until the GC responds, and a response for it is held until then;
# - on Harbor Point Offices (P-2002) a project admin has disabled the RFIs tool: a link to it says so in words.
STEP_TWO_PROJECT = 6_100_000_003
DISABLED_TOOLS = {6_100_000_005: ("RFIs",)}

# Autodesk project roles (the Account Admin API's project user `roles`): review tasks can be given to a role.
PROJECT_ROLES = {REVIEWER: "Architect", CONSULTANT: "Engineer", GC: "General Contractor"}


def _t(hours: float) -> str:
    return iso(BASE + timedelta(hours=hours))


def _responses(conn: sqlite3.Connection, project_id: int, provider: str, renamed: bool) -> dict[str, int]:
    """Insert the project's submittal responses; {considered or name: id}."""
    if provider == "autodesk":
        rows = [("Pending", "pending", 0), *[(n, n.lower(), c) for n, c in AUTODESK_RESPONSES]]
    elif provider == "constructex":
        rows = [("Pending", "pending", 0)] + [
            (n, n.lower(), 1)
            for n in ("Approved", "Approved as Noted", "Revise and Resubmit", "Rejected", "For Record Only")
        ]
    else:
        rows = [(n, c, 0) for n, c in PROCORE_RESPONSES]
    ids: dict[str, int] = {}
    for position, (name, considered, category) in enumerate(rows):
        if renamed and name == "Approved":
            name = RENAMED
        rid = project_id * 100 + position
        conn.execute(
            "INSERT INTO responses (id, project_id, uid, name, considered, category_id, position)"
            " VALUES (?,?,?,?,?,?,?)",
            (rid, project_id, uid_for("response", rid), name, considered, category, position),
        )
        ids.setdefault(considered, rid)
    return ids


def _item(conn: sqlite3.Connection, project_id: int, kind: str, n: int, **fields: Any) -> int:
    item_id = project_id * 1000 + (0 if kind == "submittal" else 500) + n
    values = {
        "id": item_id,
        "project_id": project_id,
        "kind": kind,
        "uid": uid_for(kind, item_id),
        "number": str(n),
        "title": "",
        "created_at": _t(n),
        "updated_at": _t(n + 1),
        "manager_id": GC,
        "due_date": "2026-02-15",
        **fields,
    }
    columns = ",".join(values)
    conn.execute(f"INSERT INTO items ({columns}) VALUES ({','.join('?' * len(values))})", list(values.values()))  # noqa: S608
    return item_id


def _approver(conn: sqlite3.Connection, item_id: int, user_id: int, group: int, response: int | None = None) -> None:
    approver_id = item_id * 100 + group * 10 + user_id % 10
    conn.execute(
        "INSERT INTO approvers (id, item_id, user_id, uid, response_id, comment, sent_date, returned_date,"
        " workflow_group_number) VALUES (?,?,?,?,?,?,?,?,?)",
        (
            approver_id,
            item_id,
            user_id,
            uid_for("task", approver_id),
            response,
            "Looks fine." if response else "",
            "2026-01-06",
            "2026-01-08" if response else None,
            group,
        ),
    )


def _post(conn: sqlite3.Connection, item_id: int, kind: str, body: str, user: int, official: bool = False) -> None:
    cursor = conn.execute(
        "INSERT INTO posts (item_id, kind, uid, body, official, created_by, created_at) VALUES (?,?,?,?,?,?,?)",
        (item_id, kind, "", body, int(official), user, _t(2)),
    )
    post_id = inserted_id(cursor)
    conn.execute("UPDATE posts SET uid = ? WHERE id = ?", (uid_for("post", post_id), post_id))


def _project_items(conn: sqlite3.Connection, project_id: int, provider: str, members: list[int]) -> None:
    responses = _responses(conn, project_id, provider, renamed=project_id == 6_100_000_001)
    reviewer = REVIEWER if REVIEWER in members else GC
    s1 = _item(
        conn,
        project_id,
        "submittal",
        1,
        title="Structural steel shop drawings",
        spec_number="05 12 00",
        spec_title="Structural Steel Framing",
        description="Level 2-4 framing",
        contractor="Summit Steel Erectors",
    )
    _approver(conn, s1, reviewer, 1)
    if CONSULTANT in members:
        _approver(conn, s1, CONSULTANT, 1, responses["approved"])
    s2 = _item(
        conn,
        project_id,
        "submittal",
        2,
        title="Curtain wall product data",
        spec_number="08 44 13",
        spec_title="Glazed Curtain Walls",
        current_revision=0,
        status="closed",
        closed_at=_t(30),
    )
    _approver(conn, s2, reviewer, 1, responses["revise and resubmit"])
    s3 = _item(
        conn,
        project_id,
        "submittal",
        3,
        number="2",
        revision=1,
        title="Curtain wall product data",
        spec_number="08 44 13",
        spec_title="Glazed Curtain Walls",
    )
    _approver(conn, s3, reviewer, 1)
    for name in ("Curtain wall product data rev 1.pdf", "Mullion thermal test report.pdf"):
        seed_file(conn, item_id=s3, filename=name, title=name.removesuffix(".pdf"), created_at=_t(0))
    if provider == "autodesk" and reviewer == REVIEWER:
        # ACC gives the revision's review to the reviewer's role (Architect), not to them by name.
        conn.execute("UPDATE approvers SET assigned_as = 'role' WHERE item_id = ?", (s3,))
    s4 = _item(
        conn,
        project_id,
        "submittal",
        4,
        title="Fire stopping samples",
        spec_number="07 84 00",
        spec_title="Firestopping",
    )
    _approver(conn, s4, GC, 1)
    if project_id == STEP_TWO_PROJECT:
        s5 = _item(
            conn,
            project_id,
            "submittal",
            5,
            title="Roofing membrane product data",
            spec_number="07 54 23",
            spec_title="Thermoplastic-Polyolefin Roofing",
        )
        _approver(conn, s5, GC, 1)  # the GC reviews first ...
        _approver(conn, s5, REVIEWER, 2)  # ... then the reviewer, in step 2
    r1 = _item(
        conn,
        project_id,
        "rfi",
        1,
        title="Beam depth at grid C/4",
        assignee_id=reviewer,
        spec_number="05 12 00",
        spec_title="Structural Steel Framing",
        cost_impact="tbd",
        schedule_impact="yes_unknown",
    )
    _post(conn, r1, "question", "Drawings S-201 and A-301 disagree on the beam depth at grid C/4. Which governs?", GC)
    r2 = _item(conn, project_id, "rfi", 2, title="Door hardware set 7", assignee_id=reviewer)
    _post(conn, r2, "question", "Hardware set 7 lists a discontinued closer. Is the substitute acceptable?", GC)
    seed_file(conn, item_id=r2, filename="Substitute closer cut sheet.pdf", title="Closer cut sheet", created_at=_t(0))
    _post(conn, r2, "answer", "Yes, the substitute closer is acceptable.", reviewer, official=True)
    conn.execute("UPDATE items SET answered = 1 WHERE id = ?", (r2,))
    if provider == "autodesk" and reviewer == REVIEWER:
        # ACC's review workflow: answered, waiting for the RFI manager (status answeredManager).
        conn.execute("UPDATE items SET status = 'answeredManager' WHERE id = ?", (r2,))
    r3 = _item(
        conn, project_id, "rfi", 3, title="Slab edge detail", assignee_id=reviewer, status="closed", closed_at=_t(40)
    )
    _post(conn, r3, "question", "Confirm the slab edge detail at the north stair.", GC)


def seed_demo(store: Store) -> list[dict[str, str]]:
    """Empty the sandbox and write the demo data; the sign-in users with their passwords and roles."""
    store.reset()
    with store.write() as conn:
        for user_id, login, name, company, _role in USERS:
            adsk = "SBX" + format(user_id, "X")
            conn.execute(
                "INSERT INTO users (id, login, name, password, adsk_id, company_name) VALUES (?,?,?,?,?,?)",
                (user_id, login, name, password_hash(PASSWORD), adsk, company),
            )
        for org_id, provider, kind, name, blocked, members in ORGS:
            conn.execute(
                "INSERT INTO orgs (id, provider, kind, name, uid, blocked, region) VALUES (?,?,?,?,?,?,?)",
                (org_id, provider, kind, name, uid_for("org", org_id), blocked, HUB_REGIONS.get(org_id, "US")),
            )
            conn.executemany("INSERT INTO org_members VALUES (?,?,?)", [(org_id, u, a) for u, a in members])
        for project_id, provider, project_org_id, name, number, team in PROJECTS:
            conn.execute(
                "INSERT INTO projects (id, provider, org_id, name, number, uid, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (project_id, provider, project_org_id, name, number, uid_for("project", project_id), _t(0), _t(0)),
            )
            conn.executemany("INSERT INTO project_members VALUES (?,?)", [(project_id, u) for u in team])
            if provider == "autodesk":
                roles = [(project_id, u, PROJECT_ROLES[u]) for u in team if u in PROJECT_ROLES]
                conn.executemany("INSERT INTO project_roles (project_id, user_id, name) VALUES (?,?,?)", roles)
            _project_items(conn, project_id, provider, team)
            conn.executemany(
                "INSERT INTO disabled_tools (project_id, tool) VALUES (?,?)",
                [(project_id, tool) for tool in DISABLED_TOOLS.get(project_id, ())],
            )
    return [{"login": login, "password": PASSWORD, "name": name, "role": role} for _i, login, name, _c, role in USERS]


def seed_bulk(store: Store, *, provider: str = "procore", count: int = 10_000) -> int:
    """Add a project "Load Test <n>" with `count` submittals and `count` RFIs, all on the reviewer; its id."""
    org = {"procore": 5_100_000_001, "autodesk": 5_200_000_001, "constructex": None}[provider]
    with store.write() as conn:
        project_id = (conn.execute("SELECT MAX(id) FROM projects").fetchone()[0] or 6_900_000_000) + 1
        conn.execute(
            "INSERT INTO projects (id, provider, org_id, name, number, uid, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (
                project_id,
                provider,
                org,
                f"Load Test {project_id}",
                f"LT-{project_id % 10000}",
                uid_for("project", project_id),
                _t(0),
                _t(0),
            ),
        )
        conn.executemany("INSERT INTO project_members VALUES (?,?)", [(project_id, REVIEWER), (project_id, GC)])
        _responses(conn, project_id, provider, renamed=False)
        base = project_id * 100_000
        item_rows, approver_rows, post_rows = [], [], []
        for n in range(1, count + 1):
            stamp = iso(BASE + timedelta(minutes=n))
            for kind, item_id in (("submittal", base + n), ("rfi", base + 50_000 + n)):
                item_rows.append(
                    (
                        item_id,
                        project_id,
                        kind,
                        uid_for(kind, item_id),
                        str(n),
                        f"Bulk {kind} {n}",
                        stamp,
                        stamp,
                        GC,
                        REVIEWER if kind == "rfi" else None,
                        "01 00 00",
                        "General",
                    )
                )
            approver_rows.append((base + n, REVIEWER, uid_for("task", base + n), "2026-01-06"))
            post_rows.append(
                (base + 50_000 + n, "question", uid_for("post", base + 50_000 + n), f"Question {n}", GC, stamp)
            )
        conn.executemany(
            "INSERT INTO items (id, project_id, kind, uid, number, title, created_at, updated_at, manager_id,"
            " assignee_id, spec_number, spec_title) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            item_rows,
        )
        conn.executemany("INSERT INTO approvers (item_id, user_id, uid, sent_date) VALUES (?,?,?,?)", approver_rows)
        conn.executemany(
            "INSERT INTO posts (item_id, kind, uid, body, created_by, created_at) VALUES (?,?,?,?,?,?)", post_rows
        )
    return project_id
