"""The sandbox's own state: one SQLite file, reached with the stdlib `sqlite3` module (never the portal's database).

Every thread gets its own connection; writes are serialised by one lock so concurrent requests never meet SQLITE_BUSY.
Times are stored as ISO-8601 UTC strings ("2026-01-05T09:00:00Z") so that they sort and compare as text.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import uploads

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY, login TEXT UNIQUE NOT NULL, name TEXT NOT NULL, password TEXT NOT NULL,
    adsk_id TEXT NOT NULL, company_name TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS orgs (
    id INTEGER PRIMARY KEY, provider TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, uid TEXT NOT NULL,
    blocked INTEGER NOT NULL DEFAULT 0, region TEXT NOT NULL DEFAULT 'US');
CREATE TABLE IF NOT EXISTS org_members (
    org_id INTEGER NOT NULL, user_id INTEGER NOT NULL, is_admin INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, user_id));
CREATE TABLE IF NOT EXISTS projects (
    id INTEGER PRIMARY KEY, provider TEXT NOT NULL, org_id INTEGER, name TEXT NOT NULL, number TEXT NOT NULL,
    uid TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS projects_uid ON projects (uid);
CREATE TABLE IF NOT EXISTS project_members (
    project_id INTEGER NOT NULL, user_id INTEGER NOT NULL, PRIMARY KEY (project_id, user_id));
CREATE TABLE IF NOT EXISTS disabled_tools (
    project_id INTEGER NOT NULL, tool TEXT NOT NULL, PRIMARY KEY (project_id, tool));
CREATE TABLE IF NOT EXISTS responses (
    id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, uid TEXT NOT NULL, name TEXT NOT NULL,
    considered TEXT NOT NULL, category_id INTEGER NOT NULL DEFAULT 0, position INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY AUTOINCREMENT, project_id INTEGER NOT NULL, kind TEXT NOT NULL, uid TEXT NOT NULL,
    number TEXT NOT NULL, revision INTEGER NOT NULL DEFAULT 0, current_revision INTEGER NOT NULL DEFAULT 1,
    title TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'open',
    spec_number TEXT NOT NULL DEFAULT '', spec_title TEXT NOT NULL DEFAULT '',
    due_date TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, closed_at TEXT,
    manager_id INTEGER NOT NULL, assignee_id INTEGER, answered INTEGER NOT NULL DEFAULT 0,
    submittal_type TEXT NOT NULL DEFAULT 'Shop Drawing', received_from_id INTEGER,
    contractor TEXT NOT NULL DEFAULT '', cost_impact TEXT NOT NULL DEFAULT '', cost_value REAL,
    schedule_impact TEXT NOT NULL DEFAULT '', schedule_days INTEGER, folder_ready INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS items_listing ON items (project_id, kind, updated_at, id);
CREATE INDEX IF NOT EXISTS items_uid ON items (uid);
CREATE TABLE IF NOT EXISTS approvers (
    id INTEGER PRIMARY KEY AUTOINCREMENT, item_id INTEGER NOT NULL, user_id INTEGER NOT NULL, uid TEXT NOT NULL,
    response_id INTEGER, comment TEXT NOT NULL DEFAULT '', sent_date TEXT, returned_date TEXT,
    workflow_group_number INTEGER NOT NULL DEFAULT 1, response_required INTEGER NOT NULL DEFAULT 1,
    assigned_as TEXT NOT NULL DEFAULT 'user');
CREATE INDEX IF NOT EXISTS approvers_item ON approvers (item_id);
CREATE INDEX IF NOT EXISTS approvers_user ON approvers (user_id, item_id);
CREATE TABLE IF NOT EXISTS project_roles (
    project_id INTEGER NOT NULL, user_id INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY (project_id, user_id, name));
CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, item_id INTEGER NOT NULL, kind TEXT NOT NULL, uid TEXT NOT NULL,
    body TEXT NOT NULL, official INTEGER NOT NULL DEFAULT 0, created_by INTEGER NOT NULL, created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS posts_item ON posts (item_id);
CREATE TABLE IF NOT EXISTS emails (
    id INTEGER PRIMARY KEY AUTOINCREMENT, item_id INTEGER NOT NULL, about TEXT NOT NULL, sender_id INTEGER NOT NULL,
    sent_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS codes (
    code TEXT PRIMARY KEY, provider TEXT NOT NULL, client_id TEXT NOT NULL, user_id INTEGER NOT NULL,
    redirect_uri TEXT NOT NULL, challenge TEXT, scope TEXT NOT NULL DEFAULT '', expires_at REAL NOT NULL,
    used INTEGER NOT NULL DEFAULT 0, family TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, kind TEXT NOT NULL, provider TEXT NOT NULL, client_id TEXT NOT NULL,
    user_id INTEGER NOT NULL, scope TEXT NOT NULL DEFAULT '', family TEXT NOT NULL, created_at REAL NOT NULL,
    expires_at REAL, used INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS tokens_user ON tokens (user_id);
CREATE TABLE IF NOT EXISTS hooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, company_id INTEGER, project_id INTEGER, owner_user_id INTEGER NOT NULL,
    api_version TEXT NOT NULL, namespace TEXT NOT NULL, destination_url TEXT NOT NULL,
    destination_headers TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS triggers (
    id INTEGER PRIMARY KEY AUTOINCREMENT, hook_id INTEGER NOT NULL, resource_name TEXT NOT NULL,
    event_type TEXT NOT NULL, user_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY AUTOINCREMENT, item_id INTEGER NOT NULL, uid TEXT NOT NULL, hangs TEXT NOT NULL,
    post_id INTEGER, approver_id INTEGER, filename TEXT NOT NULL, content_type TEXT NOT NULL, size INTEGER NOT NULL,
    sha256 TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 1, data BLOB, seed INTEGER, fault TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL, bytes_made INTEGER NOT NULL DEFAULT 2);
CREATE INDEX IF NOT EXISTS files_item ON files (item_id);
CREATE INDEX IF NOT EXISTS files_uid ON files (uid);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, hook_id INTEGER NOT NULL, event TEXT NOT NULL, outcome TEXT NOT NULL,
    response_status INTEGER, response_body TEXT, response_error TEXT, started_at TEXT, completed_at TEXT);
"""

TABLES = [
    "users",
    "orgs",
    "org_members",
    "projects",
    "project_members",
    "disabled_tools",
    "responses",
    "items",
    "approvers",
    "project_roles",
    "posts",
    "emails",
    "codes",
    "tokens",
    "hooks",
    "triggers",
    "deliveries",
    "files",
    *uploads.TABLES,
]

# (table, column, definition) of the columns added after the first release of the schema above (RFI and submittal
# content), in the order they came.
ADDED_COLUMNS = (
    ("items", "submittal_type", "TEXT NOT NULL DEFAULT 'Shop Drawing'"),
    ("items", "received_from_id", "INTEGER"),
    ("items", "contractor", "TEXT NOT NULL DEFAULT ''"),
    ("items", "cost_impact", "TEXT NOT NULL DEFAULT ''"),
    ("items", "cost_value", "REAL"),
    ("items", "schedule_impact", "TEXT NOT NULL DEFAULT ''"),
    ("items", "schedule_days", "INTEGER"),
    ("items", "folder_ready", "INTEGER NOT NULL DEFAULT 1"),  # an ACC RFI's attachments folder exists
    ("files", "bytes_made", "INTEGER NOT NULL DEFAULT 1"),  # how a generated file's bytes are made (files.py)
    ("out_uploads", "folder", "TEXT NOT NULL DEFAULT ''"),  # the Data Management folder an Autodesk object is in
)

_COUNTERS = ("items", "approvers", "posts", "emails", "hooks", "triggers", "deliveries", "files", "response_files")


def iso(moment: datetime) -> str:
    """The one text form of a time in the sandbox: UTC, whole seconds, a trailing Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """Read an ISO-8601 time or date as the providers' clients send it (Z or offset; date alone means midnight UTC)."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class MissingRow(LookupError):
    """A query the sandbox's own logic relies on found no row: the data is not what the code takes for granted."""


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The id of the row the INSERT on `cursor` just wrote (sqlite3 types `lastrowid` as optional)."""
    if cursor.lastrowid is None:
        raise MissingRow("The INSERT wrote no row, so there is no id to read.")
    return cursor.lastrowid


class Store:
    """Connections to one sandbox SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.write_lock = threading.RLock()
        self._local = threading.local()
        with self.write_lock:
            self.conn().executescript(SCHEMA + uploads.SCHEMA)  # executescript commits on its own
            self._add_columns()

    def _add_columns(self) -> None:
        """Columns added since a sandbox file was made: CREATE TABLE IF NOT EXISTS leaves an older table as it was."""
        for table, column, ddl in ADDED_COLUMNS:
            known = {row["name"] for row in self.conn().execute(f"PRAGMA table_info({table})")}
            if column not in known:
                self.conn().execute(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}")

    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, committed on success and rolled back on error."""
        with self.write_lock:
            conn = self.conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        return self.conn().execute(sql, params).fetchone()

    def row(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row:
        """The row a query must find (an aggregate, or a row the caller has just read or written); `MissingRow` if
        there is none. Use `one` where finding nothing is an answer to give the client."""
        row = self.one(sql, params)
        if row is None:
            raise MissingRow(f"No row for {sql!r} with {tuple(params)!r}.")
        return row

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self.conn().execute(sql, params).fetchall()

    def reset(self) -> None:
        """Empty every table (the file stays, so a running sandbox keeps working on the fresh data)."""
        with self.write() as conn:
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - table names are the constants above
            conn.execute(f"DELETE FROM sqlite_sequence WHERE name IN ({placeholders(_COUNTERS)})", _COUNTERS)  # noqa: S608

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def placeholders(values: Sequence[Any]) -> str:
    """`?,?,?` for an IN clause over `values`."""
    return ",".join("?" * len(values)) or "NULL"
