"""A keyword list that releases held kinds syncs the project's link at once, and the page says when items arrive."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from connector_portal.models import Firm, ProjectCenterProject
from mappings.models import KeywordList
from projects.models import ProjectLink
from providers.models import ProviderAccount
from tests.mappings.test_pages import KEYWORDS_URL, keywords_post


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The links whose sync was queued (the queue itself would run it against the provider under tests)."""
    seen: list[int] = []
    monkeypatch.setattr("projects.services.links.sync_run_queue", lambda *, link: seen.append(link.pk))
    return seen


def connected(firm: Firm) -> ProjectLink:
    project = ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-1002", name="1002 Harbour Hall")
    account = ProviderAccount.objects.create(firm=firm, provider="procore", provider_user_id="7", name="Rita")
    return ProjectLink.objects.create(
        project=project, provider="procore", account=account, provider_project_id="1", provider_project_name="HH"
    )


def test_releasing_held_submittals_syncs_the_link_now_and_says_they_arrive_within_a_minute(
    member_client: Client, firm: Firm, queued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    link = connected(firm)
    data = keywords_post(KeywordList.Kind.SUBMITTAL_ACTION, [("For Review", "Receive")])

    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(KEYWORDS_URL.format("PC-1002"), data, follow=True)

    assert "Submittals will arrive within a minute." in response.content.decode()
    assert queued == [link.pk]


def test_a_list_that_releases_nothing_queues_nothing(
    member_client: Client, firm: Firm, queued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    connected(firm)
    data = keywords_post(KeywordList.Kind.SUBMITTAL_ACTION, [("Reviewed", "Record a Response")])

    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(KEYWORDS_URL.format("PC-1002"), data, follow=True)

    assert "will arrive within a minute" not in response.content.decode()
    assert queued == []
