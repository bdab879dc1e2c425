"""The authorize pages: a sign-in form for seeded users, then "Authorization Required" with Allow and Deny.

Plain server-rendered HTML forms that work without JavaScript. Problems with the client or its redirect URI are shown
on the page (never redirected to an unchecked URI); everything after that goes back to the redirect URI.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .clients import OAuthProvider, provider_of, redirect_uri_allowed
from .tokens import code_issue
from .web import Request, Response, html_response, redirect

if TYPE_CHECKING:
    from .server import SandboxApp

TICKET_SECONDS = 600
OAUTH_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
    "prompt",
)


def password_hash(password: str) -> str:
    return hashlib.sha256(f"sandbox:{password}".encode()).hexdigest()


def _problem_page(provider: OAuthProvider, message: str) -> Response:
    body = f"<h1>{provider.title} sign-in cannot continue</h1><p class='error'>{escape(message)}</p>"
    return html_response(body + "<p>Check the application's OAuth settings and start again.</p>", "Sign-in error", 400)


def _check(provider: OAuthProvider, params: dict[str, str]) -> tuple[Response | None, dict[str, str] | None]:
    """(error page, None) for a bad client; (None, error params for the redirect) for a bad request; else both None."""
    if params.get("client_id") != provider.client_id:
        return _problem_page(provider, "The application (client_id) is not registered with this sandbox."), None
    if not redirect_uri_allowed(provider.name, params.get("redirect_uri", "")):
        return _problem_page(provider, "The redirect_uri is not registered for this application."), None
    if params.get("response_type") != "code":
        return None, {"error": "unsupported_response_type"}
    if provider.scope_required and not params.get("scope"):
        return None, {"error": "invalid_scope", "error_description": "scope is required"}
    if "prompt" in params and params["prompt"] not in provider.prompts:
        allowed = f"one of: {', '.join(provider.prompts)}" if provider.prompts else f"not a {provider.title} parameter"
        return None, {"error": "invalid_request", "error_description": f"prompt must be {allowed}"}
    challenge, method = params.get("code_challenge"), params.get("code_challenge_method", "plain")
    if provider.pkce_required and not challenge:
        return None, {"error": "invalid_request", "error_description": "PKCE code_challenge (S256) is required"}
    if challenge and method != "S256":
        return None, {"error": "invalid_request", "error_description": "code_challenge_method must be S256"}
    return None, None


def _back(params: dict[str, str], answer: dict[str, str]) -> Response:
    if params.get("state"):
        answer = {**answer, "state": params["state"]}
    return redirect(params["redirect_uri"], answer)


def _action(request: Request, params: dict[str, str]) -> str:
    return escape(request.path + "?" + urlencode({k: v for k, v in params.items() if v}))


def _sign_in_page(request: Request, provider: OAuthProvider, params: dict[str, str], error: str = "") -> Response:
    problem = f"<p class='error' role='alert'>{escape(error)}</p>" if error else ""
    # The sandbox keeps no sign-in session, so it always asks; prompt=login (already checked) is said in words.
    again = "<p class='prompt'>Choose the account to sign in with.</p>" if params.get("prompt") == "login" else ""
    body = (
        f"<h1>Sign in to {provider.title}</h1><p>Local provider sandbox. Seeded users use the password "
        f"<code>sandbox</code> (run <code>manage.py sandbox_seed</code> to list them).</p>{again}{problem}"
        f"<form method='post' action='{_action(request, params)}'><input type='hidden' name='step' value='sign_in'>"
        "<label for='login'>Email</label><input id='login' name='login' type='email' autocomplete='username' required>"
        "<label for='password'>Password</label>"
        "<input id='password' name='password' type='password' autocomplete='current-password' required>"
        "<div><button type='submit'>Sign in</button></div></form>"
    )
    return html_response(body, f"Sign in to {provider.title}", 401 if error else 200)


def _consent_page(
    request: Request, provider: OAuthProvider, params: dict[str, str], ticket: str, name: str
) -> Response:
    scopes = f"<p>Requested access: <code>{escape(params['scope'])}</code></p>" if params.get("scope") else ""
    body = (
        f"<h1>Authorization Required</h1><p>Signed in as {escape(name)}.</p>"
        f"<p>The application <strong>{escape(provider.client_id)}</strong> would like to access your "
        f"{provider.title} account.</p>{scopes}"
        f"<form method='post' action='{_action(request, params)}'><input type='hidden' name='step' value='consent'>"
        f"<input type='hidden' name='ticket' value='{escape(ticket)}'>"
        "<button type='submit' name='decision' value='allow'>Allow</button>"
        "<button type='submit' name='decision' value='deny'>Deny</button></form>"
    )
    return html_response(body, "Authorization Required")


def authorize_get(app: SandboxApp, request: Request) -> Response:
    provider = provider_of(request)
    params = {k: request.query[k] for k in OAUTH_PARAMS if k in request.query}
    page, error = _check(provider, params)
    if page is not None:
        return page
    if error is not None:
        return _back(params, error)
    return _sign_in_page(request, provider, params)


def authorize_post(app: SandboxApp, request: Request) -> Response:
    provider = provider_of(request)
    params = {k: request.query[k] for k in OAUTH_PARAMS if k in request.query}
    page, error = _check(provider, params)
    if page is not None:
        return page
    if error is not None:
        return _back(params, error)
    form = request.form()
    if form.get("step") == "consent":
        return _decide(app, provider, params, form)
    user = app.store.one("SELECT * FROM users WHERE login = ?", (form.get("login", "").strip().lower(),))
    if user is None or not hmac.compare_digest(user["password"], password_hash(form.get("password", ""))):
        return _sign_in_page(request, provider, params, "That email and password do not match a sandbox user.")
    ticket = secrets.token_urlsafe(16)
    _forget_old_tickets(app)
    app.pending[ticket] = {"user_id": user["id"], "params": params, "expires": app.timestamp() + TICKET_SECONDS}
    return _consent_page(request, provider, params, ticket, user["name"])


def _forget_old_tickets(app: SandboxApp) -> None:
    now = app.timestamp()
    for key in [k for k, v in list(app.pending.items()) if v["expires"] < now]:
        app.pending.pop(key, None)


def _decide(app: SandboxApp, provider: OAuthProvider, params: dict[str, str], form: dict[str, Any]) -> Response:
    pending = app.pending.pop(form.get("ticket", ""), None)
    if pending is None or pending["params"] != params or pending["expires"] < app.timestamp():
        return _problem_page(provider, "This sign-in has expired or was already used. Start the connection again.")
    if form.get("decision") != "allow":
        return _back(params, {"error": "access_denied", "error_description": "The user denied access."})
    code = code_issue(
        app,
        provider=provider.name,
        client_id=provider.client_id,
        user_id=pending["user_id"],
        redirect_uri=params["redirect_uri"],
        challenge=params.get("code_challenge"),
        scope=params.get("scope", ""),
    )
    return _back(params, {"code": code})
