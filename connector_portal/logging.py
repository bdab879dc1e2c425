"""A logging filter that masks anything that looks like a credential before a record is written."""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    # key=value or "key": "value" for the credential names OAuth and our providers use
    re.compile(
        r"""(?P<key>(access_token|refresh_token|id_token|client_secret|code_verifier|password|secret|"""
        r"""authorization|code)["']?\s*[:=]\s*["']?)(?P<value>[^\s"'&,}]+)""",
        re.IGNORECASE,
    ),
    re.compile(r"(?P<key>Bearer\s+)(?P<value>[A-Za-z0-9._~+/=-]+)", re.IGNORECASE),
    re.compile(r"(?P<key>Basic\s+)(?P<value>[A-Za-z0-9+/=]+)", re.IGNORECASE),
    re.compile(r"(?P<key>)(?P<value>ncp_[0-9a-f]{8}_[A-Za-z0-9_-]+)"),
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
        return True
