"""Procore webhook registration against the sandbox: one project hook, six triggers, removed again; a rerun after a
lost answer ends with exactly one hook."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import requests
from django.conf import settings
from django.test import Client
from django.urls import reverse

from connector_portal.models import Firm, User
from projects.models import SyncedItem
from projects.services import link_sync, link_webhooks_register
from providers.registry import get_provider
from sandbox.testing import RunningSandbox
from tests.sync_e2e.conftest import CASES, AnswerLoser, EngineClock, link_for

pytestmark = pytest.mark.sandbox
NS = "newforma-connector"


def test_a_link_registers_its_procore_hook_with_triggers_and_removes_it(
    firm: Firm, member: User, sandbox: RunningSandbox, recorded: list[SimpleNamespace]
) -> None:
    case = CASES["procore"]
    link = link_for(firm, member, sandbox, case)
    procore = get_provider("procore")

    hook_id = procore.register_webhooks(
        account=link.account,
        company_id=case.company_id,
        project_id=case.project_id,
        destination_url="http://127.0.0.1:9/hooks/procore/abc/",
        authorization="Bearer a-secret",
    )
    hook = sandbox.app.store.row("SELECT * FROM hooks WHERE id = ?", (int(hook_id),))
    triggers = sandbox.app.store.all("SELECT resource_name, event_type FROM triggers WHERE hook_id = ?", (hook["id"],))
    procore.unregister_webhooks(
        account=link.account, company_id=case.company_id, project_id=case.project_id, hook_id=hook_id
    )

    assert hook["project_id"] == case.sandbox_project
    assert json.loads(hook["destination_headers"]) == {"Authorization": "Bearer a-secret"}
    assert {(t["resource_name"], t["event_type"]) for t in triggers} == {
        (r, e) for r in ("RFIs", "Submittals") for e in ("create", "update", "delete")
    }
    assert sandbox.app.store.row("SELECT COUNT(*) FROM hooks")[0] == 0


def test_a_rerun_after_a_lost_hook_answer_leaves_exactly_one_hook_with_its_six_triggers(
    firm: Firm,
    member: User,
    sandbox: RunningSandbox,
    lose_answers: AnswerLoser,
    recorded: list[SimpleNamespace],
) -> None:
    case = CASES["procore"]
    link = link_for(firm, member, sandbox, case)
    link.webhook_token = "link-token"
    link.save(update_fields=["webhook_token"])
    url = settings.PORTAL_BASE_URL + reverse("projects:procore_webhook", kwargs={"token": "link-token"})
    # Another application's hook to the same URL, and one of ours to another link's URL: both are left alone.
    for namespace, destination in [("someone-else", url), ("newforma-connector", f"{url}other/")]:
        created = requests.post(
            sandbox.url("procore", "/rest/v1.0/webhooks/hooks"),
            headers={"Authorization": f"Bearer {link.account.access_token}", "Procore-Company-Id": case.company_id},
            json={"project_id": int(case.project_id), "hook": {"namespace": namespace, "destination_url": destination}},
            timeout=5,
        )
        assert created.status_code == 201
    lose_answers.lose("POST", "/webhooks/hooks")

    lost = link_webhooks_register(link_id=link.pk)
    orphans = sandbox.app.store.all("SELECT id FROM hooks WHERE destination_url = ? AND namespace = ?", (url, NS))
    rerun = link_webhooks_register(link_id=link.pk)

    link.refresh_from_db()
    ours = sandbox.app.store.all("SELECT id FROM hooks WHERE destination_url = ? AND namespace = ?", (url, NS))
    triggers = sandbox.app.store.all(
        "SELECT resource_name, event_type FROM triggers WHERE hook_id = ?", (ours[0]["id"],)
    )
    assert lost.startswith("not registered") and len(orphans) == 1  # at Procore, its id never seen by the portal
    assert rerun == "registered"
    assert [str(h["id"]) for h in ours] == [link.webhook_hook_id]
    assert {(t["resource_name"], t["event_type"]) for t in triggers} == {
        (r, e) for r in ("RFIs", "Submittals") for e in ("create", "update", "delete")
    }
    assert sandbox.app.store.row("SELECT COUNT(*) FROM hooks")[0] == 3


def test_the_hooks_list_filters_on_namespace_and_masks_the_authorization_header(
    firm: Firm, member: User, sandbox: RunningSandbox
) -> None:
    case = CASES["procore"]
    link = link_for(firm, member, sandbox, case)
    hook_id = get_provider("procore").register_webhooks(
        account=link.account,
        company_id=case.company_id,
        project_id=case.project_id,
        destination_url="http://127.0.0.1:9/hooks/procore/abc/",
        authorization="Bearer a-secret-to-mask",
    )

    listed = requests.get(
        sandbox.url("procore", "/rest/v1.0/webhooks/hooks"),
        headers={"Authorization": f"Bearer {link.account.access_token}", "Procore-Company-Id": case.company_id},
        params={"company_id": case.company_id, "project_id": case.project_id, "namespace": NS},
        timeout=5,
    ).json()
    other = requests.get(
        sandbox.url("procore", "/rest/v1.0/webhooks/hooks"),
        headers={"Authorization": f"Bearer {link.account.access_token}", "Procore-Company-Id": case.company_id},
        params={"company_id": case.company_id, "project_id": case.project_id, "namespace": "someone-else"},
        timeout=5,
    ).json()

    assert [str(h["id"]) for h in listed] == [hook_id] and other == []
    assert listed[0]["destination_headers"]["Authorization"].endswith("*-mask")


@pytest.mark.parametrize(("api_version", "event_key", "id_type"), [("v2", "event_type", int), ("v4.0", "reason", str)])
def test_a_delivery_of_either_payload_version_reaches_the_portal_and_removes_the_deleted_item(
    firm: Firm,
    member: User,
    sandbox: RunningSandbox,
    clock: EngineClock,
    monkeypatch: pytest.MonkeyPatch,
    api_version: str,
    event_key: str,
    id_type: type,
) -> None:
    case = CASES["procore"]
    link = link_for(firm, member, sandbox, case)
    link_sync(link_id=link.pk, clock=clock)
    assert link_webhooks_register(link_id=link.pk) == "registered"
    link.refresh_from_db()
    hook = sandbox.app.store.one("SELECT api_version FROM hooks WHERE id = ?", (int(link.webhook_hook_id),))
    assert hook is not None and hook["api_version"] == "v4.0"  # registered in the current payload version
    if api_version != "v4.0":  # a Procore admin set the hook back to the legacy payload
        sandbox.scenario("hook_version", hook_id=link.webhook_hook_id, api_version=api_version)
    sent: list[tuple[str, dict, dict]] = []

    def deliver(url: str, *, json: dict, headers: dict, timeout: object) -> SimpleNamespace:
        sent.append((url, json, headers))  # the portal is not listening on a port here: replayed below
        return SimpleNamespace(status_code=200, text="")

    monkeypatch.setattr("sandbox.webhooks.requests.post", deliver)
    row = case.item_row("submittal", 1)
    sandbox.scenario("delete_item", item_id=row)
    assert sandbox.app.webhooks.wait_idle()
    url, payload, headers = sent[0]
    answer = Client().post(
        url.removeprefix(settings.PORTAL_BASE_URL),
        payload,
        content_type="application/json",
        HTTP_AUTHORIZATION=headers["Authorization"],
    )

    assert payload["api_version"] == api_version and payload[event_key] == "delete"
    assert type(payload["resource_id"]) is id_type and type(payload["project_id"]) is id_type
    assert answer.json() == {"result": "poked"}
    assert SyncedItem.objects.get(kind="submittal", provider_id=str(row)).removed
