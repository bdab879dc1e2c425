"""Procore webhook registration against the sandbox: one project hook, six triggers, removed again."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from connector_portal.models import Firm, User
from providers.registry import get_provider
from providers.sandbox.testing import RunningSandbox
from tests.sync_e2e.conftest import CASES, link_for

pytestmark = pytest.mark.sandbox


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
    hook = sandbox.app.store.one("SELECT * FROM hooks WHERE id = ?", (int(hook_id),))
    triggers = sandbox.app.store.all("SELECT resource_name, event_type FROM triggers WHERE hook_id = ?", (hook["id"],))
    procore.unregister_webhooks(
        account=link.account, company_id=case.company_id, project_id=case.project_id, hook_id=hook_id
    )

    assert hook["project_id"] == case.sandbox_project
    assert json.loads(hook["destination_headers"]) == {"Authorization": "Bearer a-secret"}
    assert {(t["resource_name"], t["event_type"]) for t in triggers} == {
        (r, e) for r in ("RFIs", "Submittals") for e in ("create", "update", "delete")
    }
    assert sandbox.app.store.one("SELECT COUNT(*) FROM hooks")[0] == 0
