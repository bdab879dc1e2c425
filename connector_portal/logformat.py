"""Log formatting: one JSON object a line for log collectors (LOG_FORMAT=json), or plain text for people."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping

import environ

from connector_portal.logcontext import FIELDS


def chosen_log_format(variables: Mapping[str, str]) -> str:
    """LOG_FORMAT when set, else "text" with DEBUG on (the default) and "json" with it off. The settings use it, and
    gunicorn's logger, which is set up before Django's settings are read."""
    debug = variables.get("DEBUG", "true").strip().lower() in _BOOLEAN_TRUE
    return variables.get("LOG_FORMAT") or ("text" if debug else "json")


_BOOLEAN_TRUE = {value.lower() for value in environ.Env.BOOLEAN_TRUE_STRINGS}  # as the settings read DEBUG


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, the context ids (request, firm, link, run) when set, and the exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
