"""Reading the providers' answers: the helpers every provider module shares to turn JSON into the portal's types.

Times and ranges (`utc_text`, `parse_time`, `parse_date`, `FAR_FUTURE`), listings and their pages (`expect_list`,
`require`, `total_of`, `counted`), revisions (`link_revisions`), RFI answers already posted (`holds_answer`,
`same_text`, `person_id`) and the token endpoint's answer (`token_set`). Each raises UnexpectedAnswer (in the
provider's name, `label`) when an answer is unusable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from django.utils import timezone

from providers.errors import UnexpectedAnswer
from providers.http import requests_sent
from providers.types import ItemPage, ProviderItem, TokenSet

# The open end of an `updated_at` range: the providers take a closed range, and nothing is updated after this.
FAR_FUTURE = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


def utc_text(moment: dt.datetime) -> str:
    """A time as the providers' filters take it: UTC, whole seconds (rounded down, so the range stays inclusive)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: Any, *, label: str) -> dt.datetime:
    """A provider's ISO-8601 timestamp as an aware UTC datetime; UnexpectedAnswer when it is missing or unreadable."""
    try:
        moment = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise UnexpectedAnswer.for_provider(label, detail=f"unreadable time {str(value)[:40]!r}") from exc
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def parse_date(value: Any) -> dt.date | None:
    """A due date (a date, or a timestamp whose date part counts); None when absent or unreadable."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


P = TypeVar("P")


def counted(pages: Iterator[ItemPage[P]]) -> Iterator[ItemPage[P]]:
    """The pages with `calls` set to the requests sent while each was fetched (retries, token refreshes and extra
    look-ups included; the caller's own work between pages is not). Requests sent after the last page, or when there
    was none, are reported on one more, empty, page so that no request goes uncounted."""
    while True:
        before = requests_sent()
        try:
            page = next(pages)
        except StopIteration:
            if requests_sent() > before:
                yield ItemPage(calls=requests_sent() - before)
            return
        page.calls = requests_sent() - before
        yield page


def total_of(value: Any) -> int | None:
    """A listing's size as the provider gives it (a number, or text like Procore's `Total` header); None when absent
    or unreadable."""
    if isinstance(value, bool):
        return None
    try:
        total = int(value)
    except (TypeError, ValueError):
        return None
    return total if total >= 0 else None


def link_revisions(items: list[ProviderItem]) -> list[ProviderItem]:
    """Set `predecessor_id` where the same page holds an earlier revision (same number, lower revision)."""
    by_number: dict[str, list[ProviderItem]] = {}
    for item in items:
        if item.revision.isdigit():
            by_number.setdefault(item.number, []).append(item)
    linked = []
    for item in items:
        earlier = [
            other
            for other in by_number.get(item.number, [])
            if item.revision.isdigit() and int(other.revision) < int(item.revision)
        ]
        if earlier and not item.predecessor_id:
            previous = max(earlier, key=lambda other: int(other.revision))
            item = replace(item, predecessor_id=previous.provider_id)
        linked.append(item)
    return linked


def object_or_empty(value: Any) -> dict[str, Any]:
    """A JSON object as it is; anything else (absent, null, a list) as an empty one."""
    return value if isinstance(value, dict) else {}


def expect_list(body: Any, *, label: str, key: str | None = None) -> list[dict[str, Any]]:
    """The list of objects in an answer (optionally under `key`), or UnexpectedAnswer."""
    if key is not None:
        body = body.get(key) if isinstance(body, dict) else None
    if not isinstance(body, list) or not all(isinstance(entry, dict) for entry in body):
        raise UnexpectedAnswer.for_provider(label, detail=f"expected a list{f' under {key!r}' if key else ''}")
    return body


def same_text(stored: Any, sent: str) -> bool:
    """Whether text a provider stored is the text the portal sent: providers trim and re-wrap whitespace."""
    return isinstance(stored, str) and " ".join(stored.split()) == " ".join(sent.split())


def person_ids(*people: Any) -> set[str]:
    """The ids of people given as objects, lists of objects or None (ball-in-court, assignees, approvers)."""
    found: set[str] = set()
    for entry in people:
        for person in entry if isinstance(entry, list) else [entry]:
            if isinstance(person, dict) and person.get("id") is not None:
                found.add(str(person["id"]))
    return found


def holders(receiving: Sequence[str], people: set[str]) -> tuple[str, ...]:
    """The receiving users among `people`, in the order the receiving users were given."""
    return tuple(user_id for user_id in receiving if user_id in people)


def person_id(value: Any) -> str:
    """The id of a person given as an id or as an object with `id` ('' when neither)."""
    if isinstance(value, dict):
        value = value.get("id")
    return "" if value is None or isinstance(value, bool | dict | list) else str(value)


def holds_answer(
    answers: Any, *, user_id: str, body: str, authors: tuple[str, ...], texts: tuple[str, ...]
) -> dict[str, Any] | None:
    """The answer in a provider's list of RFI answers by `user_id` whose text is `body` (None when there is none):
    how a retried answer whose first POST reached the provider (its answer lost) is recognised, and what it became.
    `authors` and `texts` name the answer's fields to read, first found first."""
    for answer in answers if isinstance(answers, list) else []:
        if not isinstance(answer, dict):
            continue
        author = next((person_id(answer.get(key)) for key in authors if person_id(answer.get(key))), "")
        if author == user_id and any(same_text(answer.get(key), body) for key in texts):
            return answer
    return None


def require(entry: dict[str, Any], name: str, *, label: str) -> Any:
    value = entry.get(name)
    if value in (None, ""):
        raise UnexpectedAnswer.for_provider(label, detail=f"answer without {name!r}")
    return value


def token_set(body: Any, *, label: str) -> TokenSet:
    """A token endpoint's answer as a TokenSet (`expires_in` seconds from now, when given); UnexpectedAnswer without
    both tokens."""
    if not isinstance(body, dict) or not body.get("access_token") or not body.get("refresh_token"):
        raise UnexpectedAnswer.for_provider(label, detail="token answer without access_token/refresh_token")
    expires_at = None
    try:
        expires_in = int(body.get("expires_in") or 0)
    except (TypeError, ValueError):
        expires_in = 0
    if expires_in > 0:
        expires_at = timezone.now() + dt.timedelta(seconds=expires_in)
    return TokenSet(
        access_token=str(body["access_token"]), refresh_token=str(body["refresh_token"]), expires_at=expires_at
    )
