"""`make run PORT=… SANDBOX_PORT=…`: the sandbox listens where the portal calls it, the portal where it is asked."""

from __future__ import annotations

from pathlib import Path

from django.test import override_settings

from sandbox.management.commands.run_dev import dev_commands


@override_settings(SANDBOX_URL="http://127.0.0.1:8101")
def test_the_sandbox_and_the_portal_move_together() -> None:
    sandbox, worker, web = dev_commands("127.0.0.1:8100")

    assert sandbox[2:] == ["run_sandbox", "--host", "127.0.0.1", "--port", "8101"]
    assert worker[2:] == ["qcluster"]
    assert web[2:] == ["runserver", "127.0.0.1:8100", "--noreload"]


def test_make_run_hands_the_ports_to_the_oauth_redirect_and_the_sandbox_address() -> None:
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()

    assert "PORTAL_BASE_URL=http://$(HOST):$(PORT) SANDBOX_URL=http://$(HOST):$(SANDBOX_PORT)" in makefile
    assert "$(RUN_ENV) $(PY) manage.py run_dev --addr $(HOST):$(PORT)" in makefile
