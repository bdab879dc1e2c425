"""Where the connect pages meet the mappings app and the sync engine: one small function per need."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest

from connector_portal.models import ProjectCenterProject
from connector_portal.tenancy import AuthenticatedFirmRequest
from mappings.forms import MappingForm
from mappings.selectors import keyword_check, response_keywords
from projects.models import ProjectLink
from projects.selectors import link_table_get, mapping_check, sync_status
from projects.services.mapping import mapping_table_create_for_link
from providers.base import Provider
from providers.errors import ProviderError
from providers.http import HttpClient
from providers.models import ProviderAccount
from providers.registry import get_provider, project_provider_label
from providers.types import Company, ProviderProject, ResponseOption

OPTIONS_CACHE_SECONDS = 300  # the connection page re-checks the mapping against the provider at most this often


def provider_for_page(key: str) -> Provider:
    """A provider client for calls made while a person waits for a page: few retries, short waits, never minutes."""
    return get_provider(key, http=HttpClient(timeout=(5.0, 10.0), max_attempts=2, max_wait=1.0))


class NoMapping:
    """Stands in for the mapping form where a project has no submittals to respond to (BIM 360 projects)."""

    options: Sequence[ResponseOption] = ()

    def is_valid(self) -> bool:
        return True

    def chosen(self) -> dict[str, str]:
        return {}

    def add_service_errors(self, error: Exception) -> None:
        raise error


def keyword_problems(project: ProjectCenterProject) -> list[str]:
    return [problem.message for problem in keyword_check(project=project).problems]


def mapping_form(
    request: AuthenticatedFirmRequest,
    *,
    project: ProjectCenterProject,
    provider: Provider,
    account: ProviderAccount,
    company: Company | None,
    provider_project: ProviderProject,
    data: Mapping[str, Any] | None,
) -> MappingForm | NoMapping:
    if not provider_project.supports_submittals:
        return NoMapping()
    options = provider.list_response_options(
        account=account, company_id=company.id if company else "", project_id=provider_project.id, kind="submittal"
    )
    return MappingForm.for_new_link(
        data,
        firm=request.firm,
        provider=provider.key,
        keywords=response_keywords(project=project),
        options=options,
        label=project_provider_label(provider.key, provider_project.facts),
    )


def mapping_choices(mapping: MappingForm | NoMapping) -> dict[str, Any]:
    """What `link_connect` takes from the settings page's mapping form (nothing: the defaults, for BIM 360)."""
    if isinstance(mapping, NoMapping):
        return {}
    return {"options": mapping.options, "choices": mapping.chosen()}


def live_options(link: ProjectLink, *, fresh: bool = False) -> list[ResponseOption]:
    key = f"link-options:{link.pk}:{link.account_id}"
    options = None if fresh else cache.get(key)
    if options is None:
        options = provider_for_page(link.provider).list_response_options(
            account=link.account,
            company_id=link.provider_company_id,
            project_id=link.provider_project_id,
            kind="submittal",
        )
        cache.set(key, options, OPTIONS_CACHE_SECONDS)
    return options


def link_mapping_form(
    request: HttpRequest, *, link: ProjectLink, data: Mapping[str, Any] | None
) -> MappingForm | NoMapping:
    if not link.supports_submittals:
        return NoMapping()
    table = link_table_get(firm=link.firm, link=link) or mapping_table_create_for_link(link=link)
    return MappingForm.for_table(
        data,
        table=table,
        keywords=response_keywords(project=link.project),
        options=live_options(link, fresh=True),
        label=link.provider_name,
    )


def connection_context(link: ProjectLink) -> dict[str, Any]:
    """What the connection page shows besides the link itself: mapping flags and the sync status panel."""
    context: dict[str, Any] = {"mapping_flags": [], "mapping_unchecked": ""}
    table = link_table_get(firm=link.firm, link=link)
    if table is not None and link.sync_submittals:
        try:
            check = mapping_check(table=table, options=live_options(link))
            context["mapping_flags"] = [row for row in check.rows if row.status != "ok"]
            context["mapping_rows"] = check.rows
        except ProviderError as exc:
            context["mapping_unchecked"] = exc.message
        except NotImplementedError:
            context["mapping_unchecked"] = "The provider's response options could not be checked."
    context["sync_status"] = sync_status(link=link)
    return context
