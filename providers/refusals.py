"""Why a provider refused a reviewer's response, in words: one ladder for every provider that posts responses.

The steps are the same everywhere (422: the item no longer takes responses; 400: this response is not accepted;
403: the user may not respond, unless the provider's text shows an access problem, which keeps its usual meaning);
only the words differ, so each provider hands in its own `RefusalWords`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import requests

from providers.errors import ProviderError, UnexpectedAnswer
from providers.http import Attempt, error_text

Classify = Callable[[requests.Response, Attempt], ProviderError]


@dataclass(frozen=True)
class RefusalWords:
    """A provider's messages for each step; `{what}` becomes "submittal" or "RFI"."""

    closed: str  # 422
    not_accepted: str  # 400
    not_allowed: str  # 403
    access_marker: str  # a 403 whose body holds this (lower case) is an access problem, not a refused response


def response_refusal(
    response: requests.Response, attempt: Attempt, *, what: str, words: RefusalWords, otherwise: Classify
) -> ProviderError:
    """The error for a refused response or reply; anything off the ladder goes to `otherwise` (the usual mapping)."""
    detail = f"{attempt.method} {attempt.url.split('?')[0]} -> {response.status_code}: {error_text(response)}"
    if response.status_code == 422:
        return UnexpectedAnswer(words.closed.format(what=what), detail=detail)
    if response.status_code == 400:
        return UnexpectedAnswer(words.not_accepted.format(what=what), detail=detail)
    if response.status_code == 403 and words.access_marker not in response.text.lower():
        return UnexpectedAnswer(words.not_allowed.format(what=what), detail=detail)
    return otherwise(response, attempt)
