"""Support admin for mapping tables and keyword lists; every change is audited by AuditedAdmin."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
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


class MappingTableForm(forms.ModelForm):
    class Meta:
        model = MappingTable
        fields = ["firm", "provider", "link"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        link, firm, provider = data.get("link"), data.get("firm"), data.get("provider")
        if link is not None and firm is not None and link.firm_id != firm.pk:
            self.add_error("link", "This connection belongs to another firm. Choose one of this firm's connections.")
        if link is not None and provider and link.provider != provider:
            self.add_error("provider", f"The connection is to {link.get_provider_display()}; choose that provider.")
        return data


@admin.register(MappingTable)
class MappingTableAdmin(AuditedAdmin[MappingTable]):
    form = MappingTableForm
    list_display = ["__str__", "firm", "provider", "is_default", "row_count", "updated_at", "updated_by"]
    list_filter = ["provider", ("link", admin.EmptyFieldListFilter), "firm"]
    list_select_related = ["firm", "link__project", "updated_by"]
    search_fields = ["firm__name", "link__project__name", "link__project__pc_project_id", "rows__keyword"]
    autocomplete_fields = ["firm"]
    raw_id_fields = ["link"]
    readonly_fields = ["updated_at", "updated_by"]
    inlines = [MappingRowInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[MappingTable]:
        return super().get_queryset(request).annotate(_rows=Count("rows"))

    @admin.display(description="Rows", ordering="_rows")
    def row_count(self, obj: MappingTable) -> int:
        return obj._rows  # type: ignore[attr-defined]

    @admin.display(description="Firm default", boolean=True)
    def is_default(self, obj: MappingTable) -> bool:
        return obj.is_default

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
