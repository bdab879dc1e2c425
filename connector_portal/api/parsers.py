"""JSON parsing with size and depth limits checked first, refusing text the database cannot store, before any view
sees it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from connector_portal.api.errors import ApiError
from connector_portal.jsonbody import BodyRefused, json_body


def _bad_text(value: str) -> bool:
    # PostgreSQL refuses NUL in text; a lone surrogate ("\ud800") cannot be encoded as UTF-8 at all.
    return "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value)


def _find_bad_text(data: Any, path: str = "") -> str | None:
    """The path ("name", "items.2.comment") of the first string in `data` the portal could not store, or None."""
    if isinstance(data, str):
        return path if _bad_text(data) else None
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if _bad_text(key):
                return path or "(a field name)"
            found = _find_bad_text(value, where)
            if found is not None:
                return found
    if isinstance(data, list):
        for index, value in enumerate(data):
            found = _find_bad_text(value, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


class StrictJSONParser(JSONParser):
    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        try:
            data = json_body(stream, max_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440)
        except BodyRefused as refused:
            if refused.reason == "not_json":
                raise ParseError(refused.message) from refused
            too_large = refused.reason == "too_large"
            raise ApiError(
                status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE if too_large else status.HTTP_400_BAD_REQUEST,
                code="too_large" if too_large else "parse_error",
                message=refused.message,
            ) from refused
        where = _find_bad_text(data)
        if where is not None:
            raise ApiError(
                status_code=status.HTTP_400_BAD_REQUEST,
                code="invalid_text",
                message=(
                    "The request contains a NUL character or text that is not valid Unicode, which cannot be stored. "
                    "Remove it and send the request again."
                ),
                details={"field": where.encode("utf-8", "replace").decode()[:200]},
            )
        return data
