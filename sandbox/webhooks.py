"""Procore webhooks: hooks and triggers endpoints, and deliveries POSTed from a background thread.

When an item changes (through the API or a control scenario) every hook on its project (or its company) with a
matching trigger gets the documented payload, with the hook's destination headers, within a short timeout. Each
attempt is recorded and listed by `GET /rest/v1.0/webhooks/hooks/{hook_id}/deliveries`. One attempt per event: the
real service's 12 hours of retries are out of scope for a local emulator.
"""

from __future__ import annotations

import json
import queue
import secrets
import sqlite3
import threading
from typing import TYPE_CHECKING, Any

import requests

from .procore_api import ApiError, Caller, api, project_for
from .store import inserted_id
from .web import Request, Response, json_response

if TYPE_CHECKING:
    from .server import SandboxApp

TIMEOUT = (2.0, 5.0)  # (connect, read): Procore expects an answer within 5 s
# A hook's `api_version` picks its deliveries' payload: v2.0 (legacy: `event_type`, integer ids) or v4.0 (`reason`,
# string ids).
PAYLOAD_VERSIONS = {"v2": "v2", "v2.0": "v2", "v4.0": "v4", "v4": "v4"}
RESOURCES = ("RFIs", "Submittals")
EVENTS = ("create", "update", "delete")


class Dispatcher:
    """Delivers queued events one by one on a daemon thread; `wait_idle` lets tests wait for the queue to drain."""

    def __init__(self, app: SandboxApp) -> None:
        self.app = app
        self._queue: queue.Queue[tuple[int, dict[str, Any]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, delivery_id: int, hook: dict[str, Any]) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
                self._thread.start()
        self._queue.put((delivery_id, hook))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once every queued delivery has been attempted (False if `timeout` seconds pass first)."""
        done = threading.Event()

        def wait() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout)

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                self._deliver(*job)
            finally:
                self._queue.task_done()

    def _deliver(self, delivery_id: int, hook: dict[str, Any]) -> None:
        store = self.app.store
        event = json.loads(store.row("SELECT event FROM deliveries WHERE id = ?", (delivery_id,))["event"])
        started = self.app.now_iso()
        status, body, error, outcome = None, None, None, "failed"
        try:
            answer = requests.post(hook["url"], json=event, headers=hook["headers"], timeout=TIMEOUT)
            status, body = answer.status_code, answer.text[:2000]
            outcome = "ok" if 200 <= answer.status_code < 300 else "failed"
        except requests.RequestException as exc:
            error = type(exc).__name__
        with store.write() as conn:
            conn.execute(
                "UPDATE deliveries SET outcome = ?, response_status = ?, response_body = ?, response_error = ?,"
                " started_at = ?, completed_at = ? WHERE id = ?",
                (outcome, status, body, error, started, self.app.now_iso(), delivery_id),
            )


def emit(
    app: SandboxApp,
    *,
    project_id: int,
    resource: str,
    resource_id: int,
    event: str,
    user_id: int,
    application: str | None = None,
) -> int:
    """Queue a delivery for each matching hook; `application` is the OAuth client that made the change, if any."""
    project = app.store.one("SELECT * FROM projects WHERE id = ? AND provider = 'procore'", (project_id,))
    if project is None:
        return 0
    hooks = app.store.all(
        "SELECT DISTINCT h.* FROM hooks h JOIN triggers t ON t.hook_id = h.id"
        " WHERE (h.project_id = ? OR (h.project_id IS NULL AND h.company_id = ?))"
        " AND t.resource_name = ? AND t.event_type = ?",
        (project_id, project["org_id"], resource, event),
    )
    for hook in hooks:
        payload = _payload(app, project, hook, resource, resource_id, event, user_id, application)
        with app.store.write() as conn:
            cursor = conn.execute(
                "INSERT INTO deliveries (hook_id, event, outcome) VALUES (?, ?, 'pending')",
                (hook["id"], json.dumps(payload)),
            )
        headers = json.loads(hook["destination_headers"])
        app.webhooks.submit(inserted_id(cursor), {"url": hook["destination_url"], "headers": headers})
    return len(hooks)


def _payload(
    app: SandboxApp,
    project: sqlite3.Row,
    hook: sqlite3.Row,
    resource: str,
    resource_id: int,
    event: str,
    user_id: int,
    application: str | None,
) -> dict[str, Any]:
    if PAYLOAD_VERSIONS.get(hook["api_version"]) == "v4":
        return _payload_v4(app, project, hook, resource, resource_id, event, user_id, application)
    return {
        "id": secrets.randbelow(2**40),
        "ulid": secrets.token_hex(13).upper(),
        "timestamp": app.now_iso(),
        "user_id": user_id,
        "company_id": project["org_id"],
        "project_id": project["id"],
        "api_version": hook["api_version"],
        "event_type": event,
        "resource_name": resource,
        "resource_id": resource_id,
        "metadata": {
            "source_user_id": user_id,
            "source_company_id": project["org_id"],
            "source_project_id": project["id"],
            "source_application_id": application,
            "source_operation_id": None,
        },
    }


def _payload_v4(
    app: SandboxApp,
    project: sqlite3.Row,
    hook: sqlite3.Row,
    resource: str,
    resource_id: int,
    event: str,
    user_id: int,
    application: str | None,
) -> dict[str, Any]:
    """Payload v4.0: the event is the `reason`, and every id is a string."""
    ulid = secrets.token_hex(13).upper()
    return {
        "id": ulid,
        "ulid": ulid,
        "timestamp": app.now_iso(),
        "user_id": str(user_id),
        "company_id": str(project["org_id"]),
        "project_id": str(project["id"]),
        "api_version": hook["api_version"],
        "reason": event,
        "resource_name": resource,
        "resource_id": str(resource_id),
        "metadata": {
            "source_user_id": str(user_id),
            "source_company_id": str(project["org_id"]),
            "source_project_id": str(project["id"]),
            "source_application_id": application,
            "source_operation_id": None,
        },
    }


def _masked(headers: dict[str, Any]) -> dict[str, Any]:
    """Procore shows only the last 5 characters of a hook's Authorization header."""
    if "Authorization" not in headers:
        return headers
    secret = str(headers["Authorization"])
    return {**headers, "Authorization": "*" * max(len(secret) - 5, 0) + secret[-5:]}


def _hook_json(hook: Any) -> dict[str, Any]:
    return {
        "id": hook["id"],
        "api_version": hook["api_version"],
        "namespace": hook["namespace"],
        "destination_url": hook["destination_url"],
        "destination_headers": _masked(json.loads(hook["destination_headers"])),
        "owned_by_company_id": hook["company_id"],
        "owned_by_project_id": hook["project_id"],
        "owned_by_user_id": hook["owner_user_id"],
    }


def _trigger_json(trigger: Any, hook: Any) -> dict[str, Any]:
    return {
        "id": trigger["id"],
        "webhook_hook_id": trigger["hook_id"],
        "resource_name": trigger["resource_name"],
        "resource_id": None,
        "event_type": trigger["event_type"].upper(),
        "company_id": hook["company_id"],
        "project_id": hook["project_id"],
        "user_id": trigger["user_id"],
    }


def _scope(app: SandboxApp, request: Request, caller: Caller, body: dict[str, Any]) -> tuple[int, int | None]:
    project_id = body.get("project_id") or request.query.get("project_id")
    if project_id:
        return caller.checked_company["id"], project_for(app, caller, str(project_id))["id"]
    return caller.checked_company["id"], None


@api()
def hooks_list(app: SandboxApp, request: Request, caller: Caller) -> Response:
    company_id, project_id = _scope(app, request, caller, {})
    rows = app.store.all(
        "SELECT * FROM hooks WHERE company_id = ? AND project_id IS ? ORDER BY id", (company_id, project_id)
    )
    # The documented filters: a hook namespace and an API version.
    wanted = {key: request.query[key] for key in ("namespace", "api_version") if request.query.get(key)}
    return json_response([_hook_json(h) for h in rows if all(h[key] == value for key, value in wanted.items())])


@api()
def hook_create(app: SandboxApp, request: Request, caller: Caller) -> Response:
    body = request.json() or {}
    company_id, project_id = _scope(app, request, caller, body)
    hook = body.get("hook") or {}
    url = str(hook.get("destination_url", ""))
    if not url.startswith(("http://", "https://")):
        raise ApiError(400, "hook.destination_url must be an http(s) URL.")
    version = str(hook.get("api_version", "v2"))
    if version not in PAYLOAD_VERSIONS:
        raise ApiError(400, f"hook.api_version must be one of {', '.join(PAYLOAD_VERSIONS)}.")
    with app.store.write() as conn:
        cursor = conn.execute(
            "INSERT INTO hooks (company_id, project_id, owner_user_id, api_version, namespace, destination_url,"
            " destination_headers) VALUES (?,?,?,?,?,?,?)",
            (
                company_id,
                project_id,
                caller.user_id,
                version,
                str(hook.get("namespace", "")),
                url,
                json.dumps(hook.get("destination_headers") or {}),
            ),
        )
    return json_response(_hook_json(app.store.one("SELECT * FROM hooks WHERE id = ?", (cursor.lastrowid,))), 201)


def _hook(app: SandboxApp, caller: Caller, raw_id: str) -> Any:
    hook = app.store.one("SELECT * FROM hooks WHERE id = ?", (int(raw_id) if raw_id.isdigit() else 0,))
    if hook is None or hook["company_id"] != caller.checked_company["id"]:
        raise ApiError(404, "Webhook hook not found.")
    return hook


@api()
def hook_delete(app: SandboxApp, request: Request, caller: Caller) -> Response:
    hook = _hook(app, caller, request.params["id"])
    with app.store.write() as conn:
        conn.execute("DELETE FROM triggers WHERE hook_id = ?", (hook["id"],))
        conn.execute("DELETE FROM hooks WHERE id = ?", (hook["id"],))
    return json_response({}, 200)


@api()
def triggers_list(app: SandboxApp, request: Request, caller: Caller) -> Response:
    hook = _hook(app, caller, request.params["hook_id"])
    rows = app.store.all("SELECT * FROM triggers WHERE hook_id = ? ORDER BY id", (hook["id"],))
    return json_response([_trigger_json(t, hook) for t in rows])


@api()
def trigger_create(app: SandboxApp, request: Request, caller: Caller) -> Response:
    hook = _hook(app, caller, request.params["hook_id"])
    trigger = (request.json() or {}).get("trigger") or {}
    resource, event = str(trigger.get("resource_name", "")), str(trigger.get("event_type", "")).lower()
    if resource not in RESOURCES or event not in EVENTS:
        raise ApiError(400, f"trigger needs resource_name in {RESOURCES} and event_type in {EVENTS}.")
    with app.store.write() as conn:
        cursor = conn.execute(
            "INSERT INTO triggers (hook_id, resource_name, event_type, user_id) VALUES (?,?,?,?)",
            (hook["id"], resource, event, caller.user_id),
        )
    row = app.store.one("SELECT * FROM triggers WHERE id = ?", (cursor.lastrowid,))
    return json_response(_trigger_json(row, hook), 201)


@api()
def deliveries_list(app: SandboxApp, request: Request, caller: Caller) -> Response:
    hook = _hook(app, caller, request.params["hook_id"])
    rows = app.store.all("SELECT * FROM deliveries WHERE hook_id = ? ORDER BY id", (hook["id"],))
    return json_response([_delivery_json(d) for d in rows])


def _delivery_json(row: Any) -> dict[str, Any]:
    event = json.loads(row["event"])
    return {
        "event": event,
        "event_id": event["id"],
        "outcome": {"pending": "retried"}.get(row["outcome"], row["outcome"]),
        "response_body": row["response_body"],
        "response_error": row["response_error"],
        "started_at": row["started_at"],
        "completed_at": row["completed_at"],
        "response_status": row["response_status"],
        "response_headers": {},
    }


@api()
def resources(app: SandboxApp, request: Request, caller: Caller) -> Response:
    return json_response(
        [
            {
                "api_version": "v2",
                "product_category": "Project Management",
                "tools": name,
                "except": [],
                "create": "true",
                "update": "true",
                "delete": "true",
            }
            for name in RESOURCES
        ]
    )


P = "/procore/rest/v1.0/webhooks"
ROUTES = [
    ("GET", f"{P}/hooks", hooks_list),
    ("POST", f"{P}/hooks", hook_create),
    ("DELETE", f"{P}/hooks/{{id}}", hook_delete),
    ("GET", f"{P}/hooks/{{hook_id}}/triggers", triggers_list),
    ("POST", f"{P}/hooks/{{hook_id}}/triggers", trigger_create),
    ("GET", f"{P}/hooks/{{hook_id}}/deliveries", deliveries_list),
    ("GET", f"{P}/resources", resources),
]
