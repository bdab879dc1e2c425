"""From a Procore webhook to the feed, and on to Project Center's own webhook endpoint (issue 13, items 5 and 7).

Each sample: the general contractor sends a submittal in the provider sandbox (Procore over real HTTP), Procore's
delivery for it reaches the portal's webhook URL, and the clock runs until (a) the new feed entry is committed and
(b) Project Center's endpoint — a real HTTP server on this machine that checks the signature — has the event.
Tasks run inline here (`Q_CLUSTER["sync"]` in tests); a qcluster adds its broker's pickup, at most `poll` (1 s) per
hop with the database broker, two hops (the sync, then the notification): the table states it beside the figure.
Run with `BENCH=1 pytest tests/bench -s`; skipped otherwise.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from connector_portal.models import Firm, User
from projects.models import FeedEntry, OutboundDelivery, ProjectLink
from projects.services import outbound
from projects.services.webhooks import _digest
from sandbox.testing import RunningSandbox
from tests.sync_e2e.conftest import CASES, link_for

pytestmark = [
    pytest.mark.skipif(os.environ.get("BENCH") != "1", reason="benchmarks run only with BENCH=1 (make bench)"),
    pytest.mark.sandbox,
    pytest.mark.django_db(transaction=True),
]
SAMPLES = 20
RESULTS: list[tuple[str, str, str]] = []


class ProjectCenter(BaseHTTPRequestHandler):
    """Project Center's webhook endpoint: checks the signature, notes when each event arrived."""

    secret = ""
    arrivals: list[tuple[float, dict[str, object], bool]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        signed = outbound.signature_verify(
            secret=self.secret,
            timestamp=self.headers.get(outbound.TIMESTAMP_HEADER, ""),
            body=body,
            signature=self.headers.get(outbound.SIGNATURE_HEADER, ""),
            now=time.time(),
        )
        self.arrivals.append((time.perf_counter(), json.loads(body), signed))
        self.send_response(204 if signed else 401)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def project_center(settings: Any) -> Iterator[str]:
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = True  # this Project Center listens on 127.0.0.1
    server = ThreadingHTTPServer(("127.0.0.1", 0), ProjectCenter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/portal"
    server.shutdown()


@pytest.fixture
def sandbox(tmp_path: object, settings: object) -> Iterator[RunningSandbox]:
    from sandbox.testing import running_sandbox

    with running_sandbox(tmp_path / "sandbox.sqlite3", seed=True) as handle:  # type: ignore[operator]
        settings.SANDBOX_URL = handle.base_url  # type: ignore[attr-defined]
        settings.PROVIDER_SANDBOX = True  # type: ignore[attr-defined]
        yield handle


@pytest.fixture(scope="module", autouse=True)
def print_table() -> Iterator[None]:
    yield
    print(f"\n\nChange-to-feed latency, Procore webhook path ({connection.vendor}; {SAMPLES} samples)")
    print(f"{'measure':<70} {'result':>22}  target")
    for name, result, target in RESULTS:
        print(f"{name:<70} {result:>22}  {target}")


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _feed_committed_at(marks: list[float]) -> None:
    marks.append(time.perf_counter())


def test_from_a_procore_webhook_to_the_feed_and_to_project_centers_endpoint(
    firm: Firm, member: User, sandbox: RunningSandbox, project_center: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = CASES["procore"]
    link = link_for(firm, member, sandbox, case)
    ProjectLink.objects.filter(pk=link.pk).update(webhook_token="bench-token", webhook_secret_hash=_digest("s3cret"))
    monkeypatch.setattr("django.utils.timezone.now", lambda: sandbox.clock.now)  # the engine lives on sandbox time
    from projects.services import link_sync

    link_sync(link_id=link.pk)  # the first sync, before any webhook
    webhook, ProjectCenter.secret = outbound.webhook_create(firm=firm, url=project_center, now=sandbox.clock.now)
    ProjectCenter.arrivals = []
    feed_marks: list[float] = []
    real_notify = outbound.webhooks_notify

    def notify_marking(**kwargs: object) -> list[int]:  # runs once the feed's transaction has committed
        _feed_committed_at(feed_marks)
        return real_notify(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(outbound, "webhooks_notify", notify_marking)
    portal = Client()
    url = reverse("projects:procore_webhook", kwargs={"token": "bench-token"})
    to_feed: list[float] = []
    to_pc: list[float] = []
    for n in range(SAMPLES):
        sandbox.clock.advance(60)
        item = sandbox.scenario("send_submittal", project_id=case.project_id, title=f"Latency {n}")
        delivery = {
            "ulid": f"bench-{n}",
            "reason": "create",
            "resource_name": "Submittals",
            "resource_id": str(item["item_id"]),
            "project_id": case.project_id,
        }
        began = time.perf_counter()
        answer = portal.post(url, json.dumps(delivery), content_type="application/json", HTTP_AUTHORIZATION="s3cret")
        assert answer.status_code < 300, answer.content
        assert len(feed_marks) == n + 1 and len(ProjectCenter.arrivals) == n + 1, "every change reaches both"
        to_feed.append(feed_marks[-1] - began)
        to_pc.append(ProjectCenter.arrivals[-1][0] - began)

    assert all(signed for _, _, signed in ProjectCenter.arrivals)
    newest = FeedEntry.objects.filter(firm=firm).order_by("-position").values_list("position", flat=True).first()
    assert ProjectCenter.arrivals[-1][1]["data"]["position"] == newest  # type: ignore[index]
    assert OutboundDelivery.objects.filter(webhook=webhook, status="delivered").count() == SAMPLES
    for name, samples, target in (
        ("Procore webhook → entry in the feed", to_feed, "seconds"),
        ("Procore webhook → Project Center's endpoint has the signed event", to_pc, "p95 <= 5 s"),
    ):
        RESULTS.append(
            (f"{name}: p50 / p95", f"{_percentile(samples, 0.5):.2f} / {_percentile(samples, 0.95):.2f} s", target)
        )
    RESULTS.append(("(a qcluster adds its broker's pickup: up to 1 s a hop, 2 hops)", "+ <= 2 s", ""))
