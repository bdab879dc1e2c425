from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from connector_portal.selectors import firm_has_service_account, memberships_for_user


def firm(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    current = getattr(request, "firm", None)
    return {
        "current_firm": current,
        "user_memberships": memberships_for_user(user=request.user),
        # Called by the template only on a project's pages (base.html), so other pages spend no query on it.
        "firm_has_service_account": lambda: current is not None and firm_has_service_account(firm=current),
    }
