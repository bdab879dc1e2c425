"""Autodesk's submittals and RFIs (ACC, or BIM 360's RFI API for BIM 360 projects) as the portal's ProviderItem, and
ACC's submittal responses as ResponseOption, with their URLs. Offset paging until `totalResults`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final

from providers.answers import (
    FAR_FUTURE,
    counted,
    expect_list,
    link_revisions,
    object_or_empty,
    parse_date,
    parse_time,
    person_id,
    require,
    total_of,
    utc_text,
)
from providers.autodesk.attachments import item_attachments
from providers.autodesk.client import MAX_PAGES, AutodeskClient, Reviewers, api_id
from providers.autodesk.content import Steps, review_tasks, rfi_content, submittal_content, tasks_of
from providers.base import StoredIds
from providers.errors import UnexpectedAnswer
from providers.types import NO_FACTS, ItemKind, ItemPage, ProjectFacts, ProviderItem, ResponseOption

if TYPE_CHECKING:
    from providers.models import ProviderAccount

RFI_LIMIT = 200  # the largest page of the RFI APIs (v3 search and BIM 360 v2)
SUBMITTAL_LIMIT = 50  # the largest page of ACC Submittals lists (items, responses)
CLOSED_RFI = frozenset({"closed", "void"})
# Every ACC RFI status (construction.json, acc-rfis-v3-search `filter.status`), lower-cased -> the portal's words.
# "answered" is an open RFI with an official response, waiting for its manager to close it. Shown as "Open" (like a
# Procore RFI with an official reply): otherwise the portal's own answer would come back as a status change. The
# review workflow's steps (openRev1/openRev2: with the first/second reviewers; answeredRev1, answeredManager:
# answered, waiting for the next reviewer or the manager) are open too. An undocumented status is shown as it comes.
RFI_STATUS_WORDS = {
    "draft": "Draft",
    "submitted": "Submitted",
    "open": "Open",
    "openrev1": "Open",
    "openrev2": "Open",
    "answered": "Open",
    "answeredrev1": "Open",
    "answeredmanager": "Open",
    "rejected": "Rejected",
    "closed": "Closed",
    "void": "Void",
}
# ACC submittal item statusId -> words: the full list of submittals-items-GET (1 is Required, not Draft). An
# undocumented id (a project's own, from GET metadata) is shown as it comes.
SUBMITTAL_STATUSES = {"1": "Required", "2": "Open", "3": "Closed", "4": "Void", "5": "Empty", "6": "Draft"}
CLOSED_SUBMITTAL = frozenset({"3", "4"})
# ACC groups its (renamable) submittal responses into three categories: categoryId -> the standard meaning its
# options carry (ResponseOption.standard). Autodesk's knowledge, so it lives here; mappings matches on the meanings.
AUTODESK_CATEGORY_STANDARDS: Final[dict[int, str]] = {1: "approved", 2: "revise and resubmit", 3: "rejected"}


# The web hosts of a hub's region (ACC, BIM 360): EMEA projects live on acc.autodesk.eu (PROVIDERS.md). Autodesk
# documents no other region's host to us, so every other region keeps the US ones.
ACC_HOSTS = {"EMEA": "acc.autodesk.eu"}
BIM360_HOSTS = {"EMEA": "docs.b360.eu.autodesk.com"}


def item_url(kind: ItemKind, project_id: str, item_id: str, *, bim360: bool = False, region: str = "US") -> str:
    """The item's page in Autodesk Construction Cloud (or BIM 360 for its RFIs), on the host of the hub's region."""
    if bim360:
        host = BIM360_HOSTS.get(region, "docs.b360.autodesk.com")
        return f"https://{host}/projects/{project_id}/rfis?preview={item_id}"
    host = ACC_HOSTS.get(region, "acc.autodesk.com")
    if kind == "submittal":
        return f"https://{host}/build/submittals/projects/{project_id}/items/{item_id}"
    return f"https://{host}/build/rfis/projects/{project_id}?preview={item_id}"


def submittal_dates(since: dt.datetime | None) -> str | None:
    """ACC submittals' `filter[updatedAt]`: dates, not times (`YYYY-MM-DD..YYYY-MM-DD`). From the day before `since`
    (UTC), so that no change is lost at a day boundary whichever time zone Autodesk reads the date in: items changed
    earlier that day come again, and the engine drops them as unchanged (same content)."""
    if since is None:
        return None
    start = since.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    return f"{start.isoformat()}..{FAR_FUTURE.date().isoformat()}"


def _ids(entries: list[dict[str, Any]]) -> list[str]:
    return [str(e["id"]) for e in entries if isinstance(e, dict) and e.get("id") is not None]


def _assignees(attributes: dict[str, Any]) -> dict[str, list[str]]:
    """Who an RFI is assigned to, by type (user, role, company): ACC v3 lists `{id, type}` objects in `assignedTo`;
    BIM 360 v2 gives one id with `assignedToType`. v3 RFIs have no `ballInCourt`: the assignees are who must act."""
    value = attributes.get("assignedTo")
    found: dict[str, list[str]] = {"user": [], "role": [], "company": []}
    for entry in value if isinstance(value, list) else [value]:
        kind = entry.get("type") if isinstance(entry, dict) else attributes.get("assignedToType")
        assignee = person_id(entry)
        if assignee:
            found.setdefault(str(kind or "user"), []).append(assignee)
    return found


class AutodeskItems(AutodeskClient):
    def list_items_changed_since(
        self,
        *,
        account: ProviderAccount,
        company_id: str,
        project_id: str,
        kind: ItemKind,
        since: dt.datetime | None,
        receiving_user_id: str,
        facts: ProjectFacts = NO_FACTS,
        also_receiving: Sequence[str] = (),
        stored: StoredIds | None = None,
    ) -> Iterator[ItemPage[ProviderItem]]:
        pid = api_id(project_id)
        updated = f"{utc_text(since)}..{utc_text(FAR_FUTURE)}" if since is not None else None

        def converted() -> Iterator[ItemPage[ProviderItem]]:
            # Inside the counted pages: the look-ups an item needs (the project's facts, roles, steps) count.
            known = self.known_facts(account, company_id, project_id, facts)
            if kind == "submittal":
                if known.bim360:
                    return  # BIM 360 has no public submittals API
                pages = self._submittal_pages(account, pid, submittal_dates(since))
            elif known.bim360:
                pages = self._bim360_rfi_pages(account, company_id, project_id, known, updated)
            else:
                pages = self._rfi_pages(account, pid, updated)
            reviewer = Reviewers(self, account, pid, (receiving_user_id, *also_receiving), region=known.region)
            for page in pages:
                kept = stored(_ids(page)) if stored is not None and kind == "submittal" else set()
                yield page.carrying(
                    link_revisions([self._item(kind, e, pid, reviewer, known, since=since, kept=kept) for e in page])
                )

        yield from counted(converted())

    def _offset_pages(self, fetch: Any, limit: int) -> Iterator[ItemPage[dict[str, Any]]]:
        """Offset paging until `totalResults` is reached (or a short page, when the total is missing)."""
        offset = 0
        for _ in range(MAX_PAGES):
            body = fetch(offset)
            if not isinstance(body, dict):
                raise UnexpectedAnswer.for_provider(self.label, detail="a page that is not an object")
            results = expect_list(body, label=self.label, key="data" if "results" not in body else "results")
            pagination = object_or_empty(body.get("pagination"))
            total = total_of(pagination.get("totalResults", body.get("totalResults")))
            yield ItemPage(results, total=total)
            offset += len(results)
            if not results or (offset >= total if isinstance(total, int) else len(results) < limit):
                return

    def _rfi_pages(self, account: ProviderAccount, pid: str, updated: str | None) -> Iterator[ItemPage[dict[str, Any]]]:
        url = f"{self.endpoints.api}/construction/rfis/v3/projects/{pid}/search:rfis"

        def fetch(offset: int) -> Any:
            body: dict[str, Any] = {"limit": RFI_LIMIT, "offset": offset}
            if updated:
                body["filter"] = {"updatedAt": updated}
            return self._call("POST", url, account=account, json=body)

        yield from self._offset_pages(fetch, RFI_LIMIT)

    def _bim360_rfi_pages(
        self, account: ProviderAccount, hub_id: str, project_id: str, facts: ProjectFacts, updated: str | None
    ) -> Iterator[ItemPage[dict[str, Any]]]:
        # BIM 360's RFI API takes the project's RFIs container (from Data Management), not the project id.
        container = self.rfi_container(account, hub_id, project_id, facts)
        url = f"{self.endpoints.api}/bim360/rfis/v2/containers/{container}/rfis"
        params: dict[str, Any] = {"limit": RFI_LIMIT}
        if updated:
            params["filter[updatedAt]"] = updated
        yield from self._offset_pages(
            lambda offset: self._call("GET", url, account=account, params={**params, "offset": offset}), RFI_LIMIT
        )

    def _submittal_pages(
        self, account: ProviderAccount, pid: str, updated: str | None
    ) -> Iterator[ItemPage[dict[str, Any]]]:
        url = f"{self.endpoints.api}/construction/submittals/v2/projects/{pid}/items"
        params: dict[str, Any] = {"limit": SUBMITTAL_LIMIT}
        if updated:
            params["filter[updatedAt]"] = updated
        yield from self._offset_pages(
            lambda offset: self._call("GET", url, account=account, params={**params, "offset": offset}),
            SUBMITTAL_LIMIT,
        )

    def _steps(self, reviewer: Reviewers, pid: str, item_id: str) -> Steps:
        """The item's review steps, each with its tasks (read apart when a step does not embed them)."""
        url = f"{self.endpoints.api}/construction/submittals/v2/projects/{pid}/items/{item_id}/steps"
        params = {"limit": SUBMITTAL_LIMIT}
        body = self._call("GET", url, account=reviewer.account, params=params)
        found: Steps = []
        for step in expect_list(body, label=self.label, key="results"):
            if not isinstance(step, dict):
                continue
            tasks = step.get("tasks")
            if tasks is None:
                answer = self._call("GET", f"{url}/{step.get('id')}/tasks", account=reviewer.account, params=params)
                tasks = expect_list(answer, label=self.label, key="results")
            found.append((step, [t for t in tasks if isinstance(t, dict)] if isinstance(tasks, list) else []))
        return found

    def _response_names(self, reviewer: Reviewers, pid: str, steps: Steps) -> dict[str, str]:
        """The project's submittal responses by id, read once a sync, when a task first carries one."""
        if reviewer.response_names is None and any(task.get("responseId") for task in tasks_of(steps)):
            account = reviewer.account
            options = self.list_response_options(account=account, company_id="", project_id=pid, kind="submittal")
            reviewer.response_names = {option.id: option.name for option in options}
        return reviewer.response_names or {}

    def _item(
        self,
        kind: ItemKind,
        entry: dict[str, Any],
        pid: str,
        reviewer: Reviewers,
        facts: ProjectFacts,
        *,
        since: dt.datetime | None = None,
        kept: Collection[str] = (),
    ) -> ProviderItem:
        # BIM 360 v2 nests the fields under "attributes"; ACC does not.
        attributes: dict[str, Any] = entry["attributes"] if isinstance(entry.get("attributes"), dict) else entry
        item_id = str(require(entry, "id", label=self.label))
        updated_at = parse_time(attributes.get("updatedAt"), label=self.label)
        if kind == "submittal":
            status_id = str(attributes.get("statusId") or "")
            users, roles, companies = (
                [str(u) for u in attributes.get(key) or []]
                for key in ("ballInCourtUsers", "ballInCourtRoles", "ballInCourtCompanies")
            )
            ball = (*users, *roles, *companies)
            closed = status_id in CLOSED_SUBMITTAL
            # The user's item when they are or were its reviewer: the ball is in their court (their role's, their
            # company's) now, or one of its review tasks is theirs. The list tells only who holds the ball now, so
            # the workflow of an item it does not give them is read (a request per item): on the first sync and the
            # daily full listing for every such item, so that closed and superseded items the user reviewed arrive,
            # with the revisions that followed them; between those, for the items that closed since the last sync
            # (the link hears an item closed even if it closed before a sync saw it in their court). Items the caller
            # keeps already are followed whoever holds them, and items listed again only because the date filter
            # starts the day before were judged by the last sync: neither is looked up again to tell whose it is.
            fresh = since is None or updated_at >= since
            receivers = reviewer.holding(users, roles if fresh else (), companies if fresh else ())
            # Is or was theirs: an item the list does not show with a receiving user may have been reviewed by one
            # before it closed or was revised; its review tasks tell (on the first sync and a full listing too,
            # where since is None), unless the link keeps the item already and follows it whoever holds it.
            steps: Steps | None = None
            if not receivers and fresh and (closed or since is None) and item_id not in kept:
                steps = self._steps(reviewer, pid, item_id)
                owner = next((o for o in map(reviewer.owner, tasks_of(steps)) if o), "")
                receivers = (owner,) if owner else ()
            # The reviewers are in the same steps, read for each item the sync hands over (theirs, or one the link
            # keeps) that changed since the last sync: a request per changed item (a first sync: per item handed
            # over; the Submittals API allows the application 600 requests a minute). One listed again unchanged
            # (ACC's date filter starts the day before) was read when it changed; the engine keeps the reviewers
            # it stored then (reviewers_unread), so its content reads the same and no request is made for it.
            handed = bool(receivers) or item_id in kept
            if steps is None and handed and fresh:
                steps = self._steps(reviewer, pid, item_id)
            names = self._response_names(reviewer, pid, steps or [])
            return ProviderItem(
                kind=kind,
                provider_id=item_id,
                number=str(attributes.get("customIdentifierHumanReadable") or attributes.get("customIdentifier") or ""),
                revision=str(attributes.get("revision") if attributes.get("revision") is not None else ""),
                title=str(attributes.get("title") or ""),
                status=SUBMITTAL_STATUSES.get(status_id, status_id),
                updated_at=updated_at,
                due_date=parse_date(attributes.get("dueDate")),
                ball_in_court=ball,
                url=item_url(kind, pid, item_id, region=reviewer.region),
                for_receiving_user=bool(receivers),
                receivers=receivers,
                closed=closed,
                attachments=item_attachments(kind, attributes, api=self.endpoints.api),
                content=submittal_content(attributes, reviewers=review_tasks(steps or [], names)),
                reviewers_unread=handed and steps is None,
                raw=entry,
            )
        status = str(attributes.get("status") or "")
        assigned = _assignees(attributes)
        ball = tuple(a for group in assigned.values() for a in group)
        holding = reviewer.holding(assigned["user"], assigned["role"], assigned["company"])
        # Changed since the last sync (a first sync has none): the answer thread is read for these only.
        changed = since is not None and updated_at >= since
        return ProviderItem(
            kind=kind,
            provider_id=item_id,
            number=str(attributes.get("customIdentifier") or ""),
            title=str(attributes.get("title") or ""),
            status=RFI_STATUS_WORDS.get(status.lower(), status),
            updated_at=updated_at,
            due_date=parse_date(attributes.get("dueDate")),
            ball_in_court=ball,
            url=item_url(kind, pid, item_id, bim360=facts.bim360, region=reviewer.region),
            for_receiving_user=bool(holding),
            receivers=holding,
            closed=status.lower() in CLOSED_RFI,
            attachments=item_attachments(kind, attributes, api=self.endpoints.api),
            content=rfi_content(
                self._with_thread(
                    attributes, pid, item_id, reviewer, read=bool(holding) and changed and not facts.bim360
                )
            ),
            raw=entry,
        )

    def _with_thread(
        self, attributes: dict[str, Any], pid: str, item_id: str, reviewer: Reviewers, *, read: bool
    ) -> dict[str, Any]:
        """An ACC RFI with its answer thread: the RFI detail (acc-rfis-v3-get) embeds `responses[]`; a listing that
        carries them needs no request. Otherwise the detail is read only for the reviewer's RFIs that changed since
        the last sync (`read`): the requests follow the changes, not the project's size, within the RFIs API's
        100 a minute for the whole application. A first sync shows each RFI's official response (in the listing)
        and reads the whole thread once the RFI next changes. BIM 360 RFIs have no thread."""
        if not read or "responses" in attributes:
            return attributes
        url = f"{self.endpoints.api}/construction/rfis/v3/projects/{pid}/rfis/{item_id}"
        detail = self._call("GET", url, account=reviewer.account)
        responses = detail.get("responses") if isinstance(detail, dict) else None
        return {**attributes, "responses": responses} if isinstance(responses, list) else attributes

    def list_response_options(
        self,
        *,
        account: ProviderAccount,
        company_id: str,
        project_id: str,
        kind: ItemKind,
        facts: ProjectFacts = NO_FACTS,
    ) -> list[ResponseOption]:
        if kind != "submittal" or facts.bim360:
            return []  # BIM 360 has no public submittals API
        url = f"{self.endpoints.api}/construction/submittals/v2/projects/{api_id(project_id)}/responses"
        # Paged like the items (limit 1-50, default 20): a project with more than 20 responses loses none.
        pages = self._offset_pages(
            lambda offset: self._call("GET", url, account=account, params={"limit": SUBMITTAL_LIMIT, "offset": offset}),
            SUBMITTAL_LIMIT,
        )
        entries = [entry for page in pages for entry in page]
        return [
            ResponseOption(
                id=str(e["id"]),
                name=str(e.get("value") or ""),
                standard=AUTODESK_CATEGORY_STANDARDS.get(int(e.get("categoryId") or 0), str(e.get("value")).lower()),
            )
            for e in expect_list(entries, label=self.label)
            if e.get("id") is not None
        ]
