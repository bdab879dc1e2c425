"""A fake provider for the wizard's page tests: real pages, real services, no HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from connector_portal.models import Firm, ProjectCenterProject, User
from providers.errors import ProviderError
from providers.models import ProviderAccount
from providers.types import Company, ProviderItem, ProviderProject, ResponseOption

PROCORE_OPTIONS = [
    ResponseOption(id="11", name="Approved", standard="approved"),
    ResponseOption(id="12", name="Approved as Noted", standard="approved as noted"),
    ResponseOption(id="13", name="Reviewed - No Exceptions", standard="approved"),
    ResponseOption(id="14", name="Rejected", standard="rejected"),
    ResponseOption(id="15", name="Revise and Resubmit", standard="revise and resubmit"),
    ResponseOption(id="16", name="For Record Only", standard="for record only"),
]


@dataclass
class FakeProvider:
    key: str = "procore"
    label: str = "Procore"
    needs_company_choice: bool = True
    company_word: str = "company"
    companies: list[Company] = field(default_factory=lambda: [Company("1", "Builder Co"), Company("2", "Other GC")])
    projects: list[ProviderProject] = field(
        default_factory=lambda: [
            ProviderProject("100", "North Wing Library", "RL-1", "1"),
            ProviderProject("101", "Harbour Offices", "HO-2", "1"),
        ]
    )
    options: list[ResponseOption] = field(default_factory=lambda: list(PROCORE_OPTIONS))
    fail_with: ProviderError | None = None
    calls: list[str] = field(default_factory=list)

    @property
    def no_projects_message(self) -> str:
        return "Procore lists no project for your account here."

    def _maybe_fail(self, what: str) -> None:
        self.calls.append(what)
        if self.fail_with is not None:
            raise self.fail_with

    def list_companies(self, *, account: ProviderAccount) -> list[Company]:
        self._maybe_fail("companies")
        return self.companies

    def list_projects(self, *, account: ProviderAccount, company_id: str = "") -> list[ProviderProject]:
        self._maybe_fail("projects")
        return [p for p in self.projects if not self.needs_company_choice or p.company_id == company_id]

    def list_items_changed_since(self, **kwargs: object) -> Iterator[list[ProviderItem]]:
        self._maybe_fail("items")
        return iter([[]])

    def list_response_options(self, **kwargs: object) -> list[ResponseOption]:
        self._maybe_fail("options")
        return self.options


@pytest.fixture
def fake_provider(monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    fake = FakeProvider()
    for module in ("projects.connect.wiring", "providers.registry"):
        monkeypatch.setattr(f"{module}.get_provider", lambda key, **kw: fake)
    return fake


@pytest.fixture
def pc_project(firm: Firm) -> ProjectCenterProject:
    return ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-1", name="Riverside Library", number="1001")


@pytest.fixture
def account(firm: Firm, member: User, pc_project: ProjectCenterProject) -> ProviderAccount:
    return ProviderAccount.objects.create(
        firm=firm,
        user=member,
        provider="procore",
        provider_user_id="42",
        name="Rita Reviewer",
        email="rita@builder.example",
        access_token="a",
        refresh_token="r",
    )
