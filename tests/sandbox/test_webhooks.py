from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sandbox.constants import SANDBOX_CLIENTS
from sandbox.testing import RunningSandbox

from .conftest import REVIEWER, RIVERSIDE, SUMMIT, Api


class Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], dict]] = []
        self.status = 200
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/procore/"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append((dict(self.headers), body))
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _subscribe(procore: Api, receiver: Receiver, resource: str = "Submittals", event: str = "update") -> dict:
    hook = procore.post(
        "/rest/v1.0/webhooks/hooks",
        json={
            "project_id": RIVERSIDE,
            "hook": {
                "api_version": "v2",
                "namespace": "connector-portal",
                "destination_url": receiver.url,
                "destination_headers": {"Authorization": "Bearer hook-secret"},
            },
        },
    )
    assert hook.status_code == 201
    trigger = procore.post(
        f"/rest/v1.0/webhooks/hooks/{hook.json()['id']}/triggers",
        json={
            "project_id": RIVERSIDE,
            "api_version": "v2",
            "trigger": {"resource_name": resource, "event_type": event},
        },
    )
    assert trigger.status_code == 201 and trigger.json()["event_type"] == event.upper()
    return hook.json()


def test_a_response_through_the_api_is_delivered_to_the_hook(
    sandbox: RunningSandbox, procore: Api, receiver: Receiver
) -> None:
    hook = _subscribe(procore, receiver)
    responses = procore.get(f"/rest/v1.0/projects/{RIVERSIDE}/submittal_responses").json()
    submittal = procore.get(
        f"/rest/v1.1/projects/{RIVERSIDE}/submittals", params={"filters[ball_in_court_id]": REVIEWER}
    ).json()[0]
    approver = next(a for a in submittal["approvers"] if a["user"]["id"] == REVIEWER)
    procore.patch(
        f"/rest/v1.0/submittal_approvers/{approver['id']}",
        params={"project_id": RIVERSIDE},
        json={"submittal_approver": {"submittal_response_id": responses[1]["id"]}},
    )
    assert sandbox.app.webhooks.wait_idle()
    headers, payload = receiver.received[0]
    assert headers["Authorization"] == "Bearer hook-secret"
    assert payload["resource_name"] == "Submittals" and payload["resource_id"] == submittal["id"]
    assert payload["event_type"] == "update" and payload["project_id"] == RIVERSIDE and payload["company_id"] == SUMMIT
    assert payload["metadata"]["source_application_id"] == SANDBOX_CLIENTS["procore"][0] and payload["ulid"]
    deliveries = procore.get(f"/rest/v1.0/webhooks/hooks/{hook['id']}/deliveries").json()
    assert [(d["outcome"], d["response_status"]) for d in deliveries] == [("ok", 200)]


def test_a_gc_scenario_fires_create_triggers_only_when_subscribed(
    sandbox: RunningSandbox, procore: Api, receiver: Receiver
) -> None:
    _subscribe(procore, receiver, resource="RFIs", event="create")
    sandbox.scenario("send_submittal", project_id=RIVERSIDE, title="Not subscribed")
    rfi = sandbox.scenario("send_rfi", project_id=RIVERSIDE, title="Ceiling height")
    assert sandbox.app.webhooks.wait_idle()
    assert [(p["resource_name"], p["resource_id"], p["event_type"]) for _h, p in receiver.received] == [
        ("RFIs", rfi["item_id"], "create")
    ]
    assert p_source(receiver) is None


def p_source(receiver: Receiver) -> object:
    return receiver.received[0][1]["metadata"]["source_application_id"]


def test_a_failed_delivery_is_recorded(sandbox: RunningSandbox, procore: Api, receiver: Receiver) -> None:
    receiver.status = 500
    hook = _subscribe(procore, receiver, event="create")
    sandbox.scenario("send_submittal", project_id=RIVERSIDE)
    assert sandbox.app.webhooks.wait_idle()
    deliveries = procore.get(f"/rest/v1.0/webhooks/hooks/{hook['id']}/deliveries").json()
    assert [(d["outcome"], d["response_status"]) for d in deliveries] == [("failed", 500)]


def test_hooks_list_and_delete(procore: Api, receiver: Receiver) -> None:
    hook = _subscribe(procore, receiver)
    assert [h["id"] for h in procore.get("/rest/v1.0/webhooks/hooks", params={"project_id": RIVERSIDE}).json()] == [
        hook["id"]
    ]
    procore.session.delete(
        procore.sandbox.url("procore", f"/rest/v1.0/webhooks/hooks/{hook['id']}"),
        params={"project_id": RIVERSIDE},
        timeout=5,
    )
    assert procore.get("/rest/v1.0/webhooks/hooks", params={"project_id": RIVERSIDE}).json() == []


def test_a_hook_set_to_payload_v4_gets_the_event_as_reason_and_string_ids(
    sandbox: RunningSandbox, procore: Api, receiver: Receiver
) -> None:
    hook = _subscribe(procore, receiver, event="create")
    sandbox.scenario("hook_version", hook_id=hook["id"], api_version="v4.0")
    sent = sandbox.scenario("send_submittal", project_id=RIVERSIDE)
    assert sandbox.app.webhooks.wait_idle()
    payload = receiver.received[0][1]
    assert payload["api_version"] == "v4.0" and payload["reason"] == "create" and "event_type" not in payload
    assert (payload["resource_id"], payload["project_id"], payload["company_id"]) == (
        str(sent["item_id"]),
        str(RIVERSIDE),
        str(SUMMIT),
    )
    assert isinstance(payload["id"], str) and payload["ulid"]


def test_a_hook_with_an_unknown_payload_version_is_refused(procore: Api, receiver: Receiver) -> None:
    answer = procore.post(
        "/rest/v1.0/webhooks/hooks",
        json={"project_id": RIVERSIDE, "hook": {"api_version": "v9", "destination_url": receiver.url}},
    )
    assert answer.status_code == 400 and "api_version" in answer.json()["errors"]
