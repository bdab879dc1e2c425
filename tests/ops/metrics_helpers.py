"""Reading what /metrics answers the way Prometheus does (its text parser), for the operations tests."""

from __future__ import annotations

from collections.abc import Iterable

from django.test import Client
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

TOKEN = "metrics-test-token-0123456789"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples_of(families: Iterable[Metric]) -> Samples:
    return {(s.name, frozenset(s.labels.items())): s.value for family in families for s in family.samples}


def scrape(client: Client) -> Samples:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    return samples_of(text_string_to_metric_families(response.content.decode()))


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))
