"""Support admin for mapping tables and keyword lists; every change is audited by AuditedAdmin."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, QuerySet
from django.forms import BaseModelForm
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from connector_portal.audit_admin import AuditedAdmin, admin_user
from mappings.constants import PROVIDER_STANDARDS, standard_label
from mappings.models import KeywordEntry, KeywordList, MappingRow, MappingTable

ALL_STANDARDS = sorted({s for standards in PROVIDER_STANDARDS.values() for s in standards})


class MappingRowForm(forms.ModelForm):
    standard = forms.ChoiceField(
        label="Provider response meaning", choices=[("", "---------")] + [(s, standard_label(s)) for s in ALL_STANDARDS]
    )

    class Meta:
        model = MappingRow
        fields = ["position", "keyword", "standard", "response_name", "response_id"]

    def __init__(self, *args: Any, parent_table: MappingTable | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The table being added or changed on the same page, with the provider just chosen for it.
        self.parent_table = parent_table

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        table = self.parent_table
        standard = data.get("standard")
        if table is not None and table.provider and standard and standard not in PROVIDER_STANDARDS[table.provider]:
            allowed = ", ".join(standard_label(s) for s in PROVIDER_STANDARDS[table.provider])
            self.add_error(
                "standard", f"{table.get_provider_display()} has no such response. Choose one of: {allowed}."
            )
        return data


class MappingRowFormSet(BaseInlineFormSet):
    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "parent_table": self.instance}


class MappingRowInline(admin.TabularInline):
    model = MappingRow
    form = MappingRowForm
    formset = MappingRowFormSet
    extra = 0
    fields = ["position", "keyword", "standard", "response_name", "response_id"]


def _link_of(table: MappingTable) -> Any:
    """The connection holding this table (a projects row, reached by its reverse name), or None for a default table."""
    try:
        return table.link
    except ObjectDoesNotExist:
        return None


class MappingTableForm(forms.ModelForm):
    class Meta:
        model = MappingTable
        fields = ["firm", "provider", "is_default"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None and not data.get("is_default"):
            # A table nobody holds would never be used: a connection's table is made when it is connected.
            self.add_error("is_default", "A table made here is the firm's default for its provider; tick the box.")
        return data


@admin.register(MappingTable)
class MappingTableAdmin(AuditedAdmin[MappingTable]):
    form = MappingTableForm
    list_display = ["name", "firm", "provider", "is_default", "row_count", "updated_at", "updated_by"]
    list_filter = ["provider", "is_default", "firm"]
    list_select_related = ["firm", "link__project", "updated_by"]
    search_fields = ["firm__name", "link__project__name", "link__project__pc_project_id", "rows__keyword"]
    autocomplete_fields = ["firm"]
    readonly_fields = ["connection", "updated_at", "updated_by"]
    inlines = [MappingRowInline]

    def get_readonly_fields(self, request: HttpRequest, obj: MappingTable | None = None) -> list[str]:
        # A connection's table keeps its connection's firm and provider, and is never a default.
        held = obj is not None and _link_of(obj) is not None
        return [*self.readonly_fields, *(["firm", "provider", "is_default"] if held else [])]

    def get_queryset(self, request: HttpRequest) -> QuerySet[MappingTable]:
        return super().get_queryset(request).annotate(_rows=Count("rows"))

    @admin.display(description="Mapping table")
    def name(self, obj: MappingTable) -> str:
        link = _link_of(obj)
        if link is None:
            return str(obj)
        return f"{obj.get_provider_display()} mapping of {link.project}"

    @admin.display(description="Connection")
    def connection(self, obj: MappingTable) -> str:
        link = _link_of(obj)
        return str(link) if link is not None else "—"

    @admin.display(description="Rows", ordering="_rows")
    def row_count(self, obj: MappingTable) -> int:
        return obj._rows  # type: ignore[attr-defined]

    def save_model(self, request: HttpRequest, obj: MappingTable, form: BaseModelForm, change: bool) -> None:
        obj.updated_by = admin_user(request)
        super().save_model(request, obj, form, change)


class KeywordEntryInline(admin.TabularInline):
    model = KeywordEntry
    extra = 3
    fields = ["position", "name", "type"]


@admin.register(KeywordList)
class KeywordListAdmin(AuditedAdmin[KeywordList]):
    list_display = ["__str__", "firm", "kind", "entry_count", "source", "updated_at", "updated_by"]
    list_filter = ["kind", "source", "firm"]
    list_select_related = ["firm", "project", "updated_by"]
    search_fields = ["project__name", "project__pc_project_id", "firm__name", "entries__name"]
    autocomplete_fields = ["project"]
    fields = ["project", "kind", "source", "updated_at", "updated_by"]
    readonly_fields = ["source", "updated_at", "updated_by"]
    inlines = [KeywordEntryInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[KeywordList]:
        return super().get_queryset(request).annotate(_entries=Count("entries"))

    @admin.display(description="Keywords", ordering="_entries")
    def entry_count(self, obj: KeywordList) -> int:
        return obj._entries  # type: ignore[attr-defined]

    def save_model(self, request: HttpRequest, obj: KeywordList, form: BaseModelForm, change: bool) -> None:
        # Whatever support staff type here is what the portal now believes Project Center holds.
        obj.source = KeywordList.Source.ADMIN
        obj.updated_by = admin_user(request)
        super().save_model(request, obj, form, change)
