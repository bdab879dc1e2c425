"""Every API request acts for exactly one firm: the token's firm, or the signed-in user's current firm."""

from __future__ import annotations

from rest_framework import exceptions, permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from connector_portal.models import Firm, ServiceAccountToken, User
from connector_portal.selectors import is_firm_admin

NO_FIRM_MESSAGE = (
    "Your account is not working in any firm, so the API has nothing to show. "
    "Sign in as a member of a firm, or use the firm's service-account token."
)


def request_firm(request: Request) -> Firm | None:
    """The firm this request acts for. A token always wins over a session cookie sent alongside it."""
    if isinstance(request.auth, ServiceAccountToken):
        return request.auth.firm
    if request.user.is_authenticated:
        # Set by CurrentFirmMiddleware on the Django request: the user's current (switcher) firm.
        return getattr(request._request, "firm", None)
    return None


class ActsForOneFirm(permissions.BasePermission):
    """Allows a request only when it is authenticated and resolves to one active firm."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not isinstance(request.auth, ServiceAccountToken) and not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        firm = request_firm(request)
        if firm is None or not firm.is_active:
            raise exceptions.PermissionDenied(NO_FIRM_MESSAGE)
        return True


def require_firm_admin(request: Request, *, what: str) -> None:
    """The same roles as the pages: Project Center's token acts for the whole firm (an administrator made it), while a
    person signed in to the browsable API must administer the firm to `what` (403 in words otherwise)."""
    if isinstance(request.auth, ServiceAccountToken):
        return
    firm, user = request_firm(request), request.user
    if firm is None or not isinstance(user, User) or not is_firm_admin(user=user, firm=firm):
        raise exceptions.PermissionDenied(admins_only_message(what))


def admins_only_message(what: str) -> str:
    return (
        f"Only an administrator of the firm can {what}. Ask one of your firm's administrators to make the change, "
        "or use the firm's service-account token."
    )
