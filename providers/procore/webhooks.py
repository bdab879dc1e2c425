"""Procore project hooks: one hook per link, in the portal's namespace, with triggers for RFIs and Submittals; and
reading a delivery of either payload version (`webhook_event`)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from providers.answers import expect_list, require
from providers.errors import NotFound, ProviderError
from providers.procore.client import ProcoreClient, company_headers

if TYPE_CHECKING:
    from providers.models import ProviderAccount

WEBHOOK_RESOURCES = ("RFIs", "Submittals")
WEBHOOK_EVENTS = ("create", "update", "delete")
WEBHOOK_NAMESPACE = "newforma-connector"
# The hook's payload version: v4.0 is current (v2.0 is labelled legacy). A hook an admin set back to v2 still works.
WEBHOOK_PAYLOAD_VERSION = "v4.0"


@dataclass(frozen=True)
class WebhookEvent:
    """One delivery, whatever its payload version: ids as text, the event as create / update / delete."""

    delivery_id: str  # the same change delivered twice keeps it
    event: str  # "" when the payload names none the portal knows
    resource_name: str  # "Submittals", "RFIs"
    resource_id: str
    source_application_id: str  # the OAuth app that made the change ("" when a person did)


def _text(value: Any) -> str:
    return "" if value is None or isinstance(value, bool | dict | list) else str(value)


def webhook_event(payload: dict[str, Any]) -> WebhookEvent:
    """Read a Procore delivery. Payload v2.0 (legacy) names the event `event_type` and uses integer ids; v4.0 names it
    `reason` and uses string ids. Both are accepted, whichever version the hook was set to."""
    metadata = payload.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    event = _text(payload.get("reason") or payload.get("event_type")).lower()
    return WebhookEvent(
        delivery_id=_text(payload.get("ulid") or payload.get("id"))[:100],
        event=event if event in WEBHOOK_EVENTS else "",
        resource_name=_text(payload.get("resource_name")),
        resource_id=_text(payload.get("resource_id")),
        source_application_id=_text(metadata.get("source_application_id")),
    )


class ProcoreWebhooks(ProcoreClient):
    def register_webhooks(
        self, *, account: ProviderAccount, company_id: str, project_id: str, destination_url: str, authorization: str
    ) -> str:
        """Create a project hook that POSTs to `destination_url` with `authorization` as its Authorization header,
        in the current payload version (v4.0), with create/update/delete triggers for RFIs and Submittals. Answers the
        hook id (keep it to unregister). All or nothing: when a trigger fails, the new hook is deleted again (best
        effort) before the error is raised.

        Safe to rerun: hooks of the portal's namespace already sending to `destination_url` (one whose creation answer
        was lost, so its id was never kept) are deleted first, so the project ends with exactly one such hook."""
        api, headers = self.endpoints.api, company_headers(company_id)
        for stale in self._our_hooks(account, company_id, project_id, destination_url):
            # Deleted rather than reused: Procore shows only the last 5 characters of a hook's Authorization header,
            # and the caller has just issued a new secret, so an old hook's deliveries would be refused.
            self.unregister_webhooks(account=account, company_id=company_id, project_id=project_id, hook_id=stale)
        hook = self._call(
            "POST",
            f"{api}/rest/v1.0/webhooks/hooks",
            account=account,
            headers=headers,
            json={
                "project_id": int(project_id),
                "hook": {
                    "api_version": WEBHOOK_PAYLOAD_VERSION,
                    "namespace": WEBHOOK_NAMESPACE,
                    "destination_url": destination_url,
                    "destination_headers": {"Authorization": authorization},
                },
            },
        )
        hook_id = str(require(hook if isinstance(hook, dict) else {}, "id", label=self.label))
        try:
            for resource in WEBHOOK_RESOURCES:
                for event in WEBHOOK_EVENTS:
                    self._call(
                        "POST",
                        f"{api}/rest/v1.0/webhooks/hooks/{hook_id}/triggers",
                        account=account,
                        headers=headers,
                        json={
                            "project_id": int(project_id),
                            "api_version": "v2",
                            "trigger": {"resource_name": resource, "event_type": event},
                        },
                    )
        except ProviderError:
            # The caller keeps no hook id unless every trigger is in, so a hook left here would be orphaned at Procore
            # and a rerun would add a second one: remove it (best effort) before reporting the failure.
            with contextlib.suppress(ProviderError):
                self.unregister_webhooks(account=account, company_id=company_id, project_id=project_id, hook_id=hook_id)
            raise
        return hook_id

    def _our_hooks(self, account: ProviderAccount, company_id: str, project_id: str, destination_url: str) -> list[str]:
        """Ids of the project's hooks in the portal's namespace that send to `destination_url`."""
        hooks = self._call(
            "GET",
            f"{self.endpoints.api}/rest/v1.0/webhooks/hooks",
            account=account,
            headers=company_headers(company_id),
            params={"company_id": company_id, "project_id": project_id, "namespace": WEBHOOK_NAMESPACE},
        )
        return [
            str(hook["id"])
            for hook in expect_list(hooks, label=self.label)
            if hook.get("id") is not None
            and hook.get("namespace", WEBHOOK_NAMESPACE) == WEBHOOK_NAMESPACE
            and hook.get("destination_url") == destination_url
        ]

    def unregister_webhooks(self, *, account: ProviderAccount, company_id: str, project_id: str, hook_id: str) -> None:
        """Delete the hook (and its triggers). A hook already gone is not an error."""
        try:  # raw: Procore may answer 204 without a body
            self._call_raw(
                "DELETE",
                f"{self.endpoints.api}/rest/v1.0/webhooks/hooks/{hook_id}",
                account=account,
                headers=company_headers(company_id),
                params={"company_id": company_id, "project_id": project_id},
            )
        except NotFound:
            return
