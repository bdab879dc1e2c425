"""Retry or dismiss a response that was not delivered, audited: support in admin, a firm admin on the items page."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest

from connector_portal.models import User
from connector_portal.services import audit_record, snapshot
from projects.models import ItemResponse
from projects.services.push import response_dismiss, response_retry

Action = Literal["retry", "dismiss"]
SERVICES = {"retry": response_retry, "dismiss": response_dismiss}


def response_act(
    *,
    response: ItemResponse,
    action: Action,
    prefix: str,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> bool:
    """Retry (fresh attempts) or dismiss (stop trying) one response; answers whether it changed, and audits it as
    `<prefix>.<action>` (admin: `admin.itemresponse`, the items page: `response`)."""
    before = snapshot(response)
    if not SERVICES[action](response=response):
        return False
    audit_record(
        action=f"{prefix}.{action}",
        firm=response.firm,
        actor_user=actor,
        target=response,
        before=before,
        after=snapshot(response),
        request=request,
    )
    return True
