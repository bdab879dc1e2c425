"""Writes to mapping tables and keyword lists. Each change is validated whole and recorded with before and after."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from connector_portal.models import Connector, Firm, ProjectCenterProject, ServiceAccountToken, User
from connector_portal.services import audit_record
from mappings.constants import DEFAULT_RESPONSE_KEYWORDS, PROVIDER_STANDARDS, normalise, standard_label
from mappings.keywords import KeywordCheck, KeywordInput
from mappings.matching import option_by_id, suggest
from mappings.models import KeywordEntry, KeywordList, MappingRow, MappingTable
from mappings.selectors import default_choices, keyword_check, provider_label
from mappings.signals import kinds_released
from providers.types import ResponseOption

NAME_MAX = KeywordEntry._meta.get_field("name").max_length or 255
TYPE_MAX = KeywordEntry._meta.get_field("type").max_length or 100


def _table_state(table: MappingTable) -> dict[str, Any]:
    rows = table.rows.order_by("position", "id")
    return {
        "provider": table.provider,
        "is_default": table.is_default,
        "rows": [
            {
                "keyword": r.keyword,
                "standard": r.standard,
                "response_id": r.response_id,
                "response_name": r.response_name,
            }
            for r in rows
        ],
    }


def _write_rows(table: MappingTable, rows: Sequence[dict[str, str]]) -> None:
    table.rows.all().delete()
    MappingRow.objects.bulk_create(
        MappingRow(table=table, firm_id=table.firm_id, position=i, **row) for i, row in enumerate(rows)
    )


def _check_keywords(chosen: Mapping[str, str], keywords: Sequence[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Match chosen keys to the expected keywords (case and spacing aside); returns (keyword -> value, errors)."""
    by_norm = {normalise(k): v for k, v in chosen.items()}
    expected = {normalise(k) for k in keywords}
    errors = {
        k: f"“{k}” is not a Record a Response keyword here; remove it." for k in chosen if normalise(k) not in expected
    }
    values: dict[str, str] = {}
    for keyword in keywords:
        value = (by_norm.get(normalise(keyword)) or "").strip()
        if value:
            values[keyword] = value
        else:
            errors[keyword] = f"Choose a response for “{keyword}”."
    return values, errors


def _rows_from_options(
    choices: Mapping[str, str], keywords: Sequence[str], options: Sequence[ResponseOption], label: str
) -> list[dict[str, str]]:
    values, errors = _check_keywords(choices, keywords)
    rows: list[dict[str, str]] = []
    for keyword, option_id in values.items():
        option = option_by_id(options, option_id)
        if option is None:
            errors[keyword] = (
                f"The response chosen for “{keyword}” is not offered by {label} for this project; "
                "choose one from the list."
            )
            continue
        rows.append(
            {
                "keyword": keyword,
                "standard": normalise(option.standard),
                "response_id": option.id,
                "response_name": option.name,
            }
        )
    if errors:
        raise ValidationError(errors)
    return rows


def _default_rows(
    firm: Firm, provider: str, keywords: Sequence[str], options: Sequence[ResponseOption] | None
) -> list[dict[str, str]]:
    defaults = {normalise(k): s for k, s in default_choices(firm=firm, provider=provider).items()}
    rows: list[dict[str, str]] = []
    for keyword in keywords:
        standard = defaults.get(normalise(keyword), "")
        option = suggest(keyword=keyword, standard=standard, options=options) if options and standard else None
        rows.append(
            {
                "keyword": keyword,
                "standard": standard,
                "response_id": option.id if option else "",
                "response_name": option.name if option else "",
            }
        )
    return rows


@transaction.atomic
def mapping_table_create(
    *,
    firm: Firm,
    provider: str,
    keywords: Sequence[str],
    options: Sequence[ResponseOption] | None = None,
    choices: Mapping[str, str] | None = None,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> MappingTable:
    """A new connection's mapping table for the project's Record a Response `keywords` (its holder attaches it).

    With `choices` (keyword -> provider option id, as the configure page's form posts them) and the live `options`,
    those choices are validated and saved. Without them the table is copied from the firm's defaults for the
    provider (else the shipped ones), matched to `options` when given; keywords with no default stay unmapped and
    are flagged on the connection page.
    """
    if choices is not None:
        rows = _rows_from_options(choices, keywords, options or (), provider_label(provider))
    else:
        rows = _default_rows(firm, provider, keywords, options)
    table = MappingTable.objects.create(firm=firm, provider=provider, updated_by=actor)
    _write_rows(table, rows)
    audit_record(
        action="mapping_table.create",
        firm=firm,
        actor_user=actor,
        target=table,
        after=_table_state(table),
        request=request,
    )
    return table


def _replace(
    table: MappingTable,
    rows: list[dict[str, str]],
    *,
    action: str,
    actor: User | None,
    actor_token: ServiceAccountToken | None,
    request: HttpRequest | None,
) -> MappingTable:
    before = _table_state(table)
    table.updated_by = actor
    if [dict(r) for r in before["rows"]] == rows:
        return table  # nothing changed: no write, no audit event (a repeated submit is harmless)
    _write_rows(table, rows)
    table.save(update_fields=["updated_by", "updated_at"])
    audit_record(
        action=action,
        firm=table.firm,
        actor_user=actor,
        actor_token=actor_token,
        target=table,
        before=before,
        after=_table_state(table),
        request=request,
    )
    return table


@transaction.atomic
def mapping_table_rows_replace(
    *,
    table: MappingTable,
    keywords: Sequence[str],
    choices: Mapping[str, str],
    options: Sequence[ResponseOption],
    actor: User | None = None,
    actor_token: ServiceAccountToken | None = None,
    request: HttpRequest | None = None,
) -> MappingTable:
    """Replace a connection's rows with `choices` (keyword -> provider option id) checked against the live `options`.

    Every one of the project's current Record a Response `keywords` must map to exactly one option the provider
    offers now; otherwise ValidationError with keyword -> message and nothing is saved.
    """
    if table.is_default:
        raise ValueError("Use firm_default_table_replace for a firm's default table.")
    table = MappingTable.objects.select_for_update().get(pk=table.pk)
    rows = _rows_from_options(choices, keywords, options, provider_label(table.provider))
    return _replace(table, rows, action="mapping_table.replace", actor=actor, actor_token=actor_token, request=request)


@transaction.atomic
def firm_default_table_replace(
    *,
    firm: Firm,
    provider: str,
    choices: Mapping[str, str],
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> MappingTable:
    """Set the firm's default table for a provider: keyword -> standard meaning, for every default keyword.

    Extra keywords (a firm's own Record a Response keywords) may be included. New connections copy this table.
    """
    if provider not in Connector.values:
        raise ValueError(f"Unknown provider {provider!r}.")
    keywords = list(DEFAULT_RESPONSE_KEYWORDS)
    extras = [k.strip() for k in choices if normalise(k) not in {normalise(d) for d in keywords} and k.strip()]
    values, errors = _check_keywords(choices, keywords + extras)
    allowed = PROVIDER_STANDARDS[provider]
    rows: list[dict[str, str]] = []
    for keyword, standard in values.items():
        if normalise(standard) not in allowed:
            options = ", ".join(standard_label(s) for s in allowed)
            errors[keyword] = (
                f"{provider_label(provider)} has no response meaning “{standard}”. Choose one of: {options}."
            )
            continue
        rows.append({"keyword": keyword, "standard": normalise(standard), "response_id": "", "response_name": ""})
    if errors:
        raise ValidationError(errors)
    table, _created = MappingTable.objects.select_for_update().get_or_create(
        firm=firm, provider=provider, is_default=True, defaults={"updated_by": actor}
    )
    return _replace(table, rows, action="mapping_defaults.replace", actor=actor, actor_token=None, request=request)


def _list_state(keyword_list: KeywordList | None) -> dict[str, Any] | None:
    if keyword_list is None:
        return None
    return {
        "kind": keyword_list.kind,
        "source": keyword_list.source,
        "entries": [{"name": e.name, "type": e.type} for e in keyword_list.entries.order_by("position", "id")],
    }


def _clean_entries(entries: Sequence[KeywordInput]) -> list[KeywordInput]:
    cleaned: list[KeywordInput] = []
    seen: set[tuple[str, str]] = set()
    errors: list[str] = []
    for number, entry in enumerate(entries, start=1):
        name, type_ = " ".join(entry.name.split()), " ".join(entry.type.split())
        if not name or not type_:
            errors.append(f"Keyword {number} needs both a name and a type.")
        elif len(name) > NAME_MAX or len(type_) > TYPE_MAX:
            errors.append(f"Keyword {number} is too long: names hold up to {NAME_MAX} and types {TYPE_MAX} characters.")
        elif (normalise(name), normalise(type_)) not in seen:  # an exact repeat adds nothing: keep the first
            seen.add((normalise(name), normalise(type_)))
            cleaned.append(KeywordInput(name=name, type=type_))
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def keyword_list_replace(
    *,
    project: ProjectCenterProject,
    kind: str,
    entries: Sequence[KeywordInput],
    source: str,
    actor: User | None = None,
    actor_token: ServiceAccountToken | None = None,
    request: HttpRequest | None = None,
) -> KeywordCheck:
    """Replace one of a project's keyword lists whole (an upload, or an edit in the portal) and check them again.

    Raises ValidationError (a list of messages) for an entry without a name or type. Returns the check of the
    project's lists after the change: its problems say which keyword of which type to add to which list.
    """
    if kind not in KeywordList.Kind.values:
        raise ValueError(f"Unknown keyword list {kind!r}.")
    if source not in KeywordList.Source.values:
        raise ValueError(f"Unknown keyword list source {source!r}.")
    cleaned = _clean_entries(entries)
    held_before = keyword_check(project=project).held_kinds()
    # Lock the project first: locking a list that does not exist yet would lock nothing, and two first uploads
    # at once would both try to create it.
    ProjectCenterProject.objects.select_for_update().filter(pk=project.pk).first()
    keyword_list = KeywordList.objects.select_for_update().filter(project_id=project.pk, kind=kind).first()
    before = _list_state(keyword_list)
    after = {"kind": kind, "source": source, "entries": [{"name": e.name, "type": e.type} for e in cleaned]}
    if before != after:
        if keyword_list is None:
            keyword_list = KeywordList(project_id=project.pk, firm_id=project.firm_id, kind=kind)
        keyword_list.source, keyword_list.updated_by = source, actor
        keyword_list.save()
        keyword_list.entries.all().delete()
        KeywordEntry.objects.bulk_create(
            KeywordEntry(keyword_list=keyword_list, firm_id=project.firm_id, name=e.name, type=e.type, position=i)
            for i, e in enumerate(cleaned)
        )
        audit_record(
            action="keyword_list.replace",
            firm=project.firm,
            actor_user=actor,
            actor_token=actor_token,
            target=keyword_list,
            before=before,
            after=after,
            request=request,
        )
    check = keyword_check(project=project)
    released = tuple(kind for kind in held_before if kind not in check.held_kinds())
    if released:
        # Once committed: the links above hear it and sync the released kinds now instead of at their next poll.
        transaction.on_commit(lambda: kinds_released.send(sender=KeywordList, project=project, kinds=released))
    return replace(check, released=released)
