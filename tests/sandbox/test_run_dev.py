"""`make run PORT=… SANDBOX_PORT=…`: the sandbox listens where the portal calls it, the portal where it is asked."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.test import override_settings

from sandbox.management.commands import run_sandbox
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


def test_make_run_prints_the_sandbox_users_once(tmp_path: Path) -> None:
    """`make run` seeds the sandbox (which prints who can sign in) and then starts it, which prints no users again."""
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    run_target = makefile[makefile.index("\nrun:") : makefile.index("\n\n", makefile.index("\nrun:"))]
    out = StringIO()

    call_command("sandbox_seed", db=str(tmp_path / "sandbox.sqlite3"), stdout=out)

    assert run_target.count("sandbox_seed") == 1
    assert all("sandbox_seed" not in command for command in dev_commands("127.0.0.1:8000"))
    assert [line.split()[0] for line in out.getvalue().splitlines()[1:]] == [
        "reviewer@sandbox.test",
        "gc@sandbox.test",
        "consultant@sandbox.test",
        "outsider@sandbox.test",
    ]
    assert "sandbox.test" not in Path(run_sandbox.__file__).read_text()  # starting the sandbox lists nobody
