"""The keyword-list checks: does Project Center hold the keywords it needs to log received items? Pure functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mappings.constants import (
    DEFAULT_RESPONSE_KEYWORDS,
    REQUIRED_KEYWORDS,
    TYPE_RECORD_A_RESPONSE,
    RequiredKeyword,
    normalise,
)

KIND_PLURAL = {"submittal": "Submittals", "rfi": "RFIs"}


@dataclass(frozen=True)
class KeywordInput:
    """One keyword as entered or uploaded: its name and its Project Center type."""

    name: str
    type: str


@dataclass(frozen=True)
class KeywordProblem:
    """A required keyword that is missing, with the sentence that tells a person exactly what to add where."""

    kind: str
    list_kind: str
    list_label: str
    keyword: str
    type: str
    message: str


@dataclass(frozen=True)
class KeywordCheck:
    problems: tuple[KeywordProblem, ...]
    # After a change: the item kinds that were held before it and are not any more (they sync at once).
    released: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def held_kinds(self) -> dict[str, str]:
        """Item kind -> why its sync is held."""
        return {p.kind: p.message for p in self.problems}

    def for_list(self, list_kind: str) -> tuple[KeywordProblem, ...]:
        return tuple(p for p in self.problems if p.list_kind == list_kind)


def _problem(required: RequiredKeyword, entries: Sequence[KeywordInput] | None) -> KeywordProblem | None:
    held = f"{KIND_PLURAL[required.kind]} are held (not failed) until it is there."
    add = (
        f"Add the keyword “{required.name}” with type “{required.type}” to the {required.list_label} keyword list "
        "in Project Center"
    )
    if entries is None:
        message = (
            f"Project Center has not sent this project's {required.list_label} keyword list yet. {add}, then upload "
            f"the keyword lists from Project Center or enter the list in the portal. {held}"
        )
    else:
        same_name = [e for e in entries if normalise(e.name) == normalise(required.name)]
        if any(normalise(e.type) == normalise(required.type) for e in same_name):
            return None
        if same_name:
            types = ", ".join(f"“{e.type}”" for e in same_name)
            message = (
                f"The {required.list_label} keyword list has “{required.name}” with type {types}, "
                f"not “{required.type}”. "
                f"{add}. {held}"
            )
        else:
            message = f"{add}. {held}"
    return KeywordProblem(
        kind=required.kind,
        list_kind=required.list_kind,
        list_label=required.list_label,
        keyword=required.name,
        type=required.type,
        message=message,
    )


def check_keyword_lists(lists: Mapping[str, Sequence[KeywordInput] | None]) -> KeywordCheck:
    """Check the lists (list kind -> entries, None when never received) for every required keyword."""
    problems = [_problem(req, lists.get(req.list_kind)) for req in REQUIRED_KEYWORDS]
    return KeywordCheck(problems=tuple(p for p in problems if p is not None))


def record_a_response_keywords(entries: Sequence[KeywordInput]) -> list[str]:
    """The Record a Response keywords of a Submittal Action list, in its order, once each; the defaults when none."""
    wanted = normalise(TYPE_RECORD_A_RESPONSE)
    keywords: list[str] = []
    seen: set[str] = set()
    for entry in entries:
        if normalise(entry.type) == wanted and normalise(entry.name) not in seen:
            seen.add(normalise(entry.name))
            keywords.append(entry.name)
    return keywords or list(DEFAULT_RESPONSE_KEYWORDS)
