from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from connector_portal.selectors import memberships_for_user


def firm(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {
        "current_firm": getattr(request, "firm", None),
        "user_memberships": memberships_for_user(user=request.user),
    }
