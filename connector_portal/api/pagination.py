"""Cursor pagination for API lists: stable under inserts (no row skipped or repeated), opaque cursors, 400 on a bad one.

Lists are ordered by the row's id (creation order), so rows created while a client pages through appear on a later page.
"""

from __future__ import annotations

from base64 import b64decode
from typing import Any
from urllib import parse

from rest_framework import status
from rest_framework.pagination import Cursor, CursorPagination, _positive_int
from rest_framework.request import Request

from connector_portal.api.errors import ApiError, InvalidCursor

MAX_PAGE_SIZE = 500
MAX_POSITION_DIGITS = 18  # fits a 64-bit id


class FirmCursorPagination(CursorPagination):
    ordering = ("id",)
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size_query_description = f"Number of results per page (1 to {MAX_PAGE_SIZE}, default 100)."
    cursor_query_description = "The `next` or `previous` link of the last page carries it; do not build it yourself."

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_PAGE_SIZE):
            raise ApiError(
                status_code=status.HTTP_400_BAD_REQUEST,
                code="invalid_page_size",
                message=f"page_size must be a whole number from 1 to {MAX_PAGE_SIZE}.",
                details={"page_size": raw[:50]},
            )
        return int(raw)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=MAX_PAGE_SIZE)
        return parameters

    def decode_cursor(self, request: Request) -> Cursor | None:
        # DRF's own decoding forgives junk (it drops non-base64 characters); a cursor is ours, so demand it exactly.
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            querystring = b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
            tokens = parse.parse_qs(querystring, keep_blank_values=True, strict_parsing=bool(querystring))
            offset = _positive_int(tokens.get("o", ["0"])[0], cutoff=self.offset_cutoff)
            reverse = bool(int(tokens.get("r", ["0"])[0]))
            position = tokens.get("p", [None])[0]
        except (TypeError, ValueError) as exc:  # binascii.Error and UnicodeError are ValueErrors
            raise InvalidCursor() from exc
        # The position is compared with an integer id: anything else would fail in the database instead.
        if position is not None and not (position.isdigit() and len(position) <= MAX_POSITION_DIGITS):
            raise InvalidCursor()
        # DRF keeps the position as the text it decoded (it compares it in the query); the stubs say int.
        return Cursor(offset=offset, reverse=reverse, position=position)  # type: ignore[arg-type]
