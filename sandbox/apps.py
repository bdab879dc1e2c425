from __future__ import annotations

from django.apps import AppConfig


class SandboxConfig(AppConfig):
    """Installed only with PROVIDER_SANDBOX on (see settings); it has no models, only management commands."""

    name = "sandbox"
    verbose_name = "Provider sandbox (development only)"
