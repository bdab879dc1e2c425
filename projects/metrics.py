"""Gauges about links, responses and files, read from the database at each scrape (connector_portal.metrics).

Per-link series carry the link id, the firm's slug and the provider, so an alert names what support must open. A
paused link has no lag: nobody expects it to sync.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from connector_portal.metrics import gauge
from projects.models import ItemResponse, ProjectLink

LINK_LABELS = ["link", "firm", "provider"]
# Rows counted by their state at each scrape: (metric, "app.Model", state field). A model another change has not
# brought yet (files in, deliveries to Project Center) is simply left out until it exists.
STATE_GAUGES: list[tuple[str, str, str]] = [
    ("portal_attachments", "projects.Attachment", "state"),
    ("portal_project_center_webhook_deliveries", "projects.OutboundDelivery", "status"),
]


def _link_gauges(now: dt.datetime) -> list[Metric]:
    lag = gauge(
        "portal_link_sync_lag_seconds",
        "Seconds since the link last synced successfully (since it was made, if never). Paused links are left out.",
        LINK_LABELS,
    )
    failing = gauge(
        "portal_link_failing_seconds", "Seconds the link has been failing (only failing links).", LINK_LABELS
    )
    status = gauge("portal_link_status", "1 for each link, labelled with its status.", [*LINK_LABELS, "status"])
    rows = ProjectLink.objects.values_list(
        "pk", "firm__slug", "provider", "status", "last_synced_at", "created_at", "failing_since"
    ).order_by("pk")
    for pk, firm, provider, state, last_synced_at, created_at, failing_since in rows.iterator(chunk_size=2000):
        labels = [str(pk), firm, provider]
        status.add_metric([*labels, state], 1.0)
        if state != ProjectLink.Status.PAUSED:
            lag.add_metric(labels, max(0.0, (now - (last_synced_at or created_at)).total_seconds()))
        if failing_since is not None:
            failing.add_metric(labels, max(0.0, (now - failing_since).total_seconds()))
    return [lag, failing, status]


def _response_gauges(now: dt.datetime) -> list[Metric]:
    by_state = gauge("portal_responses", "Responses recorded in Project Center, by delivery state.", ["status"])
    counts = dict(ItemResponse.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    for state in ItemResponse.Status.values:
        by_state.add_metric([state], float(counts.get(state, 0)))
    oldest = gauge(
        "portal_response_oldest_pending_seconds",
        "How long the oldest response still waiting to be sent has waited (0: none).",
    )
    waiting = ItemResponse.objects.filter(status=ItemResponse.Status.PENDING).aggregate(at=Min("created_at"))["at"]
    oldest.add_metric([], max(0.0, (now - waiting).total_seconds()) if waiting else 0.0)
    return [by_state, oldest]


def _state_gauge(metric: str, model_label: str, field: str) -> GaugeMetricFamily | None:
    try:
        model = apps.get_model(model_label)
        model._meta.get_field(field)
    except (LookupError, FieldDoesNotExist):
        return None
    family = gauge(metric, f"{model._meta.verbose_name_plural.capitalize()} by {field}.", [field])
    for state, n in model.objects.values_list(field).annotate(n=Count("pk")).values_list(field, "n"):
        family.add_metric([str(state)], float(n))
    return family


def collect(*, clock: Callable[[], dt.datetime] = timezone.now) -> Iterable[Metric]:
    now = clock()
    yield from _link_gauges(now)
    yield from _response_gauges(now)
    for metric, model_label, field in STATE_GAUGES:
        family = _state_gauge(metric, model_label, field)
        if family is not None:
            yield family
