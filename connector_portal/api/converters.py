"""Path converters shared by every app's API routes; importing the module registers them."""

from __future__ import annotations

from django.urls import register_converter


class RowIdConverter:
    """A row id or feed position: at most 18 digits, so it always fits the database's 64-bit integer."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(RowIdConverter, "rowid")
