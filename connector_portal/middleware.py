from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from connector_portal.models import Firm
from connector_portal.selectors import login_refusal_reason, memberships_for_user
from connector_portal.tenancy import FirmRequest

SESSION_FIRM_KEY = "current_firm_id"


def current_firm(request: HttpRequest) -> Firm | None:
    """The firm the user is working in: the one chosen in the switcher, else their first active firm."""
    if not request.user.is_authenticated:
        return None
    memberships = list(memberships_for_user(user=request.user))
    chosen = request.session.get(SESSION_FIRM_KEY)
    for membership in memberships:
        if membership.firm_id == chosen:
            return membership.firm
    return memberships[0].firm if memberships else None


class CurrentFirmMiddleware:
    """Sets request.firm; logs out a firm user whose firm was deactivated while they were signed in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: FirmRequest) -> HttpResponse:
        request.firm = current_firm(request)
        if request.user.is_authenticated and request.firm is None and not request.path.startswith("/api/"):
            reason = login_refusal_reason(user=request.user)
            if reason:
                logout(request)
                messages.error(request, reason)
                return redirect("account_login")
        return self.get_response(request)
