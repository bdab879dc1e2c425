"""OAuth 2.0 endpoints of the three emulated providers: authorize pages, token, revoke, token info.

Client authentication follows each provider: Procore and ConstructEx take the client credentials in the body or by
HTTP Basic; Autodesk requires HTTP Basic for confidential clients and answers 400 when they are also in the body.
PKCE S256 is verified wherever a challenge was sent; ConstructEx requires it.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from .clients import PROVIDERS, OAuthProvider, provider_of
from .constants import SANDBOX_CLIENTS
from .pages import authorize_get, authorize_post
from .tokens import GrantError, code_exchange, refresh_rotate, token_lookup, token_revoke
from .web import Request, Response, json_response

if TYPE_CHECKING:
    from .server import SandboxApp


def oauth_error(error: GrantError) -> Response:
    return json_response({"error": error.code, "error_description": error.description}, error.status)


def client_authenticate(provider: OAuthProvider, request: Request, form: dict[str, str]) -> str:
    """The client id, once its credentials check out; GrantError otherwise."""
    basic = request.basic()
    in_body = "client_id" in form or "client_secret" in form
    if provider.basic_only:
        if basic and in_body:
            raise GrantError("invalid_request", "Send the client credentials in the Authorization header only.")
        if not basic:
            raise GrantError("invalid_client", "Confidential clients must authenticate with HTTP Basic.", 401)
    client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
    expected_id, expected_secret = SANDBOX_CLIENTS[provider.name]
    if client_id != expected_id or not hmac.compare_digest(secret, expected_secret):
        raise GrantError("invalid_client", "Client authentication failed.", 401)
    return client_id


def token(app: SandboxApp, request: Request) -> Response:
    provider = provider_of(request)
    form = request.form()
    try:
        client_id = client_authenticate(provider, request, form)
        grant = form.get("grant_type", "")
        if grant == "authorization_code":
            issued = code_exchange(
                app,
                provider=provider.name,
                client_id=client_id,
                code=form.get("code", ""),
                redirect_uri=form.get("redirect_uri", ""),
                verifier=form.get("code_verifier"),
            )
        elif grant == "refresh_token":
            issued = refresh_rotate(
                app, provider=provider.name, client_id=client_id, refresh_token=form.get("refresh_token", "")
            )
        else:
            raise GrantError("unsupported_grant_type", f"grant_type {grant!r} is not supported.")
    except GrantError as error:
        return oauth_error(error)
    return json_response(token_answer(provider, issued), headers={"Cache-Control": "no-store"})


def token_answer(provider: OAuthProvider, issued: dict[str, Any]) -> dict[str, Any]:
    answer = {
        "access_token": issued["access_token"],
        "token_type": provider.token_type,
        "expires_in": issued["expires_in"],
        "refresh_token": issued["refresh_token"],
    }
    if provider.name == "procore":
        answer["created_at"] = issued["created_at"]
    else:
        answer["scope"] = issued["scope"]
    return answer


def revoke(app: SandboxApp, request: Request) -> Response:
    """Revoke a token and its partner; 200 even for an unknown token, as the providers answer.

    Procore's revoke takes an access token (OauthRevokePost: "Revoke authorization of an access token"; it revokes the
    refresh token with it): a refresh token sent there is an invalid token, answered 200 and revoked nothing.
    """
    provider = provider_of(request)
    form = request.form()
    try:
        client_authenticate(provider, request, form)
    except GrantError as error:
        return oauth_error(error)
    kinds = ("access",) if provider.name == "procore" else ("access", "refresh")
    token_revoke(app, provider=provider.name, token=form.get("token", ""), kinds=kinds)
    return json_response({}) if provider.name != "autodesk" else Response(200)


def token_info(app: SandboxApp, request: Request) -> Response:
    provider = provider_of(request)
    row = token_lookup(app, provider=provider.name, token=request.bearer())
    if row is None:
        return json_response({"error": "invalid_token", "error_description": "The access token is invalid."}, 401)
    return json_response(
        {
            "resource_owner_id": row["user_id"],
            "scopes": row["scope"].split(),
            "expires_in_seconds": int(row["expires_at"] - app.timestamp()),
            "application": {"uid": row["client_id"]},
            "created_at": int(row["created_at"]),
        }
    )


def autodesk_introspect(app: SandboxApp, request: Request) -> Response:
    form = request.form()
    try:
        client_authenticate(PROVIDERS["autodesk"], request, form)
    except GrantError as error:
        return oauth_error(error)
    row = token_lookup(app, provider="autodesk", token=form.get("token", ""))
    if row is None:
        return json_response({"active": False})
    return json_response(
        {
            "active": True,
            "scope": row["scope"],
            "client_id": row["client_id"],
            "exp": int(row["expires_at"]),
            "userid": row["adsk_id"],
            "token_type": "Bearer",
        }
    )


def autodesk_userinfo(app: SandboxApp, request: Request) -> Response:
    row = token_lookup(app, provider="autodesk", token=request.bearer())
    if row is None:
        return json_response({"developerMessage": "The access token is invalid.", "errorCode": "AUTH-006"}, 401)
    return json_response({"sub": row["adsk_id"], "name": row["name"], "email": row["login"]})


ROUTES = [
    ("GET", "/procore/oauth/authorize", authorize_get),
    ("POST", "/procore/oauth/authorize", authorize_post),
    ("POST", "/procore/oauth/token", token),
    ("POST", "/procore/oauth/revoke", revoke),
    ("GET", "/procore/oauth/token/info", token_info),
    ("GET", "/autodesk/authentication/v2/authorize", authorize_get),
    ("POST", "/autodesk/authentication/v2/authorize", authorize_post),
    ("POST", "/autodesk/authentication/v2/token", token),
    ("POST", "/autodesk/authentication/v2/revoke", revoke),
    ("POST", "/autodesk/authentication/v2/introspect", autodesk_introspect),
    ("GET", "/autodesk/userinfo", autodesk_userinfo),
    ("GET", "/constructex/oauth/authorize", authorize_get),
    ("POST", "/constructex/oauth/authorize", authorize_post),
    ("POST", "/constructex/oauth/token", token),
    ("POST", "/constructex/oauth/revoke", revoke),
    ("GET", "/constructex/oauth/token/info", token_info),
]
