"""The path converter of every page URL that names a row by text (a Project Center id, a webhook token).

It follows the tenancy rule (`connector_portal.tenancy.LOOKUP_CHARACTERS`): a segment holding NUL or a control
character matches no route, so it is a plain 404 before any view or query runs. Importing the module registers it.
"""

from __future__ import annotations

from django.urls import register_converter

from connector_portal.tenancy import LOOKUP_CHARACTERS


class SegmentConverter:
    """One path segment (no '/') of 1 to 255 characters that could name a row."""

    regex = LOOKUP_CHARACTERS.replace("[^", "[^/", 1) + "{1,255}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SegmentConverter, "segment")
