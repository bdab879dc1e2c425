"""Cursor pagination for API lists: stable under inserts (no row skipped or repeated), opaque cursors, 400 on a bad one.

Lists are ordered by the row's id (creation order), so rows created while a client pages through appear on a later page.
"""

from __future__ import annotations

from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

from connector_portal.api.errors import InvalidCursor

MAX_PAGE_SIZE = 500


class FirmCursorPagination(CursorPagination):
    ordering = ("id",)
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size_query_description = f"Number of results per page (1 to {MAX_PAGE_SIZE}, default 100)."
    cursor_query_description = "The `next` or `previous` link of the last page carries it; do not build it yourself."

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise InvalidCursor() from exc
        # The position is compared with an integer id: anything else would fail in the database, not here.
        if cursor is not None and cursor.position is not None and not cursor.position.isdigit():
            raise InvalidCursor()
        if cursor is not None and cursor.position is not None and len(cursor.position) > 19:
            raise InvalidCursor()
        return cursor
