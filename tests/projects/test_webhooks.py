"""The Procore webhook receiver: checked, de-duplicated, ignoring the portal's own writes, poking the link."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from projects.models import FeedEntry, ProjectLink, SyncedItem
from projects.services import link_sync, link_webhook_prepare, link_webhooks_register
from providers.errors import AccessBlocked
from providers.models import ProviderApp


@pytest.fixture
def hook(link, monkeypatch) -> tuple[str, str, list[int]]:
    queued: list[int] = []
    monkeypatch.setattr("projects.queue.enqueue", lambda func, *args: queued.append(args[0]))
    url, authorization = link_webhook_prepare(link=link)
    return url.split("127.0.0.1:8000", 1)[-1], authorization, queued


def post(path: str, payload: dict, authorization: str = ""):
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    return Client().post(path, payload, content_type="application/json", **headers)


def delivery(n: int = 1, source: str = "") -> dict:
    return {
        "ulid": f"01HZ{n:022d}",
        "resource_name": "Submittals",
        "resource_id": 42,
        "event_type": "update",
        "metadata": {"source_application_id": source},
    }


def test_a_delivery_pokes_the_link_and_queues_a_sync(link, hook, django_capture_on_commit_callbacks):
    path, authorization, queued = hook

    with django_capture_on_commit_callbacks(execute=True):
        response = post(path, delivery(), authorization)

    assert response.status_code == 200
    assert ProjectLink.objects.get(pk=link.pk).poked_at is not None
    assert queued == [link.pk]


def test_the_secret_is_stored_only_as_a_hash(link, hook):
    _, authorization, _ = hook
    stored = ProjectLink.objects.get(pk=link.pk)
    assert authorization.removeprefix("Bearer ") not in (stored.webhook_secret_hash, stored.webhook_token)


def test_a_wrong_or_missing_authorization_is_refused(link, hook):
    path, _, _ = hook

    assert post(path, delivery(), "Bearer wrong").status_code == 401
    assert post(path, delivery()).status_code == 401
    assert ProjectLink.objects.get(pk=link.pk).poked_at is None


def test_an_unknown_webhook_is_not_found(db):
    assert post("/webhooks/procore/nope/", delivery(), "Bearer x").status_code == 404


def test_a_duplicate_delivery_is_ignored(link, hook, django_capture_on_commit_callbacks):
    path, authorization, queued = hook

    with django_capture_on_commit_callbacks(execute=True):
        post(path, delivery(7), authorization)
        again = post(path, delivery(7), authorization)

    assert again.json() == {"result": "duplicate"}
    assert queued == [link.pk]


def test_the_portals_own_writes_are_ignored(link, hook):
    ProviderApp.objects.create(provider="procore", client_id="portal-app-1")
    path, authorization, _ = hook

    response = post(path, delivery(source="portal-app-1"), authorization)

    assert response.json() == {"result": "own write"}
    assert ProjectLink.objects.get(pk=link.pk).poked_at is None


def test_a_body_that_is_not_a_json_object_is_a_400(hook):
    path, authorization, _ = hook
    response = Client().post(path, "[1, 2]", content_type="application/json", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 400


def test_a_delete_delivery_marks_the_item_removed_once(link, hook, provider, clock):

    provider.put("submittal", "42")

    link_sync(link_id=link.pk, clock=clock, port=provider)
    path, authorization, _queued = hook

    post(path, {**delivery(1), "event_type": "delete"}, authorization)
    post(path, {**delivery(2), "event_type": "delete"}, authorization)  # Procore repeats itself under a new id

    assert SyncedItem.objects.get(link=link, provider_id="42").removed
    changes = list(FeedEntry.objects.filter(link=link).order_by("position").values_list("change", flat=True))
    assert changes == ["new", "removed"]


def test_a_payload_v4_delivery_names_the_event_reason_and_gives_string_ids(
    link, hook, provider, clock, django_capture_on_commit_callbacks
):
    provider.put("submittal", "42")
    link_sync(link_id=link.pk, clock=clock, port=provider)
    path, authorization, queued = hook
    v4 = {
        "id": "01J0000000000000000000V4",
        "api_version": "v4.0",
        "reason": "delete",
        "resource_name": "Submittals",
        "resource_id": "42",
        "project_id": "61",
        "company_id": "51",
        "metadata": {"source_application_id": None},
    }

    with django_capture_on_commit_callbacks(execute=True):
        first = post(path, v4, authorization)
        again = post(path, v4, authorization)

    assert (first.json(), again.json()) == ({"result": "poked"}, {"result": "duplicate"})
    assert SyncedItem.objects.get(link=link, provider_id="42").removed
    assert queued == [link.pk]


class HookingProvider:
    label = "Procore"
    supports_webhooks = True

    def __init__(self, fail: Exception | None = None) -> None:
        self.fail = fail
        self.calls: list[dict[str, Any]] = []

    def register_webhooks(self, **kwargs: object) -> str:
        self.calls.append(kwargs)
        if self.fail:
            raise self.fail
        return "hook-77"


def test_saving_a_link_registers_its_webhook_once(link, monkeypatch):

    provider = HookingProvider()
    monkeypatch.setattr("projects.services.webhooks.get_provider", lambda key: provider)

    assert link_webhooks_register(link_id=link.pk) == "registered"
    assert link_webhooks_register(link_id=link.pk) == "already registered"

    link.refresh_from_db()
    assert (link.webhook_hook_id, link.webhook_healthy) == ("hook-77", True)
    assert len(provider.calls) == 1
    assert provider.calls[0]["authorization"].startswith("Bearer ")
    assert provider.calls[0]["destination_url"].endswith(f"/webhooks/procore/{link.webhook_token}/")


def test_a_refused_webhook_leaves_the_link_polled(link, monkeypatch):

    provider = HookingProvider(fail=AccessBlocked("Procore refused to create the webhook."))
    monkeypatch.setattr("projects.services.webhooks.get_provider", lambda key: provider)

    assert link_webhooks_register(link_id=link.pk).startswith("not registered, polling instead")
    link.refresh_from_db()
    assert (link.webhook_hook_id, link.webhook_healthy) == ("", False)


def test_a_trigger_refused_midway_removes_the_new_hook_and_a_rerun_registers_cleanly(link, settings):
    import datetime as dt

    import responses

    from tests.providers import procore_reference

    settings.PROVIDER_SANDBOX = True
    hooks = f"{settings.SANDBOX_URL}/procore/rest/v1.0/webhooks/hooks"
    ProjectLink.objects.filter(pk=link.pk).update(provider_company_id="51", provider_project_id="61")
    link.account.expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    link.account.save(update_fields=["expires_at"])
    with responses.RequestsMock() as mocked:
        mocked.get(hooks, json=[])  # the provider first looks for a hook of this link left at Procore
        mocked.post(hooks, json={"id": 31}, status=201)
        mocked.post(f"{hooks}/31/triggers", json={"id": 1}, status=201)
        mocked.post(f"{hooks}/31/triggers", status=500)
        mocked.delete(f"{hooks}/31", status=204)

        outcome = link_webhooks_register(link_id=link.pk)

        procore_reference.assert_documented(mocked.calls, base=f"{settings.SANDBOX_URL}/procore")
        sent = [(c.request.method, c.request.path_url.split("?")[0]) for c in mocked.calls]
    assert outcome.startswith("not registered, polling instead")
    assert sent[-1] == ("DELETE", "/procore/rest/v1.0/webhooks/hooks/31")  # Procore keeps no half-made hook
    assert sent.count(("POST", "/procore/rest/v1.0/webhooks/hooks")) == 1
    link.refresh_from_db()
    assert (link.webhook_hook_id, link.webhook_healthy) == ("", False)

    with responses.RequestsMock() as mocked:
        mocked.get(hooks, json=[])
        mocked.post(hooks, json={"id": 32}, status=201)
        mocked.post(f"{hooks}/32/triggers", json={"id": 2}, status=201)

        assert link_webhooks_register(link_id=link.pk) == "registered"

        assert [c.request.method for c in mocked.calls] == ["GET"] + ["POST"] * 7  # one hook, six triggers
    link.refresh_from_db()
    assert (link.webhook_hook_id, link.webhook_healthy) == ("32", True)
