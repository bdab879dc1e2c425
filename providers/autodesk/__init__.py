"""Autodesk BIM 360 / Autodesk Construction Cloud: APS OAuth v2, Data Management hubs and projects, ACC (and BIM 360)
RFIs and ACC submittals. Facts from PROVIDERS.md and ../shared/reference/autodesk/*.yaml.

The module is split by idea; `Autodesk` puts the parts together:
- `client`: endpoints, OAuth (HTTP Basic), who-am-I, hubs and projects with their facts (project type, RFIs container,
  hub region: kept on the link, never in the process), refusals (`api_id`, `CONSTRUCTION_HUB`).
- `items`: changed submittals and RFIs as ProviderItem, submittal responses as ResponseOption (`item_url`).
- `responses`: posting a reviewer's response, safe to retry after a lost answer.
- `uploads`: a response's files through Docs/OSS storage, and files in through OSS signed downloads.
"""

from __future__ import annotations

from providers.autodesk.client import CONSTRUCTION_HUB, MAX_PAGES, PRODUCTION, AutodeskClient, api_id
from providers.autodesk.items import (
    CLOSED_RFI,
    CLOSED_SUBMITTAL,
    RFI_LIMIT,
    RFI_STATUS_WORDS,
    SUBMITTAL_LIMIT,
    SUBMITTAL_STATUSES,
    AutodeskItems,
    item_url,
)
from providers.autodesk.responses import AUTHORS, TEXTS, AutodeskResponses

__all__ = [
    "AUTHORS",
    "CLOSED_RFI",
    "CLOSED_SUBMITTAL",
    "CONSTRUCTION_HUB",
    "MAX_PAGES",
    "PRODUCTION",
    "RFI_LIMIT",
    "RFI_STATUS_WORDS",
    "SUBMITTAL_LIMIT",
    "SUBMITTAL_STATUSES",
    "TEXTS",
    "Autodesk",
    "AutodeskClient",
    "api_id",
    "item_url",
]


class Autodesk(AutodeskItems, AutodeskResponses):
    """The Autodesk provider: every part shares `AutodeskClient` (endpoints, OAuth, hubs and projects, refusals)."""

    supports_response_files = True
