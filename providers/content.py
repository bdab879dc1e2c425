"""Reading an item's content (ItemContent) from a provider's JSON: the lenient readers every provider module shares.

Content is what a reviewer reads, not what the sync depends on, so an odd value here (a date in another format, a
name given as a number) is read as empty rather than failing the page: the envelope still arrives.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from providers.answers import parse_date, person_id
from providers.types import Impact, Person, SpecSection

_TAGS = re.compile(r"<[^>]+>")
_BLOCK_ENDS = re.compile(r"</(p|div|li|h[1-6])>|<br\s*/?>", re.IGNORECASE)


def text(value: Any) -> str:
    """A JSON string or number as text; anything else (null, objects, lists) as ''."""
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def plain_text(rich: Any) -> str:
    """Rich text (HTML) as plain text: block ends become line breaks, tags go, entities are decoded."""
    words = _TAGS.sub("", _BLOCK_ENDS.sub("\n", text(rich)))
    lines = (" ".join(line.split()) for line in html.unescape(words).splitlines())
    return "\n".join(line for line in lines if line)


def date_of(value: Any) -> dt.date | None:
    return parse_date(text(value))


def time_of(value: Any) -> dt.datetime | None:
    """An ISO-8601 time (or date) as an aware UTC datetime; None when absent or unreadable."""
    raw = text(value)
    if not raw:
        return None
    try:
        moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def latest(*dates: dt.date | None) -> dt.date | None:
    return max((d for d in dates if d is not None), default=None)


def person_of(value: Any, *, company: Any = None) -> Person | None:
    """A person given as an object (`id`, `name`, maybe a `vendor` or `company` with a name), or as a bare id."""
    if isinstance(value, dict):
        firm = value.get("vendor") or value.get("company") or company
        name = text(value.get("name")) or text(value.get("login"))
        found = Person(id=person_id(value), name=name, company=_name_of(firm))
    else:
        found = Person(id=person_id(value), company=_name_of(company))
    return found if (found.id or found.name or found.company) else None


def _name_of(value: Any) -> str:
    return text(value.get("name")) if isinstance(value, dict) else text(value)


def spec_section_of(number: Any, title: Any) -> SpecSection | None:
    section = SpecSection(number=text(number), title=text(title))
    return section if section.number or section.title else None


def impact_of(status: Any, value: Any = None) -> Impact | None:
    """An impact as `{status, value}` (Procore), or a status and an amount given apart (Autodesk, ConstructEx)."""
    if isinstance(status, dict):
        status, value = status.get("status"), status.get("value")
    amount = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if amount is None and text(value):
        try:
            amount = float(text(value))
        except ValueError:
            amount = None
    impact = Impact(status=text(status), value=float(amount) if amount is not None else None)
    return impact if impact.status or impact.value is not None else None
