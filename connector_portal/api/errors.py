"""One error shape for the whole API: `{"code": ..., "message": ..., "details": {...}}`.

`code` is a stable machine word Project Center can switch on, `message` says in plain words what happened and what to do
next, `details` holds the specifics (per-field messages for a 400, the allowed values for a 422, the wait for a 429).

The framework knows no app's exceptions: an endpoint that can meet one turns it into an `ApiError` itself.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

# What each DRF exception means for a caller, in words. Keyed by the exception's default code.
MESSAGES: dict[str, str] = {
    "not_authenticated": (
        "This request has no API token. Send the firm's service-account token as 'Authorization: Bearer <token>'."
    ),
    "authentication_failed": (
        "The API token is not valid: it is wrong, revoked or expired. Ask a portal administrator of your firm for a "
        "new service-account token."
    ),
    "permission_denied": "You may not do this. Check that you are signed in to the right firm.",
    "not_found": "Nothing was found at this address for your firm. Check the id in the URL.",
    "method_not_allowed": "This address does not accept this HTTP method. See the API documentation at /api/docs/.",
    "not_acceptable": "The API answers in JSON only. Send 'Accept: application/json' or no Accept header.",
    "unsupported_media_type": "Send the request body as JSON with 'Content-Type: application/json'.",
    "parse_error": "The request body is not valid JSON. Check the body and send it again.",
    "throttled": "Too many requests with this token. Wait for the number of seconds in Retry-After, then try again.",
    "invalid": "Some fields are not valid. See details for what to change, then send the request again.",
}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This conflicts with something that already exists."
    default_code = "conflict"


class Unprocessable(exceptions.APIException):
    """The request is well formed but its content cannot be applied (e.g. a keyword not allowed for this link)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The request is well formed but cannot be applied."
    default_code = "unprocessable"


class InvalidCursor(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The cursor is not valid. Start again without a cursor, or use the 'next' link of the last page."
    default_code = "invalid_cursor"


class ApiError(exceptions.APIException):
    """An error with its own code, message and details; raise it from views for any status."""

    def __init__(
        self,
        *,
        status_code: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.code = code
        self.details = details or {}
        if retry_after is not None:
            self.wait = retry_after  # DRF's handler turns `wait` into the Retry-After header


def error_body(*, code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "details": details or {}}


def _validation_body(exc: exceptions.ValidationError) -> dict[str, Any]:
    detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    unknown = [name for name, errors in detail.items() if _is_unknown_field_error(errors)]
    if unknown and len(unknown) == len(detail):
        message = f"Unknown fields: {', '.join(sorted(unknown))}. Remove them and send the request again."
        return error_body(code="unknown_fields", message=message, details=detail)
    fields = ", ".join(sorted(detail))
    message = f"Some fields are not valid: {fields}. See details for what to change, then send the request again."
    return error_body(code="invalid", message=message, details=detail)


def _is_unknown_field_error(errors: Any) -> bool:
    return isinstance(errors, list) and any(getattr(e, "code", None) == "unknown_field" for e in errors)


def _body_for(exc: exceptions.APIException) -> dict[str, Any]:
    if isinstance(exc, ApiError):
        return error_body(code=exc.code, message=str(exc.detail), details=exc.details)
    if isinstance(exc, exceptions.ValidationError):
        return _validation_body(exc)
    code = exc.default_code
    if isinstance(exc, exceptions.Throttled):
        wait: float | None = exc.wait  # type: ignore[attr-defined]  # set by Throttled.__init__; the stubs miss it
        return error_body(code=code, message=MESSAGES[code], details={"retry_after_seconds": int(wait or 1)})
    if isinstance(exc, exceptions.NotAuthenticated):
        return error_body(code=code, message=MESSAGES[code])
    if isinstance(exc, exceptions.ParseError | exceptions.MethodNotAllowed | exceptions.UnsupportedMediaType):
        return error_body(code=code, message=MESSAGES[code], details={"reason": str(exc.detail)})
    # A view may raise NotFound etc. with its own words; otherwise the plain-words default for the code.
    message = MESSAGES.get(code, str(exc.detail)) if str(exc.detail) == str(exc.default_detail) else str(exc.detail)
    return error_body(code=code, message=message)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF exception handler: every error, expected or not, leaves in the one shape."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, RequestDataTooBig):  # Django's own limit, met when DRF reads the body
        exc = ApiError(
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            code="too_large",
            message=f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes. Send less at once.",
        )
    response = drf_exception_handler(exc, context)  # keeps WWW-Authenticate and Retry-After headers
    if response is None:
        logger.exception("Unexpected error in API view %s", type(context.get("view")).__name__)
        body = error_body(
            code="server_error",
            message="Something went wrong on our side. Try again in a minute; if it persists, contact support.",
        )
        return Response(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    assert isinstance(exc, exceptions.APIException)
    response.data = _body_for(exc)
    return response


@csrf_exempt  # it changes nothing; a POST to a wrong address must get this JSON 404, not Django's HTML CSRF page
def api_not_found(request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
    """Django-level 404 for any /api/ address that matches no route, in the API's error shape."""
    message = f"There is no API endpoint at {request.path}. See the API documentation at /api/docs/."
    if not request.path.endswith("/"):
        message += " API addresses end with a slash."
    return JsonResponse(error_body(code="not_found", message=message), status=404)
