"""Reads about mapping tables and keyword lists. Firm-owned rows are reached through the firm or a firm's object."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

from connector_portal.models import Connector, Firm, ProjectCenterProject
from connector_portal.tenancy import scoped
from mappings.constants import SHIPPED_DEFAULTS, normalise
from mappings.keywords import KeywordCheck, KeywordInput, check_keyword_lists, record_a_response_keywords
from mappings.matching import MappingCheck, check_rows, resolve, suggest, translate
from mappings.models import KeywordEntry, KeywordList, MappingRow, MappingTable
from providers.types import ResponseOption


def provider_label(provider: str) -> str:
    return Connector(provider).label


def default_table_get(*, firm: Firm, provider: str) -> MappingTable | None:
    """The firm's own default table for a provider, or None when it uses the product's shipped defaults."""
    return scoped(MappingTable.objects.all(), firm=firm).filter(provider=provider, is_default=True).first()


def default_choices(*, firm: Firm, provider: str) -> dict[str, str]:
    """Keyword -> standard meaning a new connection starts from: the firm's defaults, else the shipped ones."""
    table = default_table_get(firm=firm, provider=provider)
    shipped = dict(SHIPPED_DEFAULTS[provider])
    if table is None:
        return shipped
    own = {row.keyword: row.standard for row in table.rows.all()}
    # A default keyword missing from the firm's table (a row deleted in admin) falls back to the shipped meaning.
    mine = {normalise(k) for k in own}
    return {**{k: v for k, v in shipped.items() if normalise(k) not in mine}, **own}


def table_rows(*, table: MappingTable) -> list[MappingRow]:
    return list(table.rows.order_by("position", "id"))


def keyword_lists_get(*, project: ProjectCenterProject) -> dict[str, KeywordList | None]:
    """List kind -> the project's keyword list (None when never received), entries prefetched."""
    lists = scoped(KeywordList.objects.prefetch_related("entries"), firm=project.firm).filter(project_id=project.pk)
    found = {kl.kind: kl for kl in lists}
    return {kind: found.get(kind) for kind in KeywordList.Kind.values}


def _inputs(keyword_list: KeywordList | None) -> list[KeywordInput] | None:
    if keyword_list is None:
        return None
    return [KeywordInput(name=e.name, type=e.type) for e in keyword_list.entries.all()]


def response_keywords(*, project: ProjectCenterProject) -> list[str]:
    """The project's Record a Response keywords, in Project Center's order.

    They come from the project's Submittal Action list when it holds any; a list without them (or no list yet)
    means the project uses Project Center's default keywords.
    """
    return response_keywords_of_projects(firm=project.firm, project_ids=[project.pk])[project.pk]


def keyword_check(*, project: ProjectCenterProject) -> KeywordCheck:
    lists = keyword_lists_get(project=project)
    return check_keyword_lists({kind: _inputs(kl) for kind, kl in lists.items()})


def held_kinds(*, project: ProjectCenterProject) -> dict[str, str]:
    """Item kind ("submittal", "rfi") -> why syncing it is held for this project. Empty when nothing is held.

    The sync engine skips a held kind without counting it as a failure, and syncs it again once the keyword is there.
    """
    return keyword_check(project=project).held_kinds()


def response_keywords_of_projects(*, firm: Firm, project_ids: Collection[int]) -> dict[int, list[str]]:
    """Project id -> its Record a Response keywords (as `response_keywords`), for many projects in one query."""
    entries: dict[int, list[KeywordInput]] = defaultdict(list)
    for project_id, name, type_ in (
        scoped(KeywordEntry.objects.all(), firm=firm)
        .filter(keyword_list__project_id__in=set(project_ids), keyword_list__kind=KeywordList.Kind.SUBMITTAL_ACTION)
        .order_by("position", "id")
        .values_list("keyword_list__project_id", "name", "type")
    ):
        entries[project_id].append(KeywordInput(name=name, type=type_))
    return {project_id: record_a_response_keywords(entries[project_id]) for project_id in project_ids}


def table_check(*, table: MappingTable, keywords: Sequence[str], options: Sequence[ResponseOption]) -> MappingCheck:
    """Every keyword of a table against the provider's live options: renamed, gone, unmapped, stale."""
    return check_rows(
        rows=table_rows(table=table), keywords=keywords, options=options, provider_label=provider_label(table.provider)
    )


def table_translate(
    *, table: MappingTable, keywords: Sequence[str], keyword: str, options: Sequence[ResponseOption]
) -> ResponseOption:
    """The provider response to post for a Project Center keyword; raises TranslationError with what to do."""
    return translate(check=table_check(table=table, keywords=keywords, options=options), keyword=keyword)


def mapping_initial(
    *,
    firm: Firm,
    provider: str,
    keywords: Sequence[str],
    options: Sequence[ResponseOption],
    table: MappingTable | None = None,
) -> dict[str, str]:
    """Keyword -> option id to preselect: the table's saved choice when it still resolves, else the defaults."""
    saved = {normalise(r.keyword): r for r in table_rows(table=table)} if table is not None else {}
    defaults = {normalise(k): s for k, s in default_choices(firm=firm, provider=provider).items()}
    initial: dict[str, str] = {}
    for keyword in keywords:
        row = saved.get(normalise(keyword))
        if row is not None:
            option = resolve(standard=row.standard, saved_id=row.response_id, options=options)
        else:
            standard = defaults.get(normalise(keyword)) or normalise(keyword)  # a custom keyword named like a meaning
            option = suggest(keyword=keyword, standard=standard, options=options)
        if option is not None:
            initial[keyword] = option.id
    return initial
