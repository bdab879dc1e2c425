"""The connection page's receiving users: add one (signed in at the provider, same steps as the wizard), remove one."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from connector_portal.tenancy import AuthenticatedFirmRequest, get_for_firm_or_404
from connector_portal.views import firm_required
from projects.connect.selectors import link_get, wizard_account
from projects.connect.views import refuse_unless_on_team
from projects.models import LinkReviewer
from projects.selectors import link_reviewers, reviewer_of
from projects.services import links
from projects.services.reviewers import link_reviewer_add, link_reviewer_remove


@firm_required
@require_http_methods(["GET", "POST"])
def reviewer_add(request: AuthenticatedFirmRequest, pc_project_id: str) -> HttpResponse:
    """After a person signed in at the provider from “Add a receiving user” (or “Reconnect” next to a reviewer)."""
    link = link_get(firm=request.firm, pc_project_id=pc_project_id)
    account = wizard_account(request=request, firm=request.firm)
    if account.provider != link.provider:
        messages.error(request, f"Sign in to {link.provider_name}, the provider this project is connected to.")
        return redirect("connect:connection", pc_project_id)
    reviewers = link_reviewers(link=link)
    known = next((r for r in reviewers if r.account.pk == account.pk), None)
    if request.method == "GET":
        shown = known or reviewer_of(project=link.project, account=account)
        context = {"link": link, "project": link.project, "account": account, "known": known, "reviewer": shown}
        return render(request, "connect/reviewer_add.html", context)
    refused = refuse_unless_on_team(request, link=link, account=account)
    if refused is not None:
        return refused
    who = account.name or account.email
    if account.pk == link.account_id:
        links.link_reconnect(link=link, actor=request.user, request=request)
        messages.success(request, f"{who} is reconnected; their waiting responses go out now.")
    elif link_reviewer_add(link=link, account=account, actor=request.user, request=request):
        messages.success(request, f"{who} now also receives this project's submittals and RFIs.")
    else:
        messages.success(request, f"{who} is reconnected; their waiting responses go out now.")
    return redirect("connect:connection", pc_project_id)


@firm_required
@require_POST
def reviewer_remove(request: AuthenticatedFirmRequest, pc_project_id: str, reviewer_id: int) -> HttpResponse:
    link = link_get(firm=request.firm, pc_project_id=pc_project_id)
    reviewer = get_for_firm_or_404(
        LinkReviewer.objects.select_related("account"), firm=request.firm, pk=reviewer_id, link=link
    )
    who = reviewer.account.name or reviewer.account.email
    link_reviewer_remove(link=link, reviewer=reviewer, actor=request.user, request=request)
    messages.success(request, f"{who} no longer receives this project's items. Items already here stay.")
    return redirect("connect:connection", pc_project_id)
