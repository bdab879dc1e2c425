"""Fixtures for the sync engine: a linked project, a fake provider behind the engine's port, and a settable clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import pytest

from connector_portal.models import Firm, ProjectCenterProject
from mappings.models import KeywordEntry, KeywordList
from projects.models import ProjectLink, SyncedItem
from projects.ports import Page
from providers.errors import ProviderError
from providers.models import ProviderAccount
from providers.types import ItemKind, ProviderItem, ResponseOption
from providers.uploads import OutgoingFile

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
REVIEWER = "Rita Reviewer"


class Clock:
    """Time that moves only when a test says so."""

    def __init__(self, start: dt.datetime = T0) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


class FakeProvider:
    """A provider project in memory, seen through the engine's port. Pages in insertion order (not by date)."""

    label = "Procore"

    def __init__(self, clock: Clock, page_size: int = 3) -> None:
        self.clock = clock
        self.page_size = page_size
        self.items: dict[tuple[str, str], ProviderItem] = {}
        self.calls = 0
        self.posts: list[tuple[str, str, str]] = []
        self.files_posted: list[list[str]] = []
        self.page_errors: dict[int, ProviderError | Exception] = {}  # page number (1-based, per listing) -> error
        self.post_errors: list[ProviderError] = []
        self.options = [
            ResponseOption(id="11", name="Approved", standard="approved"),
            ResponseOption(id="12", name="Approved as Noted", standard="approved as noted"),
            ResponseOption(id="13", name="Revise and Resubmit", standard="revise and resubmit"),
            ResponseOption(id="14", name="Rejected", standard="rejected"),
            ResponseOption(id="15", name="For Record Only", standard="for record only"),
        ]
        self.on_page: Callable[[int], None] | None = None

    # -- the provider's own side ------------------------------------------------------------------------------------

    def put(self, kind: ItemKind, provider_id: str, **fields: Any) -> ProviderItem:
        """Create or change an item upstream; its updated_at becomes now."""
        old = self.items.get((kind, provider_id))
        base = old or ProviderItem(
            kind=kind,
            provider_id=provider_id,
            number=f"{provider_id}",
            title=f"{kind} {provider_id}",
            status="Open",
            updated_at=self.clock(),
            ball_in_court=(REVIEWER,),
            url=f"https://provider.example.com/{kind}/{provider_id}",
        )
        item = replace(base, updated_at=self.clock(), **fields)
        self.items[(kind, provider_id)] = item
        return item

    def seed(self, kind: ItemKind, count: int, *, start: int = 1, **fields: object) -> None:
        for n in range(start, start + count):
            self.put(kind, str(n), **fields)

    # -- the port -----------------------------------------------------------------------------------------------------

    def pages(self, kind: ItemKind, since: dt.datetime | None) -> Iterator[Page]:
        matching = [i for (k, _), i in self.items.items() if k == kind and (since is None or i.updated_at >= since)]
        for number, start in enumerate(range(0, max(len(matching), 1), self.page_size), start=1):
            self.calls += 1
            error = self.page_errors.pop(number, None)
            if error is not None:
                raise error
            if self.on_page:
                self.on_page(number)
            yield Page(items=matching[start : start + self.page_size], total=len(matching))

    def response_options(self, kind: ItemKind) -> list[ResponseOption]:
        return self.options if kind == "submittal" else []

    def post_response(
        self, item: SyncedItem, option: ResponseOption | None, comment: str, files: Sequence[OutgoingFile] = ()
    ) -> str:
        self.calls += 1
        if self.post_errors:
            raise self.post_errors.pop(0)
        self.posts.append((item.provider_id, option.id if option else "", comment))
        self.files_posted.append([f.filename for f in files])
        # Like the real thing: the response moves the ball to the contractor and touches updated_at.
        self.put(item.kind, item.provider_id, ball_in_court=("General Contractor",))  # type: ignore[arg-type]
        return f"“{option.name if option else 'Reply'}” was recorded in Procore."


def keyword_lists_add(project: ProjectCenterProject, *, rfi: bool = True, submittal: bool = True) -> None:
    """The keyword lists Project Center needs for items to be received."""
    wanted = [("submittal_action", "For Review", submittal), ("rfi_action", "Request for Information", rfi)]
    for kind, name, present in wanted:
        keyword_list = KeywordList.objects.create(firm=project.firm, project=project, kind=kind)
        if present:
            KeywordEntry.objects.create(firm=project.firm, keyword_list=keyword_list, name=name, type="Receive")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def provider(clock: Clock) -> FakeProvider:
    return FakeProvider(clock)


@pytest.fixture
def make_link(db: None) -> Callable[..., ProjectLink]:
    counter = iter(range(1, 1_000_000))

    def make(
        firm: Firm,
        *,
        provider: str = "procore",
        account: ProviderAccount | None = None,
        keywords: bool = True,
        **fields: object,
    ) -> ProjectLink:
        n = next(counter)
        if account is None:
            account = ProviderAccount.objects.create(
                firm=firm,
                provider=provider,
                provider_user_id=f"u{n}",
                name=REVIEWER,
                access_token="a",
                refresh_token="r",
            )
        project = ProjectCenterProject.objects.create(firm=firm, pc_project_id=f"PC-{n}", name=f"Project {n}")
        if keywords:
            keyword_lists_add(project)
        return ProjectLink.objects.create(
            firm=firm,
            project=project,
            provider=provider,
            account=account,
            provider_project_id=f"P{n}",
            provider_project_name=f"Provider project {n}",
            **fields,
        )

    return make


@pytest.fixture
def link(firm: Firm, make_link: Callable[..., ProjectLink]) -> ProjectLink:
    return make_link(firm)
