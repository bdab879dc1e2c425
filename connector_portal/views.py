from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from connector_portal.forms import FirmSwitchForm
from connector_portal.middleware import SESSION_FIRM_KEY
from connector_portal.selectors import (
    firm_has_service_account,
    firm_licence,
    is_firm_admin,
    memberships_for_user,
    project_list,
)
from connector_portal.tenancy import AuthenticatedFirmRequest, FirmRequest, is_in_firm

P = ParamSpec("P")


def firm_required(
    view: Callable[Concatenate[AuthenticatedFirmRequest, P], HttpResponse],
) -> Callable[Concatenate[FirmRequest, P], HttpResponse]:
    """A portal page that works inside the user's current firm (request.firm)."""

    @login_required
    @wraps(view)
    def wrapper(request: FirmRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if not is_in_firm(request):
            return render(request, "portal/no_firm.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def refuse_unless_firm_admin(request: AuthenticatedFirmRequest, what: str) -> HttpResponse | None:
    """The 403 page (in words) for a member who is not an administrator of the firm, else None. Call it after the
    firm-scoped lookup, so that another firm's object stays a 404. `what` completes "You cannot ..."."""
    if is_firm_admin(user=request.user, firm=request.firm):
        return None
    return render(request, "portal/admins_only.html", {"what": what}, status=403)


@firm_required
def dashboard(request: AuthenticatedFirmRequest) -> HttpResponse:
    firm = request.firm
    licence = firm_licence(firm=firm)
    return render(
        request,
        "portal/dashboard.html",
        {
            "projects": project_list(firm=firm).select_related("link"),
            "licence": licence,
            "has_service_account": firm_has_service_account(firm=firm),
        },
    )


@login_required
@require_POST
def switch_firm(request: HttpRequest) -> HttpResponse:
    form = FirmSwitchForm(request.POST)
    membership = None
    if form.is_valid():
        membership = memberships_for_user(user=request.user).filter(firm__slug=form.cleaned_data["firm"]).first()  # type: ignore[arg-type]
    if membership is None:
        messages.error(request, "You are not a member of that firm. Choose one of the firms in the list.")
    else:
        request.session[SESSION_FIRM_KEY] = membership.firm_id
        messages.success(request, f"You are now working in {membership.firm.name}.")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "dashboard"
    return redirect(next_url)
