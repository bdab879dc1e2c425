"""What can go wrong when the portal talks to a provider, as typed exceptions.

Every exception carries `message`: what happened and what to do next, in words a firm user understands (shown on portal
pages, in the API and in admin). `detail` is for support staff and logs; neither ever holds a token or secret.
Callers branch on the type, never on the provider's name or on HTTP status codes.
"""

from __future__ import annotations

import math


class ProviderError(Exception):
    """Base of every provider problem."""

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class ProviderNotAvailable(ProviderError):
    """The portal has no (enabled) OAuth app for this provider: support has to set one up."""

    @classmethod
    def for_provider(cls, label: str) -> ProviderNotAvailable:
        return cls(f"{label} is not available in the connector portal yet — contact support to have it set up.")


class NeedsReauthorization(ProviderError):
    """The stored authorisation no longer works (expired, revoked, or refused). Only reconnecting fixes it."""

    @classmethod
    def for_provider(cls, label: str) -> NeedsReauthorization:
        return cls(
            f"The portal's access to your {label} account has expired or was withdrawn. "
            f"Reconnect your {label} account (sign in to {label} again from the project's configure page) "
            "and syncing resumes."
        )


class InvalidGrant(NeedsReauthorization):
    """The provider answered `invalid_grant`: the code or refresh token is used, expired or revoked. Never retried."""


class AccessBlocked(ProviderError):
    """The user is signed in, but the provider refuses: the company/account has not allowed or has removed the app."""


class ToolUnavailable(AccessBlocked):
    """One tool of one project is refused (disabled there, or the user lacks permission on it), not the whole company:
    the link waits like a blocked one, with words that name the tool and what to change."""


class NotFound(ProviderError):
    """The provider says the thing does not exist, or the user can no longer see it."""

    @classmethod
    def for_provider(cls, label: str, what: str = "item") -> NotFound:
        return cls(
            f"{label} could not find this {what}. It may have been deleted, or your {label} account may no longer "
            f"have access to it. Check it in {label}, then try again."
        )


class NotYourTurn(ProviderError):
    """The reviewer may respond only later (a submittal approver whose workflow step has not started): the response
    is held and sent once it is their turn, never failed for waiting."""


class Retryable(ProviderError):
    """A passing problem: the caller reschedules the work after `retry_after` seconds. `gave_up`, when given, is what
    to tell the user once the caller stops trying (what to check, then what to do), in place of `message`."""

    def __init__(self, message: str, *, retry_after: int, detail: str = "", gave_up: str = "") -> None:
        super().__init__(message, detail=detail)
        self.retry_after = retry_after
        self.gave_up = gave_up


def _in_words(seconds: int) -> str:
    if seconds < 90:
        return "a minute"
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return f"{minutes} minutes"
    return f"{math.ceil(minutes / 60)} hours"


class RateLimited(Retryable):
    """The provider's rate limit is reached; `retry_after` says when it resets."""

    @classmethod
    def for_provider(cls, label: str, *, retry_after: int, detail: str = "") -> RateLimited:
        return cls(
            f"{label} is limiting how many requests the portal may send right now. "
            f"The portal tries again automatically in about {_in_words(retry_after)}; there is nothing you need to do.",
            retry_after=retry_after,
            detail=detail,
        )


class ProviderUnavailable(Retryable):
    """The provider did not answer, timed out, or said it is temporarily unavailable."""

    @classmethod
    def for_provider(cls, label: str, *, retry_after: int = 300, detail: str = "") -> ProviderUnavailable:
        return cls(
            f"{label} is not answering right now. The portal tries again automatically in about "
            f"{_in_words(retry_after)}. If this lasts more than an hour, check {label}'s status page "
            "or contact support.",
            retry_after=retry_after,
            detail=detail,
        )


class UnexpectedAnswer(ProviderError):
    """The provider answered something the portal cannot read (malformed JSON, missing fields, an unknown error)."""

    @classmethod
    def for_provider(cls, label: str, *, detail: str = "") -> UnexpectedAnswer:
        return cls(
            f"{label} sent an answer the portal could not understand. The portal tries again later; "
            "if this keeps happening, contact support.",
            detail=detail,
        )
