"""The items a connection received: searchable, filtered, a page at a time, with their responses; firm admins retry
or dismiss a response that was not delivered (audited, as support does in admin)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from connector_portal.selectors import membership_get
from connector_portal.tenancy import AuthenticatedFirmRequest
from connector_portal.views import firm_required
from projects.connect.selectors import link_get
from projects.selectors import link_reviewers
from projects.selectors_items import STATES, ItemFilters, link_items_page, link_response_get
from projects.services.response_actions import Action, response_act


def _is_firm_admin(request: AuthenticatedFirmRequest) -> bool:
    membership = membership_get(user=request.user, firm=request.firm)
    return bool(membership and membership.is_admin)


@firm_required
def items(request: AuthenticatedFirmRequest, pc_project_id: str) -> HttpResponse:
    link = link_get(firm=request.firm, pc_project_id=pc_project_id)
    filters = ItemFilters.of(request.GET.dict())
    page = link_items_page(link=link, filters=filters, page=request.GET.get("page", "1"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "link": link,
        "project": link.project,
        "page": page,
        "filters": filters,
        "states": STATES,
        "reviewers": link_reviewers(link=link),
        "query": query.urlencode(),
        "can_act": _is_firm_admin(request),
    }
    return render(request, "connect/items.html", context)


def _response_action(action: Action, done: str, nothing: str) -> Callable[..., HttpResponse]:
    @firm_required
    @require_POST
    def view(request: AuthenticatedFirmRequest, pc_project_id: str, response_id: int) -> HttpResponse:
        link = link_get(firm=request.firm, pc_project_id=pc_project_id)
        response = link_response_get(firm=request.firm, link=link, response_id=response_id)
        if not _is_firm_admin(request):
            raise PermissionDenied("Only the firm's administrators can retry or dismiss responses.")
        acted = response_act(response=response, action=action, prefix="response", actor=request.user, request=request)
        (messages.success if acted else messages.info)(request, done if acted else nothing)
        # Back to the same filters and page: only a query string is taken, never another address.
        back = request.POST.get("back", "")
        return redirect(reverse("connect:items", args=[pc_project_id]) + (back if back.startswith("?") else ""))

    return view


response_retry = _response_action(
    "retry",
    "The response is queued to be sent again; its delivery status below follows it.",
    "Only a failed or dismissed response can be retried; this one was not.",
)
response_dismiss = _response_action(
    "dismiss",
    "The response is dismissed: the portal stops trying to send it. Record it in the provider yourself if needed.",
    "This response was already delivered or dismissed; nothing changed.",
)
