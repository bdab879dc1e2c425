"""Writes of the projects app: a link's lifecycle, the sync engine (pull, push, sweep, failure policy) and its feed.

Import from here; `links` is what pages, admin and the API call to change a link, the other submodules are the
engine's parts.
"""

from __future__ import annotations

from projects.services.attachments import attachment_fetch, attachments_fetch, attachments_record
from projects.services.feed import feed_append, feed_entry_acknowledge
from projects.services.ingest import content_hash, ingest_page
from projects.services.links import (
    LinkExists,
    SyncRefused,
    link_connect,
    link_disconnect,
    link_pause,
    link_reconnect,
    link_resume,
    link_set_kinds,
    link_settings_save,
    link_switch_receiving_user,
    link_sync_now,
)
from projects.services.pull import link_sync, poll_interval
from projects.services.push import (
    IdempotencyConflict,
    ResponseRefused,
    request_hash,
    response_deliver,
    response_dismiss,
    response_record,
    response_retry,
    response_submit,
)
from projects.services.sweep import SweepResult, link_poke, sweep_run, sync_run_queue
from projects.services.webhooks import (
    link_webhook_prepare,
    link_webhook_registered,
    link_webhooks_register,
    webhook_authorize,
    webhook_receive,
    webhooks_unregister,
)

__all__ = [
    "IdempotencyConflict",
    "LinkExists",
    "ResponseRefused",
    "SweepResult",
    "SyncRefused",
    "attachment_fetch",
    "attachments_fetch",
    "attachments_record",
    "content_hash",
    "feed_append",
    "feed_entry_acknowledge",
    "ingest_page",
    "link_connect",
    "link_disconnect",
    "link_pause",
    "link_poke",
    "link_reconnect",
    "link_resume",
    "link_set_kinds",
    "link_settings_save",
    "link_switch_receiving_user",
    "link_sync",
    "link_sync_now",
    "link_webhook_prepare",
    "link_webhook_registered",
    "link_webhooks_register",
    "poll_interval",
    "request_hash",
    "response_deliver",
    "response_dismiss",
    "response_record",
    "response_retry",
    "response_submit",
    "sweep_run",
    "sync_run_queue",
    "webhook_authorize",
    "webhook_receive",
    "webhooks_unregister",
]
