"""Fixtures for mapping tests: a Project Center project, its Procore link and Procore's live response options."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connector_portal.models import Connector, Firm, ProjectCenterProject
from projects.models import ProjectLink
from providers.models import ProviderAccount
from providers.types import ResponseOption

# What Procore answers for a project's submittal responses (ids are per company; names can be renamed).
PROCORE_OPTIONS = [
    ResponseOption(id="11", name="Approved", standard="approved"),
    ResponseOption(id="12", name="Approved as Noted", standard="approved as noted"),
    ResponseOption(id="13", name="For Record Only", standard="for record only"),
    ResponseOption(id="14", name="Rejected", standard="rejected"),
    ResponseOption(id="15", name="Revise and Resubmit", standard="revise and resubmit"),
    ResponseOption(id="16", name="Pending", standard="pending"),
]


@pytest.fixture
def make_project(db: None) -> Callable[..., ProjectCenterProject]:
    def make(firm: Firm, pc_project_id: str = "PC-1001", name: str = "Riverside Library") -> ProjectCenterProject:
        return ProjectCenterProject.objects.create(firm=firm, pc_project_id=pc_project_id, name=name, number="1001")

    return make


@pytest.fixture
def project(firm: Firm, make_project: Callable[..., ProjectCenterProject]) -> ProjectCenterProject:
    return make_project(firm)


@pytest.fixture
def make_link(db: None) -> Callable[..., ProjectLink]:
    def make(project: ProjectCenterProject, provider: str = Connector.PROCORE) -> ProjectLink:
        account = ProviderAccount.objects.create(
            firm=project.firm, provider=provider, provider_user_id=f"u-{project.pk}", name="Rita Reviewer"
        )
        return ProjectLink.objects.create(
            firm=project.firm,
            project=project,
            provider=provider,
            account=account,
            provider_project_id="555",
            provider_project_name="Riverside Library (GC)",
        )

    return make


@pytest.fixture
def link(project: ProjectCenterProject, make_link: Callable[..., ProjectLink]) -> ProjectLink:
    return make_link(project)


@pytest.fixture
def options() -> list[ResponseOption]:
    return list(PROCORE_OPTIONS)
