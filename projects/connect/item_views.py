"""The connection's items page: each recently changed submittal and RFI with its files and where their download
stands, so a firm user sees what reached Project Center and why a file did not."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from connector_portal.tenancy import AuthenticatedFirmRequest
from connector_portal.views import firm_required
from projects.connect.selectors import link_get
from projects.selectors import RECENT_ITEMS, link_recent_items


@firm_required
def items(request: AuthenticatedFirmRequest, pc_project_id: str) -> HttpResponse:
    link = link_get(firm=request.firm, pc_project_id=pc_project_id)
    recent = link_recent_items(firm=request.firm, link=link)
    context = {"link": link, "project": link.project, "items": recent, "limit": RECENT_ITEMS}
    return render(request, "connect/items.html", context)
