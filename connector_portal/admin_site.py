"""Django admin for support staff, behind allauth's login and TOTP.

Admin has no login form of its own: it sends people to allauth's (rate limited, MFA aware) and admits only
staff who have activated an authenticator app.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from connector_portal.tenancy import lookup_ok

V = TypeVar("V", bound=Callable[..., Any])


def user_has_totp(user: object) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class PortalAdminSite(admin.AdminSite):
    site_header = "Connector portal — support"
    site_title = "Connector portal support"
    index_title = "Support"

    def admin_view(self, view: V, cacheable: bool = False) -> V:
        """Every admin page, the tenancy lookup rule first: an object id holding NUL or a control character (once
        admin's own quoting is undone) names nothing, so it is a 404 before any query."""
        guarded = super().admin_view(view, cacheable)

        @wraps(guarded)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if not all(lookup_ok(unquote(value)) for value in kwargs.values() if isinstance(value, str)):
                raise Http404("Nothing was found at this address.")
            return guarded(request, *args, **kwargs)

        return cast(V, inner)

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and user_has_totp(request.user)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        next_url = request.GET.get("next") or reverse("admin:index")
        user = request.user
        if user.is_authenticated and user.is_active and user.is_staff:
            messages.warning(
                request,
                "Support admin needs two-factor authentication. "
                "Set up an authenticator app below, then open admin again.",
            )
            return redirect("mfa_activate_totp")
        if user.is_authenticated:
            messages.error(request, "Your account is not a support staff account, so it cannot open admin.")
            return redirect("dashboard")
        return redirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")
