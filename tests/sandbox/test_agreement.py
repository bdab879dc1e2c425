"""The portal and the sandbox agree on paths and clients (that the portal never imports it: tests/test_layers.py)."""

from __future__ import annotations

from django.conf import settings

from sandbox.constants import SANDBOX_CLIENTS, SANDBOX_PREFIXES


def test_settings_name_the_paths_and_clients_the_sandbox_registers() -> None:
    apps = settings.SANDBOX_PROVIDER_APPS
    assert {key: app["path"] for key, app in apps.items()} == SANDBOX_PREFIXES
    assert {key: (app["client_id"], app["client_secret"]) for key, app in apps.items()} == SANDBOX_CLIENTS
