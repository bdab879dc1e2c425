"""django-q2 entry points: thin, take ids, safe to run twice."""

from __future__ import annotations

from projects import services

SWEEP_SCHEDULE_NAME = "projects.sweep"
# The second schedule, half a minute out of step: the sweep ticks every 30 s (projects.constants.SWEEP_EVERY).
SECOND_SWEEP_SCHEDULE_NAME = "projects.sweep.half"


def sweep() -> int:
    result = services.sweep_run()
    return len(result.links) + len(result.responses)


def sync_link(link_id: int) -> str:
    run = services.link_sync(link_id=link_id)
    return "skipped: another sync holds the lease or the link is paused" if run is None else run.status


def deliver_response(response_id: int) -> str:
    response = services.response_deliver(response_id=response_id)
    return "nothing to send" if response is None else response.status


def register_webhooks(link_id: int) -> str:
    return services.link_webhooks_register(link_id=link_id)


def unregister_webhooks(provider: str, account_id: int, company_id: str, project_id: str, hook_id: str) -> str:
    return services.webhooks_unregister(
        provider=provider, account_id=account_id, company_id=company_id, project_id=project_id, hook_id=hook_id
    )
