"""The ids a log line carries (request, firm, link, run), kept in context variables for the work in hand.

A web request binds its request id (the proxy's `X-Request-ID` when it is a sane one, else a new one, answered back
in the same header) and its firm; a sync binds its link and run; a response delivery its link. `ContextFilter` puts
them on every record, where the JSON formatter writes them and plain text ignores them.
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse

FIELDS = ("request_id", "firm_id", "link_id", "run_id")
_vars: dict[str, ContextVar[str | None]] = {name: ContextVar(name, default=None) for name in FIELDS}
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def current() -> dict[str, str | None]:
    return {name: var.get() for name, var in _vars.items()}


def bind(**ids: object) -> None:
    """Set ids for the rest of this context (a request, a task); None clears one."""
    for name, value in ids.items():
        _vars[name].set(None if value is None else str(value))


def clear(**_: Any) -> None:
    for var in _vars.values():
        var.set(None)


@contextlib.contextmanager
def bound(**ids: object) -> Iterator[None]:
    """Set ids for a block only (a sync inside a worker that goes on to other tasks)."""
    tokens = {name: _vars[name].set(None if value is None else str(value)) for name, value in ids.items()}
    try:
        yield
    finally:
        for name, token in tokens.items():
            _vars[name].reset(token)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in current().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class RequestContextMiddleware:
    """Binds the request id and the signed-in user's firm. Placed after CurrentFirmMiddleware (it reads request.firm);
    the ids stay bound until the request finishes, so Django's own request log line carries them too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        clear()
        firm = getattr(request, "firm", None)
        bind(request_id=request_id, firm_id=firm.pk if firm is not None else None)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
