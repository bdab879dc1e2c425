"""Checking sent values against a published description (JSON-schema-like, as both providers' reference files give it).

One schema dialect for both providers: `type`, `enum`, `format` (date, date-time, and Procore's `start...end` ranges),
`pattern`, `minimum`/`maximum`, `properties` (a key not listed is undocumented), `required`, `items`. A JSON body is
checked as sent (types included); query parameters and form fields arrive as text and are read by their declared type.
An empty schema, or Procore's `{"type": "object", "description": "(nested object)"}` placeholder for a nested object
its extraction did not describe, documents a value without describing it: anything passes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any

Schema = dict[str, Any]

PLACEHOLDER = "(nested object)"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
_INTEGER = re.compile(r"^-?\d+$")


def undescribed(schema: Schema | None) -> bool:
    """Whether a schema documents a value without describing it (anything passes)."""
    if not schema:
        return True
    if schema.get("description") == PLACEHOLDER and set(schema) <= {"type", "description"}:
        return True
    return schema.get("type") == "object" and not schema.get("properties") and set(schema) <= {"type", "description"}


def is_date(text: str) -> bool:
    if not _DATE.match(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def is_date_time(text: str) -> bool:
    if not _DATE_TIME.match(text):
        return False
    try:
        dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def is_procore_range(text: str) -> bool:
    """Procore's date filters: `YYYY-MM-DD...YYYY-MM-DD` or the same with date-times (UTC `Z` or an offset), or one
    date (the operations' `format: date`); both ends of a range of the same kind."""
    if "..." not in text:
        return is_date(text)
    start, _, end = text.partition("...")
    return (is_date(start) and is_date(end)) or (is_date_time(start) and is_date_time(end))


FORMATS: dict[str, Callable[[str], bool]] = {
    "date": is_date,
    "date-time": is_date_time,
    "procore-date-range": is_procore_range,
}
FORMAT_WORDS = {
    "date": "a date (YYYY-MM-DD)",
    "date-time": "a date-time (RFC 3339)",
    "procore-date-range": "a date or a range start...end of dates or of date-times",
}


def _typed(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return True


def _ecma_end(pattern: str) -> str:
    """A schema's pattern as JSON Schema reads it (ECMA-262): a final `$` is the end of the value, where Python's `$`
    would also match before a trailing newline ("a.pdf\\n" would pass `^[^\\n]+$`)."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        return pattern[:-1] + "\\Z"
    return pattern


def _scalar(value: Any, schema: Schema, name: str) -> list[str]:
    found: list[str] = []
    enum = schema.get("enum")
    if enum is not None and value not in enum:
        found.append(f"{name}: {value!r} is not one of the documented values {enum}")
    if isinstance(value, str):
        pattern = schema.get("pattern")
        if pattern and not re.search(_ecma_end(pattern), value):
            found.append(f"{name}: {value!r} does not match the documented pattern {pattern}")
        checker = FORMATS.get(str(schema.get("format") or ""))
        if checker and not checker(value):
            found.append(f"{name}: {value!r} is not {FORMAT_WORDS[str(schema['format'])]}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{name}: {value!r} is below the documented minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{name}: {value!r} is above the documented maximum {schema['maximum']}")
    return found


def _key(path: str) -> str:
    return f"body key {path!r}"


def check_json(value: Any, schema: Schema | None, path: str) -> list[str]:
    """What about a JSON body value is not as `schema` documents it; `path` says where it is (`reply.body`)."""
    if schema is None or undescribed(schema):
        return []
    kind = schema.get("type")
    if isinstance(kind, str) and not _typed(value, kind):
        return [f"{_key(path)}: {value!r} is not of the documented type {kind}"]
    if isinstance(value, dict) and (schema.get("properties") or schema.get("required")):
        return check_object(value, schema, path)
    if isinstance(value, list):
        items = schema.get("items")
        if items is not None:
            return [p for i, item in enumerate(value) for p in check_json(item, items, f"{path}[{i}]")]
        # A list where the description gives only the values' rules (construction.json's `filter.status`).
        return [p for i, item in enumerate(value) for p in _scalar(item, schema, _key(f"{path}[{i}]"))]
    return _scalar(value, schema, _key(path))


def check_object(value: dict[str, Any], schema: Schema, path: str = "") -> list[str]:
    """Every key of `value` documented in `schema["properties"]` (when it lists any) and valid, the required present;
    `path` is where the object is in the body ("" for the body itself)."""
    found: list[str] = []
    properties: dict[str, Schema] = schema.get("properties") or {}
    prefix = f"{path}." if path else ""
    for key, item in value.items():
        if properties and key not in properties:
            found.append(f"undocumented {_key(prefix + key)}")
        elif key in properties:
            found += check_json(item, properties[key], prefix + key)
    found += [f"required {_key(prefix + key)} missing" for key in schema.get("required", []) if key not in value]
    return found


def read_text(text: str, kind: str | None) -> tuple[Any, str | None]:
    """A query or form value read as its declared type: (value, None) or (text, what is wrong)."""
    if kind in ("integer", "number"):
        if kind == "integer" and _INTEGER.match(text):
            return int(text), None
        if kind == "number":
            try:
                return float(text), None
            except ValueError:
                pass
        return text, f"{text!r} is not of the documented type {kind}"
    if kind == "boolean":
        if text in ("true", "false"):
            return text == "true", None
        return text, f"{text!r} is not a boolean (true or false)"
    return text, None


def check_texts(values: Iterable[str], schema: Schema | None, name: str) -> list[str]:
    """A query parameter's or form field's values (one per occurrence) against its schema."""
    if schema is None or undescribed(schema):
        return []
    values = list(values)
    if schema.get("type") == "array":
        items = schema.get("items") or {}
        # Sent repeated (`key=1&key=2`) or, for numbers, comma-separated (`key=1,2`): each value is checked.
        if items.get("type") in ("integer", "number"):
            values = [piece for value in values for piece in value.split(",")]
        return [p for value in values for p in check_texts([value], items, name)]
    if schema.get("type") == "object":
        return []
    found: list[str] = []
    for text in values:
        value, wrong = read_text(text, schema.get("type"))
        found += [f"{name}: {wrong}"] if wrong else _scalar(value, schema, name)
    return found
