"""Plain typed values that cross the boundary between provider modules and the rest of the portal.

Provider modules turn each provider's JSON into these; nothing outside `providers/` sees a provider's own shapes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, TypeVar

ItemKind = Literal["submittal", "rfi"]
T = TypeVar("T")
U = TypeVar("U")


class ItemPage(list[T], Generic[T]):
    """One page of a provider listing: a plain list of its entries (so callers that only iterate need not care), plus
    `total`, the size of the whole listing when the provider tells it, and `calls`, the HTTP requests sent to get this
    page (retries, token refreshes and extra look-ups included)."""

    def __init__(self, entries: Iterable[T] = (), *, total: int | None = None, calls: int = 1) -> None:
        super().__init__(entries)
        self.total = total
        self.calls = calls

    def carrying(self, entries: Iterable[U]) -> ItemPage[U]:
        """Other entries (e.g. this page's JSON read into ProviderItems) with this page's total and calls."""
        return ItemPage(entries, total=self.total, calls=self.calls)

    def __repr__(self) -> str:
        return f"ItemPage({list.__repr__(self)}, total={self.total!r}, calls={self.calls!r})"


@dataclass(frozen=True)
class RateLimit:
    """What a provider's `X-Rate-Limit-*` headers said (Procore): the window closest to running out, which is either
    the hourly window or the 10-second spike window."""

    limit: int
    remaining: int
    resets_in: float  # seconds from now, by our clock

    # A window resetting further away than this cannot be the 10-second spike window, even with our clock a little off
    # the provider's; an hourly window about to reset is simply not learned from.
    SPIKE_WINDOW_BOUND: ClassVar[float] = 60.0

    @property
    def hourly_limit(self) -> int | None:
        """The account's hourly limit when these headers describe the hourly window, else None."""
        return self.limit if self.resets_in > self.SPIKE_WINDOW_BOUND and self.limit > 0 else None


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: dt.datetime | None

    def __repr__(self) -> str:  # never print a token, even in a traceback
        return f"TokenSet(expires_at={self.expires_at!r})"


@dataclass(frozen=True)
class ProviderUser:
    id: str
    name: str
    email: str


@dataclass(frozen=True)
class Company:
    """A Procore company or an Autodesk hub (id as the provider gives it, e.g. Autodesk's 'b.' + account id)."""

    id: str
    name: str


@dataclass(frozen=True)
class ProjectFacts:
    """What a provider's project listing tells about a project that later calls depend on, kept on the link (not in a
    worker's memory) and handed back with the project's ids on every call: Autodesk's project type (`ACC`, `BIM360`:
    BIM 360 projects have their own RFI API and no submittals API), the project's RFIs container (BIM 360's RFI API
    takes it, not the project id) and its hub's region (US, EMEA, ...: the host of an item's page, the Admin API's
    `Region` header). Empty for providers that need none, and for a link made before they were kept (`known` False):
    the provider then reads them once and says so (`Provider.on_project_facts`)."""

    project_type: str = ""
    rfi_container_id: str = ""
    region: str = ""

    @property
    def known(self) -> bool:
        """Whether these were read from the provider (a read always gives a region: US when the provider names none)."""
        return bool(self.region)

    @property
    def bim360(self) -> bool:
        return self.project_type == "BIM360"


# The facts of a project nobody has read yet (or of a provider that keeps none).
NO_FACTS = ProjectFacts()


@dataclass(frozen=True)
class ProviderProject:
    id: str
    name: str
    number: str = ""
    company_id: str = ""
    # What the project supports, e.g. Autodesk BIM 360 projects have no submittals API.
    supports_submittals: bool = True
    supports_rfis: bool = True
    facts: ProjectFacts = NO_FACTS


@dataclass(frozen=True)
class ResponseOption:
    """A response a reviewer can give on the provider.

    `id` is what gets posted back; `name` is what the provider shows (companies may rename it); `standard` is the
    stable meaning mappings match on (Procore's `considered`, Autodesk's category, ConstructEx's response), lower case.
    """

    id: str
    name: str
    standard: str


AttachmentPlace = Literal["item", "question", "answer", "approver"]


@dataclass(frozen=True)
class AttachmentRef:
    """A file attached to an item, as the provider lists it. `provider_id` and `version` are its identity (a new
    version is a changed file); `url` only says where to download it now (it may be signed and expire, so it is
    never the identity). `size` and `sha256` are the provider's own claims when it makes them ('' / None when not);
    `authenticated` says whether the download takes the account's token (else the URL is signed)."""

    provider_id: str
    filename: str
    url: str
    place: AttachmentPlace = "item"
    owner_id: str = ""  # the question's, answer's or approver's provider id when the file hangs there
    version: str = ""
    content_type: str = ""
    size: int | None = None
    sha256: str = ""
    authenticated: bool = False

    @property
    def key(self) -> str:
        """Unique among one item's files: the same file may hang on the item and on an approver."""
        return f"{self.place}:{self.owner_id}:{self.provider_id}"


@dataclass(frozen=True)
class Person:
    """Someone an item names (a manager, a sender, an answer's author): the provider's id, the name and the company as
    the provider gives them; Autodesk's items give ids only, so their name is empty."""

    id: str = ""
    name: str = ""
    company: str = ""


@dataclass(frozen=True)
class SpecSection:
    number: str = ""
    title: str = ""


@dataclass(frozen=True)
class Answer:
    """One answer in an RFI's thread: official answers are the ones that count as the RFI's response."""

    text: str
    author: Person
    date: dt.datetime | None
    official: bool
    rich_text: str = ""


@dataclass(frozen=True)
class Reviewer:
    """One reviewer (approver) of a submittal and what they answered, if anything yet."""

    person: Person
    step: int | None = None
    response: str = ""
    comment: str = ""
    returned_date: dt.date | None = None

    @classmethod
    def from_json(cls, value: Any) -> Reviewer:
        """A reviewer as ItemContent.as_json stored it."""
        person = value.get("person") or {}
        returned = value.get("returned_date")
        return cls(
            person=Person(id=person.get("id", ""), name=person.get("name", ""), company=person.get("company", "")),
            step=value.get("step"),
            response=value.get("response", ""),
            comment=value.get("comment", ""),
            returned_date=dt.date.fromisoformat(returned) if returned else None,
        )


@dataclass(frozen=True)
class Impact:
    """An RFI's cost or schedule impact: the provider's word for it (e.g. yes, no, tbd) and an amount (money or days)
    when one is given."""

    status: str = ""
    value: float | None = None


@dataclass(frozen=True)
class ItemDates:
    created: dt.date | None = None
    received: dt.date | None = None
    issued: dt.date | None = None
    sent_to_reviewer: dt.date | None = None
    due: dt.date | None = None
    returned: dt.date | None = None


@dataclass(frozen=True)
class ItemContent:
    """What a reviewer reads of a submittal or RFI beyond its envelope, in provider-independent names. Empty (or None)
    where a provider has no such field. Files are not here: they are read from the raw payload apart."""

    description: str = ""
    question: str = ""
    question_rich_text: str = ""
    answers: tuple[Answer, ...] = ()
    spec_section: SpecSection | None = None
    submittal_type: str = ""
    received_from: Person | None = None
    manager: Person | None = None
    responsible_contractor: str = ""
    reviewers: tuple[Reviewer, ...] = ()
    dates: ItemDates = field(default_factory=ItemDates)
    cost_impact: Impact | None = None
    schedule_impact: Impact | None = None

    def as_json(self) -> dict[str, Any]:
        """The content as stored on the item and shown in the feed (dates as ISO text). Worked out once per value
        (the sync hashes, compares and stores it): the dict returned is shared, so read it, never change it."""
        cached = self.__dict__.get("_as_json")
        if cached is None:
            cached = _jsonable(self)
            object.__setattr__(self, "_as_json", cached)  # frozen: a cache is no change of the value
        return cached


def _jsonable(value: Any) -> Any:
    fields = getattr(type(value), "__dataclass_fields__", None)
    if fields is not None:
        return {name: _jsonable(getattr(value, name)) for name in fields}
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat().replace("+00:00", "Z")
    return value


EMPTY_CONTENT = ItemContent()


@dataclass(frozen=True)
class ProviderItem:
    """One submittal or RFI as the sync engine needs it."""

    kind: ItemKind
    provider_id: str
    number: str
    title: str
    status: str
    updated_at: dt.datetime
    revision: str = ""
    due_date: dt.date | None = None
    ball_in_court: tuple[str, ...] = ()
    url: str = ""
    # Whether a receiving user is its assignee, ball-in-court or one of its approvers.
    for_receiving_user: bool = True
    # Which of the receiving users (provider user ids, in the order they were given) hold it; empty when unknown.
    receivers: tuple[str, ...] = ()
    closed: bool = False
    deleted: bool = False
    predecessor_id: str = ""
    attachments: tuple[AttachmentRef, ...] = ()
    content: ItemContent = EMPTY_CONTENT
    # The provider did not read the reviewers this time (a request an item) because the item has not changed since a
    # sync that did: the engine keeps the reviewers it stored, so that the content reads the same.
    reviewers_unread: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False)
