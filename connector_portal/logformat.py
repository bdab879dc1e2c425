"""Log formatting: one JSON object a line for log collectors (LOG_FORMAT=json), or plain text for people."""

from __future__ import annotations

import datetime as dt
import json
import logging

from connector_portal.logcontext import FIELDS


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
