"""Reading a JSON request body with limits checked before it is parsed: the API's parser and the webhook use it.

A body nested thousands deep would make `json.loads` raise RecursionError (a 500); one larger than the limit would be
held in memory first. Both are refused in plain words before the body is parsed.
"""

from __future__ import annotations

import json
import re
from typing import IO, Any

MAX_DEPTH = 32  # the API's deepest body is 3 levels; a provider's webhook delivery about 5
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")
_INNERMOST = re.compile(rb"\[\]|\{\}")


class BodyRefused(Exception):
    """Why a body was not parsed: `reason` is one of "too_large", "too_deep", "not_json"; `message` says it plainly."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _refuse_strict_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _check_depth(body: bytes, max_depth: int) -> None:
    # Only the brackets outside strings count. Each pass removes the innermost pairs, in C: at most max_depth passes.
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", body))
    for _ in range(max_depth):
        inner = _INNERMOST.sub(b"", brackets)
        if inner == brackets:  # all pairs gone, or unbalanced: json.loads says what is wrong
            return
        brackets = inner
    if _INNERMOST.search(brackets):
        raise BodyRefused(
            "too_deep",
            f"The JSON body is nested more than {max_depth} levels deep. Send it as the documentation shows.",
        )


def json_body(stream: IO[bytes] | bytes, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """The parsed body, or BodyRefused. Reads at most `max_bytes` + 1 bytes; NaN and Infinity are not JSON."""
    body = stream if isinstance(stream, bytes) else stream.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise BodyRefused("too_large", f"The request body is larger than {max_bytes} bytes. Send less at once.")
    _check_depth(body, max_depth)
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_refuse_strict_constant)
    except RecursionError as exc:  # cannot happen within MAX_DEPTH; kept so that no body can ever be a 500
        raise BodyRefused(
            "too_deep", "The JSON body is nested too deeply. Send it as the documentation shows."
        ) from exc
    except ValueError as exc:  # also UnicodeDecodeError
        raise BodyRefused(
            "not_json", f"The request body is not valid JSON ({exc}). Check it and send it again."
        ) from exc
