"""The one way to read firm-owned rows: always with the firm first, and another firm's row is simply not found.

A foreign object answers exactly like a missing one (404), so nobody learns that it exists.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.http import Http404

from connector_portal.models import Firm

M = TypeVar("M", bound=models.Model)


def scoped(queryset: models.QuerySet[M], *, firm: Firm) -> models.QuerySet[M]:
    """Filter any firm-owned queryset to one firm."""
    return queryset.filter(firm=firm)


def get_for_firm_or_404(queryset: models.QuerySet[M], *, firm: Firm, **lookup: object) -> M:
    """Fetch one firm-owned object, answering 404 for both a missing and another firm's object."""
    try:
        return scoped(queryset, firm=firm).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:  # bad ids are "not found" too
        raise Http404(f"No {queryset.model._meta.verbose_name} found.") from exc
