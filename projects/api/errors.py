"""What a provider's failure means to an API caller, for the endpoints that ask a provider while answering."""

from __future__ import annotations

from rest_framework import status

from connector_portal.api.errors import ApiError
from providers.errors import ProviderError, Retryable


def provider_failure(exc: ProviderError) -> ApiError:
    """A provider problem met while answering: 503 with Retry-After when it passes by itself, else 502. Never a 500."""
    if isinstance(exc, Retryable):
        wait = max(int(exc.retry_after), 1)
        return ApiError(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            code="provider_unavailable",
            message=exc.message,
            details={"retry_after_seconds": wait},
            retry_after=wait,
        )
    return ApiError(status_code=status.HTTP_502_BAD_GATEWAY, code="provider_error", message=exc.message)
