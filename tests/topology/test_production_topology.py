"""The production topology, run for real: what the README's "Deploying for production" describes, on this machine.

An HTTPS proxy (tests/topology/tls_proxy.py) in front of gunicorn with several workers, two `qcluster` processes on
the Redis broker, PostgreSQL, DEBUG off with every secret from the environment, and the provider sandbox as the
provider. A browser connects a project through the sandbox's OAuth pages; the general contractor sends a submittal
(the sandbox's Procore webhook pokes the link); Project Center reads it in the feed and answers; the answer reaches
the provider; Prometheus' view of it all is scraped from /metrics.

Run by `.ci/run` once (TOPOLOGY=1); skipped otherwise: it starts seven processes and takes about a minute.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
import redis
import requests
from cryptography.fernet import Fernet
from prometheus_client.parser import text_string_to_metric_families

from tests.topology.tls_proxy import self_signed_certificate, tls_proxy

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
CHROMIUM = "/usr/bin/chromium"
SERVER = os.environ.get("TOPOLOGY_POSTGRES", "postgres://postgres@127.0.0.1:5432")
DATABASE = os.environ.get("TOPOLOGY_DATABASE", "connector_portal_topology")
REDIS_DB = int(os.environ.get("TOPOLOGY_REDIS_DB", "7"))
PROVIDER_PROJECT = "6100000001"  # the sandbox's P-1001 Riverside Medical Center (Summit Builders)

pytestmark = [
    pytest.mark.topology,
    pytest.mark.skipif(not os.environ.get("TOPOLOGY"), reason="the production topology runs in .ci/run (TOPOLOGY=1)"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"the connect is driven in Chromium ({CHROMIUM})"),
]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def eventually(check: Callable[[], T | None], what: str, timeout: float = 60.0) -> T:
    """Poll a running system until `check` answers (the processes work on their own time, not the test's)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class Topology:
    base_url: str
    sandbox_url: str
    env: dict[str, str]
    cert: Path
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]]
    api_token: str = ""

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self, name: str, *command: str) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.base_url + path, verify=str(self.cert), timeout=30, **kwargs)

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.api_token}", **kwargs.pop("headers", {})}
        return requests.request(
            method, f"{self.base_url}/api/v1{path}", headers=headers, verify=str(self.cert), timeout=30, **kwargs
        )

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def fresh_database() -> str:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    return f"{SERVER}/{DATABASE}"


def production_environment(tmp: Path, *, proxy_port: int, sandbox_port: int) -> dict[str, str]:
    """Exactly the variables the README's "Deploying for production" lists, with the sandbox as the provider."""
    redis_url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    redis.Redis.from_url(redis_url).flushdb()
    metrics_dir = tmp / "prometheus-multiproc"
    metrics_dir.mkdir()
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}}
    return {
        **keep,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_BASE_URL": f"https://127.0.0.1:{proxy_port}",
        "DATABASE_URL": fresh_database(),
        "REDIS_URL": redis_url,
        "METRICS_TOKEN": secrets.token_urlsafe(24),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "LOG_FORMAT": "json",
        "PRIVATE_MEDIA_ROOT": str(tmp / "private-media"),
        # Only because the provider here is the sandbox: in production it is false and provider apps are in admin.
        "PROVIDER_SANDBOX": "true",
        "SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}",
    }


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    tmp = tmp_path_factory.mktemp("topology")
    proxy_port, gunicorn_port, sandbox_port = free_port(), free_port(), free_port()
    cert, key = self_signed_certificate(tmp)
    env = production_environment(tmp, proxy_port=proxy_port, sandbox_port=sandbox_port)
    logs = ROOT / "test-artifacts" / "topology"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    running = Topology(f"https://127.0.0.1:{proxy_port}", env["SANDBOX_URL"], env, cert, logs, {})
    try:
        running.manage("migrate", "--noinput")
        running.manage("collectstatic", "--noinput")
        seeded = running.manage("seed_demo")
        running.api_token = re.search(r"token \(shown once, keep it\): (\S+)", seeded).group(1)  # type: ignore[union-attr]
        # The sandbox's webhook deliveries come in through the proxy like any provider's: it trusts the proxy's cert.
        running.env = {**env, "REQUESTS_CA_BUNDLE": str(cert)}
        running.start(
            "sandbox", PYTHON, "manage.py", "run_sandbox", "--force", "--port", str(sandbox_port), "--db",
            str(tmp / "sandbox.sqlite3"),
        )  # fmt: skip
        running.env = env
        running.start(
            "gunicorn", GUNICORN, "connector_portal.wsgi", "--workers", "4", "--bind", f"127.0.0.1:{gunicorn_port}",
            "--access-logfile", "-",
        )  # fmt: skip
        running.start("qcluster-1", PYTHON, "manage.py", "qcluster")
        running.start("qcluster-2", PYTHON, "manage.py", "qcluster")
        with tls_proxy(port=proxy_port, upstream_port=gunicorn_port, cert=cert, key=key):
            eventually(lambda: _answers(running.sandbox_url + "/_control/"), "the sandbox")
            eventually(lambda: _ready_with_two_clusters(running), "gunicorn and two qclusters")
            yield running
    finally:
        running.stop()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _ready_with_two_clusters(running: Topology) -> bool:
    try:
        body = running.get("/healthz/ready").json()
    except (requests.RequestException, ValueError):
        return False
    return body["status"] == "ok" and body["task_queue"]["clusters"] == 2


def connect_in_the_browser(running: Topology) -> None:
    """The README's "Try the whole flow" step 1 (Procore), through the proxy and the sandbox's own OAuth pages."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            # The stand-in certificate is self-signed; the cookies are still Secure and the page still HTTPS.
            page = browser.new_page(ignore_https_errors=True)
            page.set_default_timeout(20_000)
            page.goto(f"{running.base_url}/connect/PC-1001/")
            page.get_by_label("Email").fill("demo@example.com")
            page.get_by_label("Password").fill("demo-password")
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Connect 1001 Riverside Library")).to_be_visible()
            page.get_by_role("link", name="Procore", exact=True).click()
            page.get_by_label("Email").fill("reviewer@sandbox.test")
            page.get_by_label("Password").fill("sandbox")
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("button", name="Allow").click()
            page.get_by_label("Summit Builders").check()
            page.get_by_role("button", name="Continue").click()
            page.get_by_label("Search projects").fill("riverside")
            page.get_by_role("button", name="Search").click()
            page.get_by_label("P-1001 Riverside Medical Center").check()
            page.get_by_role("button", name="Continue").click()
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_text("is connected to")).to_be_visible()
        finally:
            browser.close()


def feed_entry_titled(running: Topology, title: str) -> dict[str, Any] | None:
    entries = running.api("GET", "/feed/").json()["entries"]
    return next((e for e in entries if e["item"]["title"] == title), None)


def scrape(running: Topology) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    answer = running.get("/metrics", headers={"Authorization": f"Bearer {running.env['METRICS_TOKEN']}"})
    assert answer.status_code == 200, answer.text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def total(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def test_connect_sync_feed_and_a_response_round_trip_through_the_production_topology(topology: Topology) -> None:
    assert topology.get("/healthz/live").json() == {"status": "ok"}
    ready = topology.get("/healthz/ready").json()
    assert (ready["database"]["vendor"], ready["task_queue"]["broker"]) == ("postgresql", "Redis")
    plain = requests.get(topology.base_url + "/accounts/login/", verify=str(topology.cert), timeout=30)
    assert "max-age=31536000" in plain.headers["Strict-Transport-Security"]  # DEBUG off, HTTPS seen via the proxy

    connect_in_the_browser(topology)
    # The general contractor sends a submittal; the sandbox's webhook pokes the link and a worker syncs it.
    title = f"Curtain wall shop drawings {secrets.token_hex(3)}"
    sent = requests.post(
        f"{topology.sandbox_url}/_control/scenarios/send_submittal",
        json={"project_id": PROVIDER_PROJECT, "title": title},
        timeout=30,
    )
    assert sent.status_code == 200, sent.text
    entry = eventually(lambda: feed_entry_titled(topology, title), "the submittal in Project Center's feed")
    assert entry["change"] == "new" and "Approved" in entry["response_keywords"]

    recorded = topology.api(
        "POST",
        f"/items/{entry['item']['id']}/responses/",
        json={"keyword": "Approved", "comment": "Proceed."},
        headers={"Idempotency-Key": f"topology-{secrets.token_hex(4)}"},
    )
    assert recorded.status_code == 201, recorded.text
    receipt = recorded.json()
    assert receipt["url"].startswith(topology.base_url)  # built from PORTAL_BASE_URL, HTTPS
    delivered = eventually(
        lambda: (lambda r: r if r["status"] == "delivered" else None)(
            topology.api("GET", f"/responses/{receipt['id']}/").json()
        ),
        "the response delivered to the provider",
    )
    assert "Procore" in delivered["provider_answer"]

    samples = scrape(topology)
    # Counted in the gunicorn workers and the qcluster workers alike, added up across every process.
    assert total(samples, "portal_provider_requests_total", provider="Procore", status="200") > 0
    assert total(samples, "portal_sync_runs_total", provider="procore", outcome="succeeded") >= 1
    assert total(samples, "portal_provider_webhook_deliveries_total", outcome="poked") >= 1
    assert total(samples, "portal_responses", status="delivered") == 1
    assert total(samples, "portal_link_status", status="active", provider="procore") == 1
    assert total(samples, "portal_task_broker_up") == 1
    # LOG_FORMAT=json: every line the workers wrote is one JSON object; the web answers carry their request id.
    worker_lines = [json.loads(line) for name in ("qcluster-1", "qcluster-2") for line in log_lines(topology, name)]
    assert any("projects.tasks.sync_link" in line["message"] for line in worker_lines)
    # gunicorn's own lines too (its access log and its error log), so a collector reads one format from the web hosts.
    web_lines = [json.loads(line) for line in log_lines(topology, "gunicorn")]
    assert any(line["logger"] == "gunicorn.access" and "/healthz/ready" in line["message"] for line in web_lines)
    assert re.fullmatch(r"[0-9a-f]{32}", topology.get("/healthz/live").headers["X-Request-ID"])


def log_lines(running: Topology, name: str) -> list[str]:
    return [line for line in (running.logs / f"{name}.log").read_text().splitlines() if line.strip()]
