"""The control API and page at /_control/: faults, rate limits, token lifetimes and scenarios, changed at run time.

JSON:  POST /_control/faults {"latency_ms": 200, "error_rate": 0.1, ...}  ({"reset": true} clears every fault)
       POST /_control/rate_limits {"procore_hourly": 600, "procore_spike": 25, "enabled": true}
       POST /_control/tokens {"access": {"procore": 60}}
       POST /_control/scenarios/<name> {...}   (names and arguments: scenarios.SCENARIOS)
       POST /_control/seed                     (back to the demo data)
       GET  /_control/state
Forms on the page post the same scenarios and come back to the page with the outcome.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .scenarios import SCENARIOS, ScenarioError
from .seed import seed_demo
from .uploads import response_files_all
from .web import Request, Response, html_response, json_response, redirect

if TYPE_CHECKING:
    from .server import SandboxApp


def _body(request: Request) -> dict[str, Any]:
    data = request.json()
    return data if isinstance(data, dict) else request.form()


def _is_form(request: Request) -> bool:
    return "form" in request.header("content-type")


def state(app: SandboxApp, request: Request) -> Response:
    return json_response(
        {
            "faults": app.faults.faults.as_dict(),
            "rate_limits": app.limiter.limits.as_dict(),
            "tokens": {"access": app.tokens.access, "refresh": app.tokens.refresh, "code": app.tokens.code},
            "now": app.now_iso(),
            "users": [dict(r) for r in app.store.all("SELECT id, login, name FROM users ORDER BY id")],
            "orgs": [dict(r) for r in app.store.all("SELECT id, provider, kind, name, blocked FROM orgs ORDER BY id")],
            "projects": [
                dict(r)
                for r in app.store.all("SELECT id, provider, org_id, name, number, uid FROM projects ORDER BY id")
            ],
            "response_files": [_file_state(r) for r in response_files_all(app)],
        }
    )


def _file_state(row: Any) -> dict[str, Any]:
    keys = ("id", "provider", "item_id", "kind", "number", "approver_id", "post_id", "filename", "size", "sha256")
    return {**{k: row[k] for k in keys}, "attached_at": row["created_at"]}


def faults(app: SandboxApp, request: Request) -> Response:
    data = _body(request)
    reset = str(data.pop("reset", "")).lower() in ("1", "true", "yes", "on")
    try:
        current = app.faults.configure(data, replace=reset)
    except (ValueError, TypeError) as error:
        return json_response({"error": str(error)}, 400)
    return _done(request, "Faults updated") if _is_form(request) else json_response(current.as_dict())


def rate_limits(app: SandboxApp, request: Request) -> Response:
    try:
        current = app.limiter.configure(_body(request))
    except (ValueError, TypeError) as error:
        return json_response({"error": str(error)}, 400)
    return _done(request, "Rate limits updated") if _is_form(request) else json_response(current.as_dict())


def tokens(app: SandboxApp, request: Request) -> Response:
    data = request.json() or {}
    for kind in ("access", "refresh", "code"):
        for provider, seconds in (data.get(kind) or {}).items():
            getattr(app.tokens, kind)[provider] = None if seconds is None else int(seconds)
    return json_response({"access": app.tokens.access, "refresh": app.tokens.refresh, "code": app.tokens.code})


def scenario(app: SandboxApp, request: Request) -> Response:
    run = SCENARIOS.get(request.params["name"])
    if run is None:
        return json_response({"error": f"unknown scenario; choose one of {sorted(SCENARIOS)}"}, 404)
    data = {k: v for k, v in _body(request).items() if v != ""}
    try:
        result = run(app, **data)
    except (ScenarioError, ValueError, TypeError) as error:
        if _is_form(request):
            return _done(request, f"Could not run {request.params['name']}: {error}")
        return json_response({"error": str(error)}, 400)
    return _done(request, f"{request.params['name']}: {result}") if _is_form(request) else json_response(result)


def reseed(app: SandboxApp, request: Request) -> Response:
    users = seed_demo(app.store)
    return _done(request, "Demo data restored") if _is_form(request) else json_response({"users": users})


def _done(request: Request, message: str) -> Response:
    return redirect(f"{request.base_url}/_control/?done={quote(message)}")


_FORMS = [
    ("send_submittal", "GC sends a submittal to the reviewer", ["project_id", "title", "to"]),
    ("send_rfi", "GC sends an RFI to the reviewer", ["project_id", "title", "question", "to"]),
    ("create_revision", "GC creates the next revision of a submittal", ["item_id"]),
    ("close_item", "Close an item upstream", ["item_id"]),
    ("reopen_item", "Reopen an item upstream", ["item_id"]),
    ("delete_item", "Delete (recycle) an item upstream", ["item_id"]),
    ("rename_response", "Rename a submittal response", ["response_id", "name"]),
    ("block_app", "Block (1) or allow (0) the app for a company or hub", ["org_id", "blocked"]),
    ("revoke_tokens", "Revoke a user's tokens", ["login", "provider"]),
]


def page(app: SandboxApp, request: Request) -> Response:
    done = request.query.get("done")
    parts = ["<h1>Provider sandbox control</h1>"]
    if done:
        parts.append(f"<p role='status'><strong>{escape(done)}</strong></p>")
    parts.append("<h2>Companies and hubs</h2><table><tr><th>id</th><th>provider</th><th>name</th><th>blocked</th></tr>")
    for org in app.store.all("SELECT * FROM orgs ORDER BY id"):
        parts.append(
            f"<tr><td>{org['id']}</td><td>{org['provider']}</td><td>{escape(org['name'])}</td>"
            f"<td>{'yes' if org['blocked'] else 'no'}</td></tr>"
        )
    parts.append("</table><h2>Projects</h2><table><tr><th>id</th><th>provider</th><th>name</th></tr>")
    for project in app.store.all("SELECT * FROM projects ORDER BY id"):
        parts.append(
            f"<tr><td>{project['id']}</td><td>{project['provider']}</td><td>{escape(project['name'])}</td></tr>"
        )
    parts.append("</table>")
    parts.append(_response_files_table(app))
    parts.append("<h2>Scenarios</h2>")
    for name, title, fields in _FORMS:
        inputs = "".join(f"<label for='{name}-{f}'>{f}</label><input id='{name}-{f}' name='{f}'>" for f in fields)
        parts.append(
            f"<form method='post' action='/_control/scenarios/{name}'><fieldset><legend>{title}</legend>"
            f"{inputs}<button type='submit'>Run</button></fieldset></form>"
        )
    knobs = "".join(
        f"<label for='fault-{k}'>{k}</label><input id='fault-{k}' name='{k}' value='{escape(str(v))}'>"
        for k, v in app.faults.faults.as_dict().items()
    )
    parts.append(
        f"<h2>Faults</h2><form method='post' action='/_control/faults'><fieldset><legend>Fault injection"
        f"</legend>{knobs}<button type='submit'>Apply</button></fieldset></form>"
    )
    parts.append("<form method='post' action='/_control/seed'><button type='submit'>Restore demo data</button></form>")
    return html_response("".join(parts), "Provider sandbox control")


def _response_files_table(app: SandboxApp) -> str:
    """Each file a reviewer's response attached (the provider's side of the portal's files out), newest first."""
    rows = response_files_all(app)
    if not rows:
        return "<h2>Files attached to responses</h2><p>No response has attached a file yet.</p>"
    head = (
        "<h2>Files attached to responses</h2><table><tr><th>provider</th><th>item</th><th>on</th><th>file</th>"
        "<th>bytes</th><th>SHA-256</th><th>attached</th></tr>"
    )
    body = "".join(
        f"<tr><td>{r['provider']}</td><td>{escape(r['kind'])} {escape(str(r['number']))} {escape(r['title'])}</td>"
        f"<td>{'review ' + str(r['approver_id']) if r['approver_id'] else 'answer ' + str(r['post_id'])}</td>"
        f"<td>{escape(r['filename'])}</td><td>{r['size']:,}</td><td><code>{r['sha256'][:12]}…</code></td>"
        f"<td>{r['created_at']}</td></tr>"
        for r in rows
    )
    return head + body + "</table>"


ROUTES = [
    ("GET", "/_control/", page),
    ("GET", "/_control/state", state),
    ("POST", "/_control/faults", faults),
    ("POST", "/_control/rate_limits", rate_limits),
    ("POST", "/_control/tokens", tokens),
    ("POST", "/_control/scenarios/{name}", scenario),
    ("POST", "/_control/seed", reseed),
]
