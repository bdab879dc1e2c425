"""The shipped Prometheus alert rules: valid, unit-tested by promtool, and about metrics the portal really exports."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from tests.ops.metrics_helpers import TOKEN

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is not installed (Debian: apt-get install prometheus); .ci/run installs it"
)


@needs_promtool
@pytest.mark.parametrize("command", [["check", "rules", "alerts.yml"], ["test", "rules", "alerts.test.yml"]])
def test_promtool_accepts_the_rules_and_their_unit_tests(command: list[str]) -> None:
    result = subprocess.run([str(PROMTOOL), *command], cwd=RULES, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_portal_metric_an_alert_uses_is_exported(db: None, client: Client, settings: Settings) -> None:
    settings.METRICS_TOKEN = TOKEN
    exported = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    families = set(re.findall(r"^# TYPE (\S+) ", exported, flags=re.MULTILINE))
    used = set(re.findall(r"\b(portal_[a-z_]+)", (RULES / "alerts.yml").read_text()))

    missing = {name for name in used if name not in families and name.removesuffix("_total") not in families}

    assert used and not missing
