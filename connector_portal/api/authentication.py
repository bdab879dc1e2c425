"""Who is calling: Project Center with the firm's service-account token, or a signed-in portal user (browsable API)."""

from __future__ import annotations

import re

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from connector_portal.models import ServiceAccountToken
from connector_portal.services import service_token_authenticate

# Printable ASCII without spaces, bounded: anything else cannot be a token, and must never reach the database
# (PostgreSQL refuses NUL bytes in text).
TOKEN_SHAPE = re.compile(r"[\x21-\x7e]{1,256}")


class ServiceTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`. The request's user stays anonymous; `request.auth` is the token."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[AnonymousUser, ServiceAccountToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None  # no bearer token: let session authentication (or "not authenticated") answer
        if len(header) != 2:
            raise exceptions.AuthenticationFailed()
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed() from exc
        if not TOKEN_SHAPE.fullmatch(raw):
            raise exceptions.AuthenticationFailed()
        token = service_token_authenticate(raw=raw)
        if token is None:
            raise exceptions.AuthenticationFailed()
        return AnonymousUser(), token

    def authenticate_header(self, request: Request) -> str:
        # Its presence turns "not authenticated" into 401 rather than 403.
        return f'{self.keyword} realm="api"'


class PortalSessionAuthentication(authentication.SessionAuthentication):
    """A signed-in portal user, for the browsable API; CSRF is enforced on writes as for any portal page."""


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "connector_portal.api.authentication.ServiceTokenAuthentication"
    name = "serviceToken"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "The firm's API service-account token, created by a portal administrator and shown once. "
                "Each token sees exactly one firm."
            ),
        }


class PortalSessionScheme(OpenApiAuthenticationExtension):
    target_class = "connector_portal.api.authentication.PortalSessionAuthentication"
    name = "portalSession"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "A signed-in portal user, for the browsable API; acts for the user's current firm.",
        }
