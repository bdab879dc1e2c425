"""OpenAPI helpers: every operation documents its error responses, each with an example of the one error shape."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from connector_portal.api.errors import MESSAGES, error_body
from connector_portal.api.serializers import ErrorSerializer

# An error response's (description, example body), as an operation documents it.
ErrorExample = tuple[str, dict[str, Any]]

_ERRORS: dict[int, ErrorExample] = {
    400: (
        "The request is not valid: wrong types, unknown fields, values too long, NUL bytes or a bad cursor.",
        error_body(
            code="invalid",
            message="Some fields are not valid: name. See details for what to change, then send the request again.",
            details={"name": ["Ensure this field has no more than 255 characters."]},
        ),
    ),
    401: (
        "No token, or a wrong, revoked or expired one.",
        error_body(code="authentication_failed", message=MESSAGES["authentication_failed"]),
    ),
    403: (
        "Signed in without a firm, or the CSRF check failed (browsable API only).",
        error_body(code="permission_denied", message=MESSAGES["permission_denied"]),
    ),
    404: (
        "Not found for this firm. Another firm's object answers exactly like a missing one.",
        error_body(code="not_found", message=MESSAGES["not_found"]),
    ),
    409: (
        "It already exists.",
        error_body(code="conflict", message="A project with this Project Center project id already exists."),
    ),
    422: (
        "Well formed, but cannot be applied.",
        error_body(code="unprocessable", message="The request is well formed but cannot be applied."),
    ),
    429: (
        "Too many requests with this token; the Retry-After header says how many seconds to wait.",
        error_body(code="throttled", message=MESSAGES["throttled"], details={"retry_after_seconds": 42}),
    ),
    502: (
        "The provider refused or could not answer the portal's question; the message says what to do.",
        error_body(
            code="provider_error",
            message="Procore could not find this project. It may have been deleted, or your Procore account may no "
            "longer have access to it. Check it in Procore, then try again.",
        ),
    ),
    503: (
        "The provider is busy or down for a moment; the Retry-After header says how many seconds to wait.",
        error_body(
            code="provider_unavailable",
            message="Procore is not answering right now. Try again in a minute.",
            details={"retry_after_seconds": 60},
        ),
    ),
}

# Every operation can answer these: authentication, firm resolution and throttling happen before the view.
COMMON_ERRORS = (401, 403, 429)


def error_responses(*statuses: int, examples: dict[int, ErrorExample] | None = None) -> dict[int, OpenApiResponse]:
    """The documented error responses for an operation: the common ones plus `statuses`.

    `examples` replaces the generic description and example of a status with the operation's own (description, body).
    """
    responses = {}
    for code in sorted({*COMMON_ERRORS, *statuses, *(examples or {})}):
        description, example = (examples or {}).get(code) or _ERRORS[code]
        responses[code] = OpenApiResponse(
            response=ErrorSerializer,
            description=description,
            examples=[OpenApiExample(f"Error {code}", value=example, status_codes=[str(code)], response_only=True)],
        )
    return responses


def close_request_bodies(result: dict[str, Any], generator: object, request: object, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: request bodies accept no other fields, as the serializers enforce."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result
