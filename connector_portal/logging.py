"""A logging filter that masks anything that looks like a credential before a record is written, and the one place
that puts it on every handler: the portal's, Django's own (runserver's request log, `django.server`) and gunicorn's
(the access log, `gunicorn.access`). A request line carries OAuth's `code` and `state`, a `token`, and the webhook
address holds its link's token, so all of them are masked wherever a handler writes."""

from __future__ import annotations

import logging
import re
from typing import Any

_KEYS = "access_token|refresh_token|id_token|client_secret|code_verifier|password|secret|authorization|code|state|token"
_PATTERNS = [
    # First the schemes, so that "Authorization: Bearer x" masks x, not only the word Bearer.
    re.compile(r"(?P<key>Bearer\s+)(?P<value>[A-Za-z0-9._~+/=-]+)", re.IGNORECASE),
    re.compile(r"(?P<key>Basic\s+)(?P<value>[A-Za-z0-9+/=]+)", re.IGNORECASE),
    # key=value or "key": "value" for the credential names OAuth and our providers use (also as query parameters)
    re.compile(
        rf"""(?P<key>\b({_KEYS})["']?\s*[:=]\s*["']?)(?P<value>(?!\[redacted\])[^\s"'&,;}}]+)""",
        re.IGNORECASE,
    ),
    re.compile(r"(?P<key>)(?P<value>ncp_[0-9a-f]{8}_[A-Za-z0-9_-]+)"),
    # The Procore webhook address: its last segment is the link's token.
    re.compile(r"(?P<key>/webhooks/procore/)(?P<value>[^/\s?\"']+)"),
]


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: f"{m.group('key')}[redacted]", text)
    return text


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # A traceback's text can quote a URL or a header: format it now, masked, so no handler formats it raw.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def _has_redaction(handler: logging.Handler) -> bool:
    return any(isinstance(f, RedactSecretsFilter) for f in handler.filters)


def redact_every_handler() -> int:
    """Put the filter on every handler now configured (root, Django's, gunicorn's, any library's); returns how many
    handlers it was added to. Run after logging is configured (the app's ready(), gunicorn's post_worker_init)."""
    loggers: list[Any] = [logging.getLogger()]
    loggers += [logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)]
    added = 0
    for logger in loggers:
        for handler in logger.handlers:
            if not _has_redaction(handler):
                handler.addFilter(RedactSecretsFilter())
                added += 1
    return added
