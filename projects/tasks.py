"""django-q2 entry points: thin, take ids, safe to run twice."""

from __future__ import annotations

from collections import Counter

from django.utils import timezone

from projects import services
from projects.models import Attachment
from projects.queue import enqueue_many
from projects.services import outbound
from projects.services.uploads import uploads_delete_unused

SWEEP_SCHEDULE_NAME = "projects.sweep"
# The second schedule, half a minute out of step: the sweep ticks every 30 s (projects.constants.SWEEP_EVERY).
SECOND_SWEEP_SCHEDULE_NAME = "projects.sweep.half"
WEBHOOK_RETRIES_SCHEDULE_NAME = "projects.webhook_retries"
UNUSED_UPLOADS_SCHEDULE_NAME = "projects.unused_uploads"


def sweep() -> int:
    result = services.sweep_run()
    return len(result.links) + len(result.responses) + len(result.files)


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


def fetch_attachments(attachment_ids: list[int]) -> str:
    """Download a page's files (projects.services.attachments.attachments_fetch); answers what became of them."""
    done = services.attachments_fetch(attachment_ids=attachment_ids)
    states = Counter(_what_became(row) for row in done)
    words = [f"{count} {state}" for state, count in sorted(states.items())]
    handed_over = len(set(attachment_ids)) - len(done)
    if handed_over:
        words.append(f"{handed_over} queued as a task of their own (time up)")
    return ", ".join(words) or "nothing to download"


def _what_became(row: Attachment | None) -> str:
    """A file's state, or why this run left it: gone, removed, or (a file queued twice) in another run's hands."""
    if row is None:
        return "gone or changed"
    if row.removed:
        return "removed"
    if row.state == Attachment.State.PENDING:
        return "held by another task" if row.fetch_task else "pending"
    return str(row.state)


def fetch_attachment(attachment_id: int) -> str:
    """One file: the task queued before downloads went a page at a time (tasks still waiting in a queue then)."""
    return fetch_attachments([attachment_id])


def notify_webhooks(firm_id: int) -> str:
    """The firm's feed grew: tell each of its webhooks (one coalesced event each)."""
    due = outbound.webhooks_notify(firm_id=firm_id, now=timezone.now())
    sent = [outbound.delivery_attempt(delivery_id=pk) for pk in due]
    return f"{sum(1 for d in sent if d is not None)} event(s) sent"


def deliver_webhook(delivery_id: int) -> str:
    delivery = outbound.delivery_attempt(delivery_id=delivery_id)
    return "nothing to send" if delivery is None else delivery.status


def webhook_retries() -> int:
    """Every minute: queue the deliveries whose backoff is over (and catch up webhooks left behind)."""
    due = outbound.deliveries_retry_due(now=timezone.now())
    enqueue_many([("projects.tasks.deliver_webhook", (pk,)) for pk in due])
    return len(due)


def delete_unused_uploads() -> int:
    """Every hour: delete the response uploads no response named within RESPONSE_UPLOAD_UNUSED_HOURS."""
    return uploads_delete_unused(now=timezone.now())
