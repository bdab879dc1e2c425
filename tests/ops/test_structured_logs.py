"""Log lines carry the request, firm, link and run they were written for; LOG_FORMAT=json writes one object a line."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable

from django.test import Client

from connector_portal.logcontext import ContextFilter, bound
from connector_portal.logformat import JsonFormatter
from connector_portal.models import User
from tests.ops.logcapture import json_lines  # noqa: F401 (a fixture)


def test_a_line_is_one_json_object_with_the_ids_bound_and_the_exception() -> None:
    record = logging.LogRecord("projects", logging.ERROR, __file__, 1, "sync of %s failed", ("link 7",), None)
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    with bound(link_id=7, run_id=31):
        ContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "sync of link 7 failed"
    assert (line["level"], line["logger"], line["link_id"], line["run_id"]) == ("ERROR", "projects", "7", "31")
    assert "ValueError: boom" in line["exception"]
    assert "request_id" not in line  # ids not bound are left out, not written as null


def test_a_request_has_an_id_answered_back_and_on_its_log_lines_with_the_firm(
    member_client: Client,
    member: User,
    json_lines: Callable[[], list[dict]],  # noqa: F811
) -> None:
    response = member_client.get("/connect/PC-does-not-exist/")
    assert response.status_code == 404

    request_id = response["X-Request-ID"]
    mine = [line for line in json_lines() if line.get("request_id") == request_id]
    assert any("Not Found" in line["message"] for line in mine), json_lines()
    assert {line["firm_id"] for line in mine} == {str(member.memberships.get().firm_id)}


def test_the_proxys_request_id_is_kept_and_a_hostile_one_replaced(db: None, client: Client) -> None:
    assert client.get("/healthz/live", HTTP_X_REQUEST_ID="edge-4f2a")["X-Request-ID"] == "edge-4f2a"
    replaced = client.get("/healthz/live", HTTP_X_REQUEST_ID="evil\r\nSet-Cookie: x")["X-Request-ID"]
    assert replaced != "evil" and len(replaced) == 32
