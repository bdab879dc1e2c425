"""Dates in words the way every page shows them (connector_portal/formats: "1 Dec 2026 16:30"), for Python text."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.formats import date_format


def when(moment: dt.datetime) -> str:
    """A moment as the pages show it, in the current time zone: "1 Dec 2026 16:30"."""
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def at_time(moment: dt.datetime) -> str:
    """The time of day only, as the pages show it: "16:30"."""
    return date_format(timezone.localtime(moment), "TIME_FORMAT")
