"""Prometheus metrics: counters the code increments, and gauges read from the database when Prometheus scrapes.

Counters live in the process that counts (a gunicorn worker, a qcluster worker). With `PROMETHEUS_MULTIPROC_DIR` set
(production: several processes), prometheus-client keeps them in files in that folder and a scrape adds every
process's up; without it (development, tests) they are this process's own. Gauges that describe the data (links, runs,
responses, the task queue) are never counted in memory: each scrape reads them from the database and the broker, so
every process answers the same. Apps above this one hand in their gauges with `register_scrape_collector` (the core
knows no link or response).
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable, Iterable

from django.conf import settings
from prometheus_client import CollectorRegistry, Counter, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

# Counters are registered here, not in prometheus-client's global registry: a scrape builds its own registry.
PROCESS_REGISTRY = CollectorRegistry(auto_describe=True)

PROVIDER_REQUESTS = Counter(
    "portal_provider_requests",
    "Requests sent to providers, by provider and HTTP status ('error' when no answer came).",
    ["provider", "status"],
    registry=PROCESS_REGISTRY,
)
PROVIDER_RATE_LIMITED = Counter(
    "portal_provider_rate_limited",
    "Answers 429 (rate limited) from providers.",
    ["provider"],
    registry=PROCESS_REGISTRY,
)
PROVIDER_WAITS = Counter(
    "portal_provider_waits",
    "Waits a provider asked for or backoff chose: 'slept' when short enough to wait in place, 'deferred' when the "
    "work was rescheduled instead.",
    ["provider", "outcome"],
    registry=PROCESS_REGISTRY,
)
PROVIDER_WAIT_SECONDS = Counter(
    "portal_provider_wait_seconds",
    "Seconds of waiting asked for or chosen before retrying a provider request (slept and deferred together).",
    ["provider"],
    registry=PROCESS_REGISTRY,
)
SYNC_RUNS = Counter(
    "portal_sync_runs",
    "Sync runs finished, by provider and outcome (the run's status).",
    ["provider", "outcome"],
    registry=PROCESS_REGISTRY,
)
WEBHOOK_DELIVERIES = Counter(
    "portal_provider_webhook_deliveries",
    "Webhook deliveries received from providers, by outcome (poked, duplicate, own write, unauthorized, unknown link).",
    ["provider", "outcome"],
    registry=PROCESS_REGISTRY,
)

GaugeSource = Callable[[], Iterable[Metric]]
_scrape_sources: dict[str, GaugeSource] = {}


def register_scrape_collector(name: str, source: GaugeSource) -> None:
    """Add (or replace, by name) a function whose metrics each scrape reads afresh, e.g. from the database."""
    _scrape_sources[name] = source


class _ScrapeTimeCollector(Collector):
    def collect(self) -> Iterable[Metric]:
        for source in list(_scrape_sources.values()):
            yield from source()


class _ProcessCollector(Collector):
    def collect(self) -> Iterable[Metric]:
        return PROCESS_REGISTRY.collect()


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def scrape_registry() -> CollectorRegistry:
    """What one scrape answers: every process's counters, and the gauges read now."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessCollector())
    registry.register(_ScrapeTimeCollector())
    return registry


def render() -> bytes:
    return generate_latest(scrape_registry())


def token_accepted(authorization: str) -> bool:
    """True when `authorization` is `Bearer <METRICS_TOKEN>`; never with no token configured."""
    expected = settings.METRICS_TOKEN
    if not expected:
        return False
    given = authorization.removeprefix("Bearer ").strip()
    return hmac.compare_digest(given.encode(), expected.encode())


def gauge(name: str, documentation: str, labels: list[str] | None = None) -> GaugeMetricFamily:
    """A gauge family for a scrape-time source (its samples added with `add_metric`)."""
    return GaugeMetricFamily(name, documentation, labels=labels or [])
