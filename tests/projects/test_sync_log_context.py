"""A sync's log lines carry its firm, link and run (connector_portal.logcontext)."""

from __future__ import annotations

from collections.abc import Callable

from projects.models import SyncRun
from projects.services import link_sync
from providers.errors import ProviderUnavailable
from tests.ops.logcapture import json_lines  # noqa: F401 (a fixture)


def test_a_syncs_lines_carry_its_link_and_run(link, provider, clock, json_lines: Callable[[], list[dict]]) -> None:  # noqa: F811
    provider.page_errors[1] = ProviderUnavailable("Procore is not answering.", retry_after=60)

    run = link_sync(link_id=link.pk, clock=clock, port=provider)

    assert run is not None and run.status != SyncRun.Status.SUCCEEDED
    stopped = [line for line in json_lines() if line["message"].startswith(f"sync of link {link.pk} stopped")]
    assert stopped and stopped[0]["link_id"] == str(link.pk)
    assert (stopped[0]["run_id"], stopped[0]["firm_id"]) == (str(run.pk), str(link.firm_id))
