"""Portal pages: the firm's default mapping tables per provider, and a project's keyword lists."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from connector_portal.models import Connector, ProjectCenterProject
from connector_portal.selectors import is_firm_admin, project_get
from connector_portal.tenancy import AuthenticatedFirmRequest
from connector_portal.views import firm_required
from mappings.constants import DEFAULT_RESPONSE_KEYWORDS, KNOWN_KEYWORD_TYPES, normalise
from mappings.forms import KEYWORD_TYPES_DATALIST_ID, DefaultMappingForm, keyword_list_formset
from mappings.keywords import KIND_PLURAL, KeywordCheck
from mappings.models import KeywordList
from mappings.selectors import (
    default_choices,
    default_table_get,
    keyword_check,
    keyword_lists_get,
    provider_label,
    response_keywords,
)
from mappings.services import firm_default_table_replace, keyword_list_replace
from projects.selectors import project_link_get


def _is_firm_admin(request: AuthenticatedFirmRequest) -> bool:
    return is_firm_admin(user=request.user, firm=request.firm)


def _not_allowed(request: HttpRequest, what: str) -> HttpResponse:
    return render(request, "portal/admins_only.html", {"what": what}, status=403)


def _arriving(project: ProjectCenterProject, check: KeywordCheck) -> str:
    """What the user waits for once a list releases held kinds: the project's link syncs them at once."""
    link = project_link_get(firm=project.firm, project_id=project.pk)
    kinds = [KIND_PLURAL[kind] for kind in check.released if link is not None and kind in link.kinds]
    if not kinds:
        return ""
    return f" {' and '.join(kinds)} will arrive within a minute."


@firm_required
@require_GET
def defaults_index(request: AuthenticatedFirmRequest) -> HttpResponse:
    firm = request.firm
    providers = [
        {"value": value, "label": label, "customised": default_table_get(firm=firm, provider=value) is not None}
        for value, label in Connector.choices
    ]
    return render(
        request, "mappings/defaults_index.html", {"providers": providers, "can_edit": _is_firm_admin(request)}
    )


@firm_required
@require_http_methods(["GET", "POST"])
def defaults_edit(request: AuthenticatedFirmRequest, provider: str) -> HttpResponse:
    if provider not in Connector.values:
        raise Http404("No such provider.")
    firm = request.firm
    can_edit = _is_firm_admin(request)
    table = default_table_get(firm=firm, provider=provider)
    initial = default_choices(firm=firm, provider=provider)
    defaults = {normalise(k) for k in DEFAULT_RESPONSE_KEYWORDS}
    keywords = list(DEFAULT_RESPONSE_KEYWORDS) + [k for k in initial if normalise(k) not in defaults]
    label = provider_label(provider)
    if request.method == "POST":
        if not can_edit:
            return _not_allowed(request, f"change the default {label} mapping")
        form = DefaultMappingForm(request.POST, provider=provider, keywords=keywords, initial_choices=initial)
        if form.is_valid():
            try:
                firm_default_table_replace(
                    firm=firm, provider=provider, choices=form.chosen(), actor=request.user, request=request
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"Saved the default {label} mapping. New {label} connections start from it.")
                return redirect("mappings:defaults_edit", provider=provider)
    else:
        form = DefaultMappingForm(provider=provider, keywords=keywords, initial_choices=initial)
    context = {
        "form": form,
        "provider_label": label,
        "column": f"{label} response meaning",
        "can_edit": can_edit,
        "customised": table is not None,
        "table": table,
    }
    return render(request, "mappings/defaults_edit.html", context)


@firm_required
@require_http_methods(["GET", "POST"])
def project_keywords(request: AuthenticatedFirmRequest, pc_project_id: str) -> HttpResponse:
    project = project_get(firm=request.firm, pc_project_id=pc_project_id)
    can_edit = _is_firm_admin(request)
    lists = keyword_lists_get(project=project)
    posted = request.POST.get("list") if request.method == "POST" else None
    if request.method == "POST" and not can_edit:
        return _not_allowed(request, "change this project's keyword lists")
    if posted is not None and posted not in KeywordList.Kind.values:
        messages.error(request, "That keyword list does not exist. Choose one of the lists on this page.")
        return redirect("mappings:project_keywords", pc_project_id=project.pc_project_id)
    sections: list[dict[str, Any]] = []
    for kind, label in KeywordList.Kind.choices:
        data = request.POST if kind == posted else None
        formset = keyword_list_formset(kind=kind, keyword_list=lists[kind], data=data)
        sections.append({"kind": kind, "label": label, "list": lists[kind], "formset": formset, "errors": []})
    if posted is not None:
        section = next(s for s in sections if s["kind"] == posted)
        if section["formset"].is_valid():
            try:
                check = keyword_list_replace(
                    project=project,
                    kind=posted,
                    entries=section["formset"].entries(),
                    source=KeywordList.Source.PORTAL,
                    actor=request.user,
                    request=request,
                )
            except ValidationError as error:
                section["errors"] = error.messages
            else:
                messages.success(request, f"Saved the {section['label']} keyword list.{_arriving(project, check)}")
                return redirect("mappings:project_keywords", pc_project_id=project.pc_project_id)
    context = {
        "project": project,
        "sections": sections,
        "check": keyword_check(project=project),
        "response_keywords": response_keywords(project=project),
        "can_edit": can_edit,
        "keyword_types": KNOWN_KEYWORD_TYPES,
        "datalist_id": KEYWORD_TYPES_DATALIST_ID,
    }
    return render(request, "mappings/project_keywords.html", context)
