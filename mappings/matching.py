"""Matching saved mapping rows against a provider's live response options. Pure functions: no database, no HTTP.

A row is matched on its standard meaning, which survives a company renaming its responses. The id seen at the last save
breaks ties when the provider offers several responses with the same meaning (Autodesk groups many under three).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from mappings.constants import normalise, standard_label
from providers.types import ResponseOption

RowStatus = Literal["ok", "renamed", "missing", "ambiguous", "unmapped", "stale"]
PROBLEM_STATUSES: frozenset[str] = frozenset({"missing", "ambiguous", "unmapped"})


class RowLike(Protocol):
    @property
    def keyword(self) -> str: ...
    @property
    def standard(self) -> str: ...
    @property
    def response_id(self) -> str: ...
    @property
    def response_name(self) -> str: ...


@dataclass(frozen=True)
class RowCheck:
    """What became of one keyword's mapping at the provider, with a sentence for the connection page."""

    keyword: str
    standard: str
    saved_id: str
    saved_name: str
    current: ResponseOption | None
    status: RowStatus
    message: str = ""

    @property
    def is_problem(self) -> bool:
        """Responses with this keyword cannot be sent until a person chooses again."""
        return self.status in PROBLEM_STATUSES

    @property
    def is_flagged(self) -> bool:
        return self.status != "ok"


@dataclass(frozen=True)
class MappingCheck:
    """Every keyword of a mapping table checked against the provider's current options."""

    rows: tuple[RowCheck, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problems(self) -> tuple[RowCheck, ...]:
        return tuple(r for r in self.rows if r.is_problem)

    @property
    def flagged(self) -> tuple[RowCheck, ...]:
        return tuple(r for r in self.rows if r.is_flagged)

    def for_keyword(self, keyword: str) -> RowCheck | None:
        return next((r for r in self.rows if normalise(r.keyword) == normalise(keyword)), None)


class TranslationError(ValueError):
    """A Project Center keyword that cannot be turned into a provider response; the message says what to do."""


def options_with_standard(options: Iterable[ResponseOption], standard: str) -> list[ResponseOption]:
    wanted = normalise(standard)
    return [o for o in options if normalise(o.standard) == wanted]


def option_by_id(options: Iterable[ResponseOption], option_id: str) -> ResponseOption | None:
    return next((o for o in options if str(o.id) == str(option_id)), None)


def resolve(*, standard: str, saved_id: str, options: Sequence[ResponseOption]) -> ResponseOption | None:
    """The option a saved row means today: same id and meaning, else the only option with that meaning."""
    same = options_with_standard(options, standard)
    if saved_id:
        by_id = option_by_id(same, saved_id)
        if by_id is not None:
            return by_id
    return same[0] if len(same) == 1 else None


def suggest(*, keyword: str, standard: str, options: Sequence[ResponseOption]) -> ResponseOption | None:
    """A prefill for a row known only by meaning: a same-meaning option named like the keyword, else the first one."""
    same = options_with_standard(options, standard)
    for wanted in (normalise(keyword), normalise(standard)):
        named = [o for o in same if normalise(o.name) == wanted]
        if named:
            return named[0]
    return same[0] if same else None


def check_row(*, row: RowLike, options: Sequence[ResponseOption], provider_label: str) -> RowCheck:
    base = {"keyword": row.keyword, "standard": row.standard, "saved_id": row.response_id}
    saved_name = row.response_name
    if not row.standard:
        return RowCheck(
            **base,
            saved_name=saved_name,
            current=None,
            status="unmapped",
            message=f"“{row.keyword}” is not mapped yet. Choose the {provider_label} response it should send.",
        )
    shown = saved_name or standard_label(row.standard)
    current = resolve(standard=row.standard, saved_id=row.response_id, options=options)
    if current is not None:
        if saved_name and saved_name.strip() != current.name.strip():
            return RowCheck(
                **base,
                saved_name=saved_name,
                current=current,
                status="renamed",
                message=(
                    f"Renamed from “{saved_name}” to “{current.name}” in {provider_label}. The mapping still "
                    "matches on its meaning; save the mapping to confirm the new name."
                ),
            )
        return RowCheck(**base, saved_name=saved_name, current=current, status="ok")
    same = options_with_standard(options, row.standard)
    if not same:
        return RowCheck(
            **base,
            saved_name=saved_name,
            current=None,
            status="missing",
            message=(
                f"“{shown}” is no longer offered by {provider_label} for this project. "
                f"Choose another response for “{row.keyword}”."
            ),
        )
    names = ", ".join(f"“{o.name}”" for o in same)
    return RowCheck(
        **base,
        saved_name=saved_name,
        current=None,
        status="ambiguous",
        message=(
            f"{provider_label} offers several responses meaning “{standard_label(row.standard)}” ({names}). "
            f"Choose which one “{row.keyword}” should send."
        ),
    )


def check_rows(
    *,
    rows: Sequence[RowLike],
    keywords: Sequence[str],
    options: Sequence[ResponseOption],
    provider_label: str,
) -> MappingCheck:
    """Check each current keyword's row; keywords without a row are unmapped, rows without a keyword are stale."""
    by_keyword = {normalise(r.keyword): r for r in rows}
    wanted = {normalise(k) for k in keywords}
    checks: list[RowCheck] = []
    for keyword in keywords:
        row = by_keyword.get(normalise(keyword))
        if row is None:
            row = _Unmapped(keyword=keyword)
        checks.append(check_row(row=row, options=options, provider_label=provider_label))
    for row in rows:
        if normalise(row.keyword) not in wanted:
            checks.append(
                RowCheck(
                    keyword=row.keyword,
                    standard=row.standard,
                    saved_id=row.response_id,
                    saved_name=row.response_name,
                    current=None,
                    status="stale",
                    message=(
                        f"“{row.keyword}” is no longer a Record a Response keyword of this project in Project Center; "
                        "saving the mapping removes it."
                    ),
                )
            )
    return MappingCheck(rows=tuple(checks))


def translate(*, check: MappingCheck, keyword: str) -> ResponseOption:
    """The provider response to post for a Project Center keyword, or a TranslationError saying why not."""
    row = check.for_keyword(keyword)
    usable = [r.keyword for r in check.rows if r.current is not None and r.status != "stale"]
    if row is None or row.status == "stale":
        allowed = ", ".join(f"“{k}”" for k in usable) or "none (the mapping needs fixing first)"
        raise TranslationError(f"“{keyword}” is not a response keyword of this connection. Use one of: {allowed}.")
    if row.current is None:
        raise TranslationError(f"Cannot send “{keyword}”: {row.message} Then send the response again.")
    return row.current


@dataclass(frozen=True)
class _Unmapped:
    keyword: str
    standard: str = ""
    response_id: str = ""
    response_name: str = ""
