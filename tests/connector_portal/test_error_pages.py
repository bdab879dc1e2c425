"""With DEBUG off, an unknown page, a refused action and a server error answer in the portal's own style and words."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from connector_portal.models import Firm, ProjectCenterProject


@pytest.fixture(autouse=True)
def debug_off(settings: Any) -> None:
    settings.DEBUG = False


def test_an_unknown_project_is_the_portals_404_not_djangos(member_client: Client) -> None:
    answer = member_client.get("/connect/PC-9999/")

    page = answer.content.decode()
    assert answer.status_code == 404
    assert "This page does not exist" in page and "press Configure again" in page
    assert "Connector portal" in page and "Page not found at" not in page  # not Django's technical page


def test_a_refused_action_is_the_portals_403_with_the_reason(
    member_client: Client, firm: Firm, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(**kwargs: object) -> None:
        raise PermissionDenied("Only the firm's administrators can retry or dismiss responses.")

    monkeypatch.setattr("projects.connect.views.connector_choices", refused)
    ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-5", name="Five")

    answer = member_client.get("/connect/PC-5/")

    page = answer.content.decode()
    assert answer.status_code == 403
    assert "You cannot do this" in page and "Only the firm&#x27;s administrators can retry" in page


def test_a_server_error_is_the_portals_500(member_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("projects.connect.views.connector_choices", broken)
    member_client.raise_request_exception = False
    ProjectCenterProject.objects.create(firm=Firm.objects.get(), pc_project_id="PC-5", name="Five")

    answer = member_client.get("/connect/PC-5/")

    assert answer.status_code == 500
    assert "Something went wrong on our side" in answer.content.decode()
