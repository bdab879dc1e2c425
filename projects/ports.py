"""What the sync engine needs from a provider and from the mappings app, as small seams.

The engine talks only to `ProviderPort`; `provider_port_for(link)` binds a link to the provider module from the
registry. Tests hand the engine a fake port instead. `held_kinds` and `translate_keyword` are the two calls into the
mappings app, kept here so that they are wired in exactly one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypedDict, cast

from django.utils import timezone

from providers.types import ItemKind, ProjectFacts, ProviderItem, ResponseOption
from providers.uploads import OutgoingFile

if TYPE_CHECKING:
    from projects.models import ProjectLink, SyncedItem
    from providers.models import ProviderAccount

# Every Procore answer carries the rate-limit headers: an account's budget row is written at most this often.
RATE_BUDGET_WRITE_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Page:
    """One provider page: its items, how many provider requests it cost, and the total when the provider says."""

    items: Sequence[ProviderItem]
    calls: int = 1
    total: int | None = None


class _Where(TypedDict):
    """The keyword arguments that name a link's project on its provider, for every `providers.base.Provider` call."""

    account: ProviderAccount
    company_id: str
    project_id: str
    facts: ProjectFacts  # what the provider told about the project when it was listed (kept on the link)


class ProviderPort(Protocol):
    label: str

    def pages(self, kind: ItemKind, since: dt.datetime | None) -> Iterator[Page]:
        """Items of `kind` updated at or after `since` (all when None), page by page, in any order."""
        ...

    def response_options(self, kind: ItemKind) -> Sequence[ResponseOption]: ...

    def post_response(
        self, item: SyncedItem, option: ResponseOption | None, comment: str, files: Sequence[OutgoingFile] = ()
    ) -> str:
        """Record the receiving user's response with its files; answer what happened, in words. Raises
        providers.errors."""
        ...


class _RegistryPort:
    """A link bound to its provider module (providers.base.Provider)."""

    def __init__(self, link: ProjectLink, *, clock: Callable[[], dt.datetime] = timezone.now) -> None:
        from providers.registry import get_provider, provider_label

        self.link = link
        self.label = provider_label(link.provider)
        self._provider = get_provider(link.provider)
        # The sweep plans each account's polling within the hourly limit its provider reports (AccountRateBudget).
        self._provider.on_hourly_limit = self._hourly_limit_seen
        # A link made before its project's facts were kept has them read by the provider once: kept from then on.
        self._provider.on_project_facts = self._project_facts_read
        self._clock = clock
        self._budget_noted: dict[int, dt.datetime] = {}

    def _hourly_limit_seen(self, account_id: int, hourly_limit: int) -> None:
        now = self._clock()
        noted = self._budget_noted.get(account_id)
        if noted is not None and now - noted < RATE_BUDGET_WRITE_EVERY:
            return  # remembered here so that most answers cost no query at all
        self._budget_noted[account_id] = now
        account_rate_budget_record(account_id=account_id, hourly_limit=hourly_limit, now=now)

    def _project_facts_read(self, facts: ProjectFacts) -> None:
        from projects.models import ProjectLink

        self.link.set_provider_facts(facts)
        fields = {name: getattr(self.link, name) for name in ProjectLink.FACT_FIELDS}
        ProjectLink.objects.filter(pk=self.link.pk).update(**fields)

    def _where(self) -> _Where:
        link = self.link
        return _Where(
            account=link.account,
            company_id=link.provider_company_id,
            project_id=link.provider_project_id,
            facts=link.provider_facts,
        )

    def pages(self, kind: ItemKind, since: dt.datetime | None) -> Iterator[Page]:
        user_id = self.link.account.provider_user_id
        for items in self._provider.list_items_changed_since(
            **self._where(), kind=kind, since=since, receiving_user_id=user_id
        ):
            # Provider pages are ItemPages; a plain list (a provider that does not count) is one call, total unknown.
            yield Page(items=items, calls=getattr(items, "calls", 1), total=getattr(items, "total", None))

    def response_options(self, kind: ItemKind) -> Sequence[ResponseOption]:
        return self._provider.list_response_options(**self._where(), kind=kind)

    def post_response(
        self, item: SyncedItem, option: ResponseOption | None, comment: str, files: Sequence[OutgoingFile] = ()
    ) -> str:
        note = self._provider.post_response(
            **self._where(),
            kind=cast(ItemKind, item.kind),  # the model's choices are the ItemKind values
            item_id=item.provider_id,
            receiving_user_id=self.link.account.provider_user_id,
            option_id=option.id if option else "",
            comment=comment,
            files=files,
        )
        if note:
            return note  # recorded, but less than asked: say so
        what = f"“{option.name}”" if option else "The reply"
        return f"{what} was recorded in {self.label}."


def provider_port_for(link: ProjectLink) -> ProviderPort:
    return _RegistryPort(link)


def account_rate_budget_record(*, account_id: int, hourly_limit: int, now: dt.datetime) -> bool:
    """Keep the hourly request limit a provider reported for an account; answers whether a row was written.

    Written at most once a minute per account (whichever worker sees it first), since every answer repeats it.
    """
    from projects.models import AccountRateBudget

    due = AccountRateBudget.objects.filter(account_id=account_id, observed_at__lte=now - RATE_BUDGET_WRITE_EVERY)
    if due.update(hourly_limit=hourly_limit, observed_at=now):
        return True
    _, created = AccountRateBudget.objects.get_or_create(
        account_id=account_id, defaults={"hourly_limit": hourly_limit, "observed_at": now}
    )
    return created


def held_kinds(link: ProjectLink) -> dict[str, str]:
    """Kind -> why its sync is held (the project's keyword check fails); held kinds are skipped, not failed."""
    from mappings.selectors import held_kinds as mappings_held_kinds

    return dict(mappings_held_kinds(project=link.project))


def translate_keyword(link: ProjectLink, item: SyncedItem, keyword: str, port: ProviderPort) -> ResponseOption | None:
    """The provider response a Project Center keyword means for this link; None for RFIs (a reply has no value).

    Raises mappings.matching.TranslationError, whose words say what to do, when the keyword cannot be sent.
    """
    if item.kind != "submittal":
        return None
    from mappings.matching import TranslationError
    from projects.selectors import link_table_get, mapping_translate

    table = link_table_get(firm=link.firm, link=link)
    if table is None:
        raise TranslationError(
            f"This project has no response mapping for {port.label}. Open the project's connection in the portal, "
            "save its response mapping, then retry."
        )
    return mapping_translate(table=table, keyword=keyword, options=list(port.response_options("submittal")))
