"""The connect wizard (Project Center's Configure button) and the connection page that follows it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from connector_portal.models import ProjectCenterProject, User
from connector_portal.selectors import is_firm_admin, project_get
from connector_portal.tenancy import AuthenticatedFirmRequest, FirmRequest
from connector_portal.views import firm_required, refuse_unless_firm_admin
from projects.connect import wiring
from projects.connect.forms import ConnectionSettingsForm
from projects.connect.selectors import connector_choices, link_exists, link_get, start_url, wizard_account
from projects.models import ProjectLink, SyncRun
from projects.selectors import link_reviewers, reviewer_of
from projects.services import links
from projects.templatetags.connect_words import pluralize_word
from providers import views as oauth_views
from providers.base import Provider
from providers.errors import ProviderError
from providers.models import ProviderAccount
from providers.types import Company, ProviderProject

T = TypeVar("T")


class StepFailed(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def _ask(request: HttpRequest, call: Callable[[], T], *, project: Any, provider_label: str) -> T:
    """Call the provider; a problem becomes the wizard's error page (what happened, what to do), nothing saved."""
    try:
        return call()
    except ProviderError as exc:
        raise StepFailed(
            render(
                request,
                "connect/problem.html",
                {"project": project, "message": exc.message, "provider_label": provider_label},
                status=502,
            )
        ) from exc


def _wizard_step(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapper(request: AuthenticatedFirmRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except StepFailed as failed:
            return failed.response

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return firm_required(wrapper)


def _step_url(name: str, pc_project_id: str, **query: str) -> str:
    return f"{reverse(name, args=[pc_project_id])}?{urlencode({k: v for k, v in query.items() if v})}"


def sign_in(request: FirmRequest, provider: str) -> HttpResponse:
    """/oauth/<provider>/start/?project=<pc_project_id>&next=<step>: the provider sign-in, started from the wizard.

    The providers' start page knows no project, so the project the link names is checked here (another firm's is not
    found and nothing is started) and only the step to come back to is handed on; that step finds the project again.
    """
    return oauth_views.start(request, provider, return_to=_sign_in_return)


def _sign_in_return(request: AuthenticatedFirmRequest) -> str:
    if pc_project_id := request.GET.get("project", ""):
        project_get(firm=request.firm, pc_project_id=pc_project_id)
    return oauth_views.safe_next(request)


@firm_required
def configure(request: AuthenticatedFirmRequest, pc_project_id: str) -> HttpResponse:
    """Steps 1 and 2: the page Project Center's Configure button opens; choose the connector type."""
    project = project_get(firm=request.firm, pc_project_id=pc_project_id)
    if link_exists(project=project):
        return redirect("connect:connection", pc_project_id)
    return render(
        request,
        "connect/configure.html",
        {
            "project": project,
            "connectors": connector_choices(firm=request.firm, project=project),
            "keyword_problems": wiring.keyword_problems(project),
        },
    )


@_wizard_step
def choose_company(request: AuthenticatedFirmRequest, pc_project_id: str) -> HttpResponse:
    """Step 4a: Procore companies / Autodesk hubs, when the user has several."""
    project = project_get(firm=request.firm, pc_project_id=pc_project_id)
    account = wizard_account(request=request, firm=request.firm)
    provider = wiring.provider_for_page(account.provider)
    if not provider.needs_company_choice:
        return redirect(_step_url("connect:project", pc_project_id, account=str(account.pk)))
    companies = _ask(
        request, lambda: provider.list_companies(account=account), project=project, provider_label=provider.label
    )
    if len(companies) == 1:
        return redirect(_step_url("connect:project", pc_project_id, account=str(account.pk), company=companies[0].id))
    return render(
        request,
        "connect/company.html",
        {
            "project": project,
            "account": account,
            "provider": provider,
            "companies": companies,
            "switch_url": _switch_url(provider, project),
        },
    )


def _switch_url(provider: Provider, project: ProjectCenterProject) -> str:
    """ "Sign in as someone else": the wizard's sign-in again, asking the provider who signs in this time."""
    next_url = reverse("connect:company", args=[project.pc_project_id])
    return start_url(provider=provider.key, project=project, next_url=next_url, choose_account=True)


def _company(provider: Any, account: Any, company_id: str, request: HttpRequest, project: Any) -> Company | None:
    if not provider.needs_company_choice:
        return None
    companies = _ask(
        request, lambda: provider.list_companies(account=account), project=project, provider_label=provider.label
    )
    for company in companies:
        if company.id == company_id:
            return company
    raise StepFailed(
        render(
            request,
            "connect/problem.html",
            {
                "project": project,
                "provider_label": provider.label,
                "message": f"Choose one of your {provider.label} {pluralize_word(provider.company_word)} first.",
                "retry_url": _step_url("connect:company", project.pc_project_id, account=str(account.pk)),
            },
            status=400,
        )
    )


@_wizard_step
def choose_project(request: AuthenticatedFirmRequest, pc_project_id: str) -> HttpResponse:
    """Steps 4b and 5: the provider projects this user can access; long lists can be searched."""
    project = project_get(firm=request.firm, pc_project_id=pc_project_id)
    account = wizard_account(request=request, firm=request.firm)
    provider = wiring.provider_for_page(account.provider)
    company = _company(provider, account, request.GET.get("company", ""), request, project)
    found = _ask(
        request,
        lambda: provider.list_projects(account=account, company_id=company.id if company else ""),
        project=project,
        provider_label=provider.label,
    )
    query = request.GET.get("q", "").strip()
    shown = [p for p in found if query.lower() in f"{p.number} {p.name}".lower()] if query else found
    return render(
        request,
        "connect/project.html",
        {
            "project": project,
            "account": account,
            "provider": provider,
            "company": company,
            "provider_projects": shown,
            "total": len(found),
            "q": query,
            "switch_url": _switch_url(provider, project),
        },
    )


def _provider_project(
    provider: Any, account: Any, company: Company | None, project_id: str, request: HttpRequest, project: Any
) -> ProviderProject:
    found = _ask(
        request,
        lambda: provider.list_projects(account=account, company_id=company.id if company else ""),
        project=project,
        provider_label=provider.label,
    )
    for candidate in found:
        if candidate.id == project_id:
            return candidate
    raise StepFailed(
        render(
            request,
            "connect/problem.html",
            {
                "project": project,
                "provider_label": provider.label,
                "message": f"That {provider.label} project is not one your account can access. "
                "Choose one from the list.",
                "retry_url": _step_url(
                    "connect:project",
                    project.pc_project_id,
                    account=str(account.pk),
                    company=company.id if company else "",
                ),
            },
            status=400,
        )
    )


@_wizard_step
@require_http_methods(["GET", "POST"])
def connection_settings(request: AuthenticatedFirmRequest, pc_project_id: str) -> HttpResponse:
    """Steps 6 and 7: Configure Project Connection (response mapping, item kinds, receiving user), then Save."""
    project = project_get(firm=request.firm, pc_project_id=pc_project_id)
    if link_exists(project=project):
        messages.info(request, "This project is already connected. Change its settings here.")
        return redirect("connect:connection", pc_project_id)
    params = request.POST if request.method == "POST" else request.GET
    account = wizard_account(request=request, firm=request.firm)
    provider = wiring.provider_for_page(account.provider)
    company = _company(provider, account, params.get("company", ""), request, project)
    provider_project = _provider_project(provider, account, company, params.get("project", ""), request, project)
    mapping = _ask(
        request,
        lambda: wiring.mapping_form(
            request,
            project=project,
            provider=provider,
            account=account,
            company=company,
            provider_project=provider_project,
            data=request.POST or None,
        ),
        project=project,
        provider_label=provider.label,
    )
    form = ConnectionSettingsForm(request.POST or None, provider_project=provider_project)
    if request.method == "POST" and form.is_valid() and mapping.is_valid():
        try:
            links.link_connect(
                project=project,
                account=account,
                company=company,
                provider_project=provider_project,
                sync_submittals=form.cleaned_data["sync_submittals"],
                sync_rfis=form.cleaned_data["sync_rfis"],
                **wiring.mapping_choices(mapping),
                actor=request.user,
                request=request,
            )
        except links.LinkExists:
            messages.info(request, "This project was already connected; nothing was changed.")
            return redirect("connect:connection", pc_project_id)
        except ValidationError as exc:
            mapping.add_service_errors(exc)
        else:
            messages.success(
                request,
                f"{project} is connected to {provider.label} {provider_project.name}. The first sync has been queued.",
            )
            return redirect("connect:connection", pc_project_id)
    return render(
        request,
        "connect/settings.html",
        {
            "project": project,
            "account": account,
            "provider": provider,
            "company": company,
            "provider_project": provider_project,
            "form": form,
            "mapping": mapping,
            "reviewer": reviewer_of(project=project, account=account),
        },
    )


@firm_required
def connection(request: AuthenticatedFirmRequest, pc_project_id: str) -> HttpResponse:
    """The connection page: status, recent syncs and everything that can be changed later."""
    link = link_get(firm=request.firm, pc_project_id=pc_project_id)
    reviewers = link_reviewers(link=link)
    lost = [r for r in reviewers if r.must_reconnect] if link.status != ProjectLink.Status.CONNECTION_LOST else []
    return render(
        request,
        "connect/connection.html",
        {
            "link": link,
            "can_manage": is_firm_admin(user=request.user, firm=request.firm),
            "project": link.project,
            "reconnect_url": start_url(
                provider=link.provider,
                project=link.project,
                next_url=reverse("connect:receiving_user", args=[pc_project_id]),
            ),
            "add_reviewer_url": start_url(
                provider=link.provider,
                project=link.project,
                next_url=reverse("connect:reviewer_add", args=[pc_project_id]),
            ),
            "reviewers": reviewers,
            "lost_reviewers": lost,
            "syncing_through": ", ".join(r.name for r in reviewers if not r.must_reconnect),
            "keyword_problems": wiring.keyword_problems(link.project),
            **wiring.connection_context(link),
        },
    )


def _link_action(act: Callable[..., str | None], done: str = "", admins_only: str = "") -> Callable[..., HttpResponse]:
    """A connection-page button: POST only, on the firm's own link, then back to the page with what happened.
    With `admins_only` (what the refusal says the member cannot do), only the firm's administrators may press it."""

    @firm_required
    @require_POST
    def view(request: AuthenticatedFirmRequest, pc_project_id: str) -> HttpResponse:
        link = link_get(firm=request.firm, pc_project_id=pc_project_id)
        if admins_only and (refused := refuse_unless_firm_admin(request, admins_only)):
            return refused
        said = act(link=link, actor=request.user, request=request)
        messages.success(request, said or done)
        return redirect("connect:connection", pc_project_id)

    return view


def _sync_now(*, link: ProjectLink, actor: User, request: HttpRequest) -> str:
    try:
        run = links.link_sync_now(link=link, actor_user=actor, request=request)
    except links.SyncRefused as refused:
        return refused.message
    if run.status == SyncRun.Status.RUNNING:
        return "A sync is already running; its progress is shown below."
    return "A sync has been queued; its progress is shown below."


pause = _link_action(
    links.link_pause, "Syncing is paused. Nothing is fetched or sent until you resume.", "pause this connection"
)
resume = _link_action(links.link_resume, "Syncing has resumed.", "resume this connection")
sync_now = _link_action(_sync_now)


@firm_required
@require_http_methods(["GET", "POST"])
def edit_mapping(request: AuthenticatedFirmRequest, pc_project_id: str) -> HttpResponse:
    link = link_get(firm=request.firm, pc_project_id=pc_project_id)
    if refused := refuse_unless_firm_admin(request, "change this connection's mapping or settings"):
        return refused
    data = request.POST or None
    try:
        mapping = wiring.link_mapping_form(request, link=link, data=data)
    except ProviderError as exc:
        return render(
            request,
            "connect/problem.html",
            {"project": link.project, "message": exc.message, "provider_label": link.provider_name},
            status=502,
        )
    kinds = ConnectionSettingsForm(data, link=link)
    if request.method == "POST" and mapping.is_valid() and kinds.is_valid():
        try:
            links.link_settings_save(
                link=link,
                sync_submittals=kinds.cleaned_data["sync_submittals"],
                sync_rfis=kinds.cleaned_data["sync_rfis"],
                **wiring.mapping_choices(mapping),
                actor=request.user,
                request=request,
            )
        except ValidationError as exc:
            mapping.add_service_errors(exc)
        else:
            messages.success(request, "The connection settings are saved.")
            return redirect("connect:connection", pc_project_id)
    context = {"link": link, "project": link.project, "mapping": mapping, "form": kinds}
    return render(request, "connect/edit_mapping.html", context)


@firm_required
@require_http_methods(["GET", "POST"])
def receiving_user(request: AuthenticatedFirmRequest, pc_project_id: str) -> HttpResponse:
    """After signing in again at the provider: confirm the reconnected account, or the switch to another person."""
    link = link_get(firm=request.firm, pc_project_id=pc_project_id)
    account = wizard_account(request=request, firm=request.firm)
    if account.provider != link.provider:
        messages.error(request, f"Sign in to {link.provider_name}, the provider this project is connected to.")
        return redirect("connect:connection", pc_project_id)
    if request.method == "GET":
        context = {"link": link, "project": link.project, "account": account, "same": account.pk == link.account_id}
        return render(request, "connect/receiving_user.html", context)
    refused = refuse_unless_on_team(request, link=link, account=account)
    if refused is not None:
        return refused
    who = account.name or account.email
    if account.pk == link.account_id:
        links.link_reconnect(link=link, actor=request.user, request=request)
    else:
        links.link_switch_receiving_user(link=link, account=account, actor=request.user, request=request)
    messages.success(request, f"{who} receives this project's submittals and RFIs.")
    return redirect("connect:connection", pc_project_id)


@firm_required
@require_http_methods(["GET", "POST"])
def disconnect(request: AuthenticatedFirmRequest, pc_project_id: str) -> HttpResponse:
    link = link_get(firm=request.firm, pc_project_id=pc_project_id)
    if refused := refuse_unless_firm_admin(request, "disconnect this project"):
        return refused
    if request.method == "POST":
        project = link.project
        links.link_disconnect(link=link, actor=request.user, request=request)
        messages.success(request, f"{project} is disconnected. Nothing more is synced for it.")
        return redirect("connect:configure", pc_project_id)
    return render(request, "connect/disconnect.html", {"link": link, "project": link.project})


def refuse_unless_on_team(
    request: AuthenticatedFirmRequest, *, link: ProjectLink, account: ProviderAccount
) -> HttpResponse | None:
    """None when `account` sees the link's provider project; otherwise the page that says why (a provider error, or
    not on the project's team). Switching and adding a receiving user both ask this before anything changes."""
    provider = wiring.provider_for_page(account.provider)
    try:
        visible = provider.list_projects(account=account, company_id=link.provider_company_id)
    except ProviderError as exc:
        context = {"project": link.project, "message": exc.message, "provider_label": provider.label}
        return render(request, "connect/problem.html", context, status=502)
    if any(p.id == link.provider_project_id for p in visible):
        return None
    messages.error(
        request,
        f"{account.name or account.email} is not on the team of {provider.label} project "
        f"{link.provider_project_name}. Ask a {provider.label} administrator to add them, "
        "or sign in as someone who is.",
    )
    return redirect("connect:connection", link.project.pc_project_id)
