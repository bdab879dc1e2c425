"""A fixture that captures log lines as production writes them (JSON, with the context ids)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest

from connector_portal.logcontext import ContextFilter
from connector_portal.logformat import JsonFormatter


@pytest.fixture
def json_lines() -> Iterator[Callable[[], list[dict]]]:
    """Reads every record the root logger has handled so far in the test, formatted as production writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
