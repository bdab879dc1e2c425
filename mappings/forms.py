"""Forms for mapping tables and keyword lists, reused by the configure wizard and the connection page.

The mapping forms only collect choices; saving goes through mappings.services, whose ValidationError is put back on
the form with `add_service_errors` so that the person sees it beside the keyword it concerns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField

from connector_portal.models import Firm
from mappings.constants import PROVIDER_STANDARDS, normalise, standard_label
from mappings.keywords import KeywordInput
from mappings.matching import MappingCheck, RowCheck, check_rows
from mappings.models import KeywordList, MappingTable
from mappings.selectors import mapping_initial, provider_label, table_rows
from providers.types import ResponseOption

KEYWORD_TYPES_DATALIST_ID = "keyword-types"


@dataclass(frozen=True)
class MappingFormRow:
    keyword: str
    field: BoundField
    flag: RowCheck | None
    note_id: str

    @property
    def display(self) -> str:
        """The chosen response as text, for read-only tables."""
        value = self.field.value()
        field = self.field.field
        # A ChoiceField normalises its choices to (value, label) pairs.
        choices = cast("list[tuple[Any, Any]]", field.choices) if isinstance(field, forms.ChoiceField) else []
        return next((str(label) for key, label in choices if key and str(key) == str(value)), "—")


class KeywordChoiceForm(forms.Form):
    """One required select per Project Center keyword. Field names are positional; keywords can hold any text."""

    blank_label = "Choose a response"

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        keywords: Sequence[str],
        choices: Sequence[tuple[str, str]],
        initial_choices: Mapping[str, str] | None = None,
        flags: MappingCheck | None = None,
        prefix: str | None = None,
    ) -> None:
        super().__init__(data, prefix=prefix)
        self.keywords = list(keywords)
        self.flags = flags
        initial = {normalise(k): v for k, v in (initial_choices or {}).items()}
        for index, keyword in enumerate(self.keywords):
            name = f"keyword_{index}"
            self.fields[name] = forms.ChoiceField(
                label=keyword,
                choices=[("", self.blank_label), *choices],
                initial=initial.get(normalise(keyword), ""),
                error_messages={"required": f"Choose a response for “{keyword}”."},
            )
            assert isinstance(self.auto_id, str)  # Django's "id_%s", never turned off here
            self.fields[name].widget.attrs["aria-describedby"] = f"{self.auto_id % self.add_prefix(name)}-note"

    def _name(self, keyword: str) -> str | None:
        for index, known in enumerate(self.keywords):
            if normalise(known) == normalise(keyword):
                return f"keyword_{index}"
        return None

    def rows(self) -> list[MappingFormRow]:
        rows = []
        for index, keyword in enumerate(self.keywords):
            bound = self[f"keyword_{index}"]
            flag = self.flags.for_keyword(keyword) if self.flags else None
            rows.append(MappingFormRow(keyword=keyword, field=bound, flag=flag, note_id=f"{bound.auto_id}-note"))
        return rows

    def has_notes(self) -> bool:
        """Whether any row has something to say (an error, a renamed or missing response): the table shows its
        Notes column only then, rather than an always-empty one."""
        return any(row.field.errors or (row.flag and row.flag.is_flagged) for row in self.rows())

    def stale_flags(self) -> list[RowCheck]:
        """Saved rows whose keyword Project Center no longer has; shown so they are not dropped unseen."""
        return [r for r in (self.flags.rows if self.flags else ()) if r.status == "stale"]

    def chosen(self) -> dict[str, str]:
        """Keyword -> chosen value, after is_valid()."""
        return {keyword: self.cleaned_data[f"keyword_{i}"] for i, keyword in enumerate(self.keywords)}

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's ValidationError (keyword -> message) beside the keywords it names."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, messages in error.message_dict.items():
            name = self._name(key)
            for message in messages:
                self.add_error(name, message)


class MappingForm(KeywordChoiceForm):
    """A connection's mapping: each keyword -> one of the provider's current response options (shown by name)."""

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        provider: str,
        keywords: Sequence[str],
        options: Sequence[ResponseOption],
        initial_choices: Mapping[str, str] | None = None,
        flags: MappingCheck | None = None,
        prefix: str | None = "mapping",
        label: str = "",
    ) -> None:
        self.provider = provider
        self.provider_label = label or provider_label(provider)
        self.options = list(options)
        super().__init__(
            data,
            keywords=keywords,
            choices=[(o.id, o.name) for o in options],
            initial_choices=initial_choices,
            flags=flags,
            prefix=prefix,
        )

    @classmethod
    def for_table(
        cls,
        data: Mapping[str, Any] | None = None,
        *,
        table: MappingTable,
        keywords: Sequence[str],
        options: Sequence[ResponseOption],
        prefix: str | None = "mapping",
        label: str = "",
    ) -> MappingForm:
        """Edit a connection's saved table: saved choices preselected, renamed / gone responses flagged. `label` is
        what the connection's pages call the provider (Autodesk's product name for the project)."""
        label = label or provider_label(table.provider)
        flags = check_rows(rows=table_rows(table=table), keywords=keywords, options=options, provider_label=label)
        initial = mapping_initial(
            firm=table.firm, provider=table.provider, keywords=keywords, options=options, table=table
        )
        return cls(
            data,
            provider=table.provider,
            keywords=keywords,
            options=options,
            initial_choices=initial,
            flags=flags,
            prefix=prefix,
            label=label,
        )

    @classmethod
    def for_new_link(
        cls,
        data: Mapping[str, Any] | None = None,
        *,
        firm: Firm,
        provider: str,
        keywords: Sequence[str],
        options: Sequence[ResponseOption],
        prefix: str | None = "mapping",
        label: str = "",
    ) -> MappingForm:
        """The configure page's mapping before the link exists: prefilled from the firm's (or shipped) defaults."""
        initial = mapping_initial(firm=firm, provider=provider, keywords=keywords, options=options)
        return cls(
            data,
            provider=provider,
            keywords=keywords,
            options=options,
            initial_choices=initial,
            prefix=prefix,
            label=label,
        )


class DefaultMappingForm(KeywordChoiceForm):
    """A firm's default table for a provider: each keyword -> a standard meaning the provider knows."""

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        provider: str,
        keywords: Sequence[str],
        initial_choices: Mapping[str, str] | None = None,
        prefix: str | None = "defaults",
    ) -> None:
        self.provider = provider
        self.provider_label = provider_label(provider)
        choices = [(s, standard_label(s)) for s in PROVIDER_STANDARDS[provider]]
        super().__init__(data, keywords=keywords, choices=choices, initial_choices=initial_choices, prefix=prefix)


class KeywordEntryForm(forms.Form):
    name = forms.CharField(label="Keyword", max_length=255, required=False)
    type = forms.CharField(
        label="Type",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"list": KEYWORD_TYPES_DATALIST_ID}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        name, type_ = (data.get("name") or "").strip(), (data.get("type") or "").strip()
        deleting = data.get("DELETE")
        if not deleting and bool(name) != bool(type_):
            raise ValidationError("Enter both the keyword and its type, or leave both empty.")
        return data


class BaseKeywordListFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove"

    def entries(self) -> list[KeywordInput]:
        """The list as it should be saved: filled, not-removed rows in page order. After is_valid()."""
        kept: list[KeywordInput] = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            name, type_ = (data.get("name") or "").strip(), (data.get("type") or "").strip()
            if name and type_:
                kept.append(KeywordInput(name=name, type=type_))
        return kept


KeywordListFormSet = cast(
    type[BaseKeywordListFormSet],
    forms.formset_factory(
        KeywordEntryForm, formset=BaseKeywordListFormSet, extra=3, can_delete=True, max_num=500, validate_max=True
    ),
)


def keyword_list_formset(
    *, kind: str, keyword_list: KeywordList | None, data: Mapping[str, Any] | None = None
) -> BaseKeywordListFormSet:
    """The editor for one keyword list: its entries plus three blank rows to add to; the prefix is the list kind."""
    initial = [{"name": e.name, "type": e.type} for e in keyword_list.entries.all()] if keyword_list else []
    return KeywordListFormSet(data, initial=initial, prefix=kind)
