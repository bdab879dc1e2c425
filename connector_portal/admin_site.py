"""Django admin for support staff, behind allauth's login and TOTP.

Admin has no login form of its own: it sends people to allauth's (rate limited, MFA aware) and admits only
staff who have activated an authenticator app.
"""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse


def user_has_totp(user: object) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class PortalAdminSite(admin.AdminSite):
    site_header = "Connector portal — support"
    site_title = "Connector portal support"
    index_title = "Support"

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
