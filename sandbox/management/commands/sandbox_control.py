"""`manage.py sandbox_control <action> key=value ...`: drive a running provider sandbox through its control API.

Actions: faults, rate_limits, seed, state, and every scenario (send_submittal, send_rfi, attach_file, create_revision,
add_approver, edit_item, answer_rfi, close_item, reopen_item, rename_response, block_app, disable_tool, hook_version,
revoke_tokens). A scenario given `attach=PATH` sends that local file with it. Examples:
    manage.py sandbox_control send_submittal project_id=6100000001 title="Door hardware" attach=./hardware.pdf
    manage.py sandbox_control attach_file item_id=6100001001 attach=./sketch.png
    manage.py sandbox_control edit_item item_id=7 description="Revised anchors" spec_number="05 12 00"
    manage.py sandbox_control answer_rfi item_id=9 body="Use the 2-hour assembly." login=architect@sandbox.test
    manage.py sandbox_control disable_tool project_id=6100000001 tool=Submittals
    manage.py sandbox_control faults latency_ms=300 error_rate=0.1
    manage.py sandbox_control faults reset=true
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sandbox.scenarios import SCENARIOS

TIMEOUT = (3, 30)


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["faults", "rate_limits", "seed", "state", *sorted(SCENARIOS)])
        parser.add_argument("arguments", nargs="*", metavar="key=value")
        parser.add_argument("--url", default=None, help="sandbox base URL (default: SANDBOX_URL)")

    def handle(self, *args: Any, **options: Any) -> None:
        base = (options["url"] or settings.SANDBOX_URL).rstrip("/")
        data = dict(_pair(text) for text in options["arguments"])
        if "attach" in data:
            data.update(_attachment(data.pop("attach")))
        action = options["action"]
        path = f"/_control/scenarios/{action}" if action in SCENARIOS else f"/_control/{action}"
        try:
            if action == "state":
                answer = requests.get(base + path, timeout=TIMEOUT)
            else:
                answer = requests.post(base + path, json=data, timeout=TIMEOUT)
        except requests.RequestException as error:
            raise CommandError(
                f"The sandbox at {base} did not answer ({error}). Start `make run` first (it starts the sandbox), "
                "or give the address it runs at with --url or SANDBOX_URL."
            ) from error
        if answer.status_code >= 400:
            raise CommandError(f"The sandbox refused {action}: {answer.text}")
        self.stdout.write(json.dumps(answer.json(), indent=2))


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep:
        raise CommandError(f"Arguments are key=value; got {text!r}.")
    return key, value


def _attachment(path: str) -> dict[str, str]:
    """A local file as the scenarios take it: its name and its bytes in base64."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise CommandError(f"attach={path}: no such file.")
    return {"attach_name": file.name, "attach_b64": base64.b64encode(file.read_bytes()).decode()}
