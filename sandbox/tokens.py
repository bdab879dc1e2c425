"""Codes and tokens: issue, exchange, rotate, revoke, and look up the caller of an API request."""

from __future__ import annotations

import base64
import hashlib
import secrets
import sqlite3
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import SandboxApp


class GrantError(Exception):
    """An OAuth error answer: 400 {"error": code, "error_description": text} unless another status is given."""

    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.code, self.description, self.status = code, description, status


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def code_issue(
    app: SandboxApp,
    *,
    provider: str,
    client_id: str,
    user_id: int,
    redirect_uri: str,
    challenge: str | None,
    scope: str,
) -> str:
    code = secrets.token_urlsafe(24)
    expires_at = app.timestamp() + app.tokens.code[provider]
    with app.store.write() as conn:
        conn.execute(
            "INSERT INTO codes (code, provider, client_id, user_id, redirect_uri, challenge, scope, expires_at, family)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (code, provider, client_id, user_id, redirect_uri, challenge, scope, expires_at, secrets.token_hex(8)),
        )
    return code


def _pair(conn: sqlite3.Connection, app: SandboxApp, row: Any, provider: str, client_id: str) -> dict[str, Any]:
    """Insert a new access + refresh token for the grant `row` (a code or a refresh token) and describe them."""
    now = app.timestamp()
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    access_life, refresh_life = app.tokens.access[provider], app.tokens.refresh[provider]
    insert = (
        "INSERT INTO tokens (token, kind, provider, client_id, user_id, scope, family, created_at, expires_at)"
        " VALUES (?,?,?,?,?,?,?,?,?)"
    )
    grant = (provider, client_id, row["user_id"], row["scope"], row["family"], now)
    conn.execute(insert, (access, "access", *grant, now + access_life))
    conn.execute(insert, (refresh, "refresh", *grant, now + refresh_life if refresh_life else None))
    return {
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": access_life,
        "created_at": int(now),
        "scope": row["scope"],
    }


def code_exchange(
    app: SandboxApp, *, provider: str, client_id: str, code: str, redirect_uri: str, verifier: str | None
) -> dict[str, Any]:
    """Spend a code (whatever happens next) and issue its first token pair; GrantError when it does not check out."""
    with app.store.write() as conn:
        row = conn.execute("SELECT * FROM codes WHERE code = ? AND provider = ?", (code, provider)).fetchone()
        problem = _code_problem(app, row, client_id, redirect_uri, verifier)
        if row is not None and row["used"]:
            # A replayed code revokes what it granted (RFC 6749 section 4.1.2).
            conn.execute("UPDATE tokens SET revoked = 1 WHERE family = ?", (row["family"],))
        elif row is not None:
            conn.execute("UPDATE codes SET used = 1 WHERE code = ?", (code,))
        issued = None if problem else _pair(conn, app, row, provider, client_id)
    if issued is None:
        raise GrantError("invalid_grant", problem)
    return issued


def _code_problem(app: SandboxApp, row: Any, client_id: str, redirect_uri: str, verifier: str | None) -> str:
    if row is None or row["client_id"] != client_id:
        return "The authorization code is not valid."
    if row["used"]:
        return "The authorization code has already been used."
    if row["expires_at"] <= app.timestamp():
        return "The authorization code has expired."
    if row["redirect_uri"] != redirect_uri:
        return "The redirect_uri does not match the one used to authorize."
    if row["challenge"] and (not verifier or pkce_challenge(verifier) != row["challenge"]):
        return "The PKCE code_verifier does not match the code_challenge."
    return ""


def refresh_rotate(app: SandboxApp, *, provider: str, client_id: str, refresh_token: str) -> dict[str, Any]:
    """A new pair for a refresh token; the old refresh token is spent at once, even if the answer is lost."""
    with app.store.write() as conn:
        row = conn.execute(
            "SELECT * FROM tokens WHERE token = ? AND provider = ? AND kind = 'refresh'", (refresh_token, provider)
        ).fetchone()
        if row is None or row["client_id"] != client_id or row["revoked"]:
            raise GrantError("invalid_grant", "The refresh token is not valid.")
        if row["used"]:
            raise GrantError("invalid_grant", "The refresh token has already been used.")
        if row["expires_at"] is not None and row["expires_at"] <= app.timestamp():
            raise GrantError("invalid_grant", "The refresh token has expired.")
        conn.execute("UPDATE tokens SET used = 1 WHERE token = ?", (refresh_token,))
        return _pair(conn, app, row, provider, client_id)


def token_revoke(app: SandboxApp, *, provider: str, token: str, kinds: tuple[str, ...] = ("access", "refresh")) -> bool:
    """Revoke the token and every token of its grant (its access/refresh partner) when it is one of `kinds`; unknown
    tokens and tokens of another kind are ignored. Whether anything was revoked."""
    with app.store.write() as conn:
        row = conn.execute(
            "SELECT family, kind FROM tokens WHERE token = ? AND provider = ?", (token, provider)
        ).fetchone()
        if row is not None and row["kind"] in kinds:
            conn.execute("UPDATE tokens SET revoked = 1 WHERE family = ?", (row["family"],))
            return True
    return False


def user_tokens_revoke(app: SandboxApp, *, user_id: int, provider: str | None = None) -> int:
    with app.store.write() as conn:
        if provider:
            cursor = conn.execute(
                "UPDATE tokens SET revoked = 1 WHERE user_id = ? AND provider = ?", (user_id, provider)
            )
        else:
            cursor = conn.execute("UPDATE tokens SET revoked = 1 WHERE user_id = ?", (user_id,))
        return cursor.rowcount


def token_lookup(app: SandboxApp, *, provider: str, token: str) -> sqlite3.Row | None:
    """The live access token joined with its user, or None when unknown, revoked or expired."""
    if not token:
        return None
    row = app.store.one(
        "SELECT t.*, u.login, u.name, u.adsk_id FROM tokens t JOIN users u ON u.id = t.user_id"
        " WHERE t.token = ? AND t.provider = ? AND t.kind = 'access' AND t.revoked = 0",
        (token, provider),
    )
    if row is None or row["expires_at"] <= app.timestamp():
        return None
    return row
