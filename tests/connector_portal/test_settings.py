"""With DEBUG off the portal refuses to start on a missing or development-default secret, naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parents[2]


def start_portal(**env: str) -> subprocess.CompletedProcess[str]:
    names = {"SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "DEBUG", "PORTAL_BASE_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in names}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=REPO,
        env={**clean, "DJANGO_SETTINGS_MODULE": "connector_portal.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


GOOD_SECRET = "x" * 60


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "dev-insecure-secret-key-change-me-in-production-0123456789"}, "SECRET_KEY"),
        ({"SECRET_KEY": GOOD_SECRET}, "FIELD_ENCRYPTION_KEYS"),
        ({"SECRET_KEY": GOOD_SECRET, "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode()}, "PORTAL_BASE_URL"),
    ],
)
def test_production_mode_stops_on_a_missing_or_default_secret(env: dict[str, str], named: str) -> None:
    result = start_portal(DEBUG="false", **env)
    assert result.returncode != 0
    assert f"{named} is missing or still the development default" in result.stderr


def test_production_mode_starts_with_real_secrets() -> None:
    result = start_portal(
        DEBUG="false",
        SECRET_KEY=GOOD_SECRET,
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        PORTAL_BASE_URL="https://portal.example.com",
    )
    assert result.returncode == 0, result.stderr


def test_development_mode_starts_with_no_environment_at_all() -> None:
    result = start_portal()
    assert result.returncode == 0, result.stderr


def test_the_documented_example_environment_starts_the_portal() -> None:
    example = (REPO / ".env.example").read_text().splitlines()
    values = dict(line.split("=", 1) for line in example if line and not line.startswith("#"))
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "assert settings.SECRET_KEY and settings.FIELD_ENCRYPTION_KEYS",
        ],
        cwd=REPO,
        env={**os.environ, **values, "DJANGO_SETTINGS_MODULE": "connector_portal.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
