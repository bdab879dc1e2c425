"""The one way to read firm-owned rows: always with the firm first, and another firm's row is simply not found.

A foreign object answers exactly like a missing one (404), so nobody learns that it exists.
Also the types of a request inside a firm: what `CurrentFirmMiddleware` and `firm_required` promise a page view.
"""

from __future__ import annotations

import re
from typing import TypeGuard, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404, HttpRequest

from connector_portal.models import Firm, User

M = TypeVar("M", bound=models.Model)

# The one rule for every value from outside that names a row (a URL segment, a query parameter, an API lookup): NUL and
# control characters never name one, so they are "not found" before any query (PostgreSQL would refuse NUL in text).
LOOKUP_CHARACTERS = r"[^\x00-\x1f\x7f]"
LOOKUP_SHAPE = re.compile(f"{LOOKUP_CHARACTERS}{{1,255}}")


def lookup_ok(value: object) -> bool:
    """Whether a lookup value from a request could name a row: 1 to 255 characters, none a control character."""
    return not isinstance(value, str) or LOOKUP_SHAPE.fullmatch(value) is not None


class FirmRequest(HttpRequest):
    """A request that passed `CurrentFirmMiddleware`: `firm` is the signed-in user's current firm, or None."""

    firm: Firm | None


class AuthenticatedFirmRequest(FirmRequest):
    """A request to a page behind `firm_required`: a signed-in user working in `firm`."""

    user: User
    firm: Firm


def is_in_firm(request: FirmRequest) -> TypeGuard[AuthenticatedFirmRequest]:
    """Whether the request comes from a signed-in user who is working in a firm."""
    return request.user.is_authenticated and request.firm is not None


def scoped(queryset: models.QuerySet[M], *, firm: Firm) -> models.QuerySet[M]:
    """Filter any firm-owned queryset to one firm."""
    return queryset.filter(firm=firm)


def get_for_firm_or_404(queryset: models.QuerySet[M], *, firm: Firm, **lookup: object) -> M:
    """Fetch one firm-owned object, answering 404 for both a missing and another firm's object."""
    if not all(lookup_ok(value) for value in lookup.values()):
        raise Http404(f"No {queryset.model._meta.verbose_name} found.")
    try:
        return scoped(queryset, firm=firm).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:  # bad ids are "not found" too
        raise Http404(f"No {queryset.model._meta.verbose_name} found.") from exc
