"""gunicorn's settings for the portal (`gunicorn connector_portal.wsgi` reads this file from the working directory).

Its access log writes each request line, query string included (OAuth's code and state): every gunicorn handler gets
the portal's redaction filter once a worker has loaded the app, and again when the logs are reopened (USR1). With
LOG_FORMAT=json (the default when DEBUG is off, as for the portal's own log) gunicorn's access and error lines are JSON
objects too, so a log collector reads one format from the whole process.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.glogging import Logger

accesslog = "-"


class RedactingLogger(Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        self._redact()

    def reopen_files(self) -> None:
        super().reopen_files()
        self._redact()

    def _redact(self) -> None:
        from connector_portal.logformat import JsonFormatter, chosen_log_format
        from connector_portal.logging import RedactSecretsFilter, _has_redaction

        as_json = chosen_log_format(os.environ) == "json"
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not _has_redaction(handler):
                    handler.addFilter(RedactSecretsFilter())
                if as_json and not isinstance(handler.formatter, JsonFormatter):
                    handler.setFormatter(JsonFormatter())


logger_class = RedactingLogger
