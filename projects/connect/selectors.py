"""Reads for the connect wizard: what the firm may connect, and the pieces a wizard step works on."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from connector_portal.models import Connector, Firm, ProjectCenterProject
from connector_portal.selectors import firm_licence
from connector_portal.tenancy import get_for_firm_or_404
from projects.models import ProjectLink
from providers.models import ProviderAccount

# The order and names of the product's documented step 2.
CONNECTOR_ORDER = [Connector.PROCORE, Connector.CONSTRUCTEX, Connector.AUTODESK]
LICENCE_REASON = (
    "The installed licence key does not include the {label} connector. Contact support for an updated licence key."
)


@dataclass(frozen=True)
class ConnectorChoice:
    key: str
    label: str
    allowed: bool
    reason: str
    start_url: str


def connector_choices(*, firm: Firm, project: ProjectCenterProject) -> list[ConnectorChoice]:
    licence = firm_licence(firm=firm)
    choices = []
    for connector in CONNECTOR_ORDER:
        allowed = licence is not None and licence.allows(connector)
        choices.append(
            ConnectorChoice(
                key=connector.value,
                label=connector.label,
                allowed=allowed,
                reason="" if allowed else LICENCE_REASON.format(label=connector.label),
                start_url=start_url(
                    provider=connector.value,
                    project=project,
                    next_url=reverse("connect:company", args=[project.pc_project_id]),
                ),
            )
        )
    return choices


def start_url(*, provider: str, project: ProjectCenterProject, next_url: str, choose_account: bool = False) -> str:
    """The provider sign-in (`sign_in`: it checks the project), returning to `next_url` with ?account=<id>;
    `choose_account` asks the provider to let the person sign in as someone else."""
    params = {"project": project.pc_project_id, "next": next_url, **({"switch": "1"} if choose_account else {})}
    query = urlencode(params)
    return f"{reverse('providers:start', args=[provider])}?{query}"


def wizard_account(*, request: HttpRequest, firm: Firm) -> ProviderAccount:
    """The provider account the user just connected: theirs, in this firm. Anything else is not found."""
    account_id = request.GET.get("account") or request.POST.get("account")
    if not account_id:
        raise Http404("No provider account was chosen.")
    return get_for_firm_or_404(ProviderAccount.objects.all(), firm=firm, pk=account_id, user=request.user)


def link_get(*, firm: Firm, pc_project_id: str) -> ProjectLink:
    return get_for_firm_or_404(
        ProjectLink.objects.select_related("project", "account"), firm=firm, project__pc_project_id=pc_project_id
    )


def link_exists(*, project: ProjectCenterProject) -> bool:
    """Whether the Project Center project is connected (the project is already the firm's own)."""
    return ProjectLink.objects.filter(firm=project.firm, project=project).exists()
