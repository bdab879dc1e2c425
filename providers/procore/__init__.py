"""Procore: OAuth 2.0 at the login host, REST at the API host. Facts from PROVIDERS.md and the endpoint JSON files.

The module is split by idea; `Procore` puts the parts together:
- `client`: endpoints, OAuth, who-am-I, companies and projects, paging (rel="next"), refusals (`company_headers`).
- `items`: changed submittals and RFIs as ProviderItem, submittal responses as ResponseOption (`item_url`).
- `responses`: posting a reviewer's response, safe to retry (`rfi_answers`).
- `webhooks`: the link's project hook and its triggers; reading a delivery of payload v2.0 or v4.0 (`webhook_event`).
"""

from __future__ import annotations

from providers.procore.client import MAX_PAGES, PER_PAGE, ProcoreClient, company_headers
from providers.procore.items import WEB, ProcoreItems, item_url
from providers.procore.responses import AUTHORS, TEXTS, ProcoreResponses, rfi_answers
from providers.procore.webhooks import (
    WEBHOOK_EVENTS,
    WEBHOOK_NAMESPACE,
    WEBHOOK_RESOURCES,
    ProcoreWebhooks,
    WebhookEvent,
    webhook_event,
)

__all__ = [
    "AUTHORS",
    "MAX_PAGES",
    "PER_PAGE",
    "TEXTS",
    "WEB",
    "WEBHOOK_EVENTS",
    "WEBHOOK_NAMESPACE",
    "WEBHOOK_RESOURCES",
    "Procore",
    "ProcoreClient",
    "WebhookEvent",
    "company_headers",
    "item_url",
    "rfi_answers",
    "webhook_event",
]


class Procore(ProcoreItems, ProcoreResponses, ProcoreWebhooks):
    """The Procore provider: every part shares `ProcoreClient` (endpoints, OAuth, paging, refusals)."""

    supports_response_files = True
