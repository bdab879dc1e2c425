"""What a firm user notices on the connection pages: the chart of recent syncs, one date format, long sync reasons
kept out of the table's rows, the mapping's Notes column only when it says something, one name per Autodesk project
type, and "Sign in as someone else" at the provider step."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from connector_portal.models import Firm, Licence, ProjectCenterProject
from mappings.models import KeywordList
from projects.models import ProjectLink, SyncedItem, SyncRun
from providers.models import ProviderAccount
from providers.types import ResponseOption

from .conftest import FakeProvider
from .test_wizard import connect

CONNECTION = "/connect/PC-1/connection/"
MOMENT = dt.datetime(2026, 12, 1, 16, 30, tzinfo=dt.UTC)
HELD = (
    "Submittals are not synced: Project Center has no keyword list for them on this project. Add the Submittals "
    "keywords on the project's keyword page; they arrive within a minute of saving."
)
# Django's own English formats, which the portal's pages must never show: "Dec. 1, 2026, 4:30 p.m.", "Dec. 1, 2026".
DJANGO_DEFAULTS = re.compile(r"\b[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4}|\b[ap]\.m\.|\bnoon\b|\bmidnight\b")


def runs(link: ProjectLink, *counts: tuple[int, int], **fields: object) -> None:
    for index, (fetched, errors) in enumerate(counts):
        SyncRun.objects.create(
            firm=link.firm,
            link=link,
            started_at=MOMENT + dt.timedelta(minutes=30 * index),
            finished_at=MOMENT + dt.timedelta(minutes=30 * index, seconds=5),
            status="failed" if errors else "succeeded",
            fetched=fetched,
            errors=errors,
            **fields,
        )


def chart_of(page: str) -> str:
    found = re.search(r"<svg.*?</svg>", page, re.S)
    assert found is not None, "the connection page has no chart"
    return found.group(0)


def test_the_chart_has_axes_tick_labels_times_and_counts_and_is_described_in_words(
    member_client: Client, account: ProviderAccount, fake_provider: FakeProvider
) -> None:
    link = connect(member_client, account)
    SyncRun.objects.filter(link=link).delete()
    runs(link, (120, 0), (40, 2))

    page = member_client.get(CONNECTION).content.decode()
    svg = chart_of(page)

    assert 'role="img"' in svg and 'aria-labelledby="sync-chart-title sync-chart-desc"' in svg
    assert '<title id="sync-chart-title">' in svg
    desc = re.search(r'<desc id="sync-chart-desc">(.*?)</desc>', svg)
    assert desc is not None
    assert desc.group(1) == (
        "2 syncs 1 Dec 2026 16:30 to 1 Dec 2026 17:00: 160 items received and 2 errors in all; "
        "the most in one sync, 120 items, at 1 Dec 2026 16:30."
    )
    ticks = re.findall(r'<text class="chart-tick"[^>]*>([^<]+)</text>', svg)
    assert ticks == ["0", "50", "100", "150"]  # round steps up to above the busiest sync
    counts = re.findall(r'<text class="chart-count[^"]*"[^>]*>([^<]+)</text>', svg)
    assert counts == ["120", "40", "2"]
    assert re.findall(r'<text class="chart-time"[^>]*>([^<]+)</text>', svg) == ["16:30", "17:00"]
    assert svg.count('class="chart-axis"') == 2 and "Sync started (UTC)" in svg
    assert " style=" not in page  # the strict CSP refuses inline styles: colours come from the stylesheet


def test_a_busier_sync_has_the_taller_bar_and_an_error_stays_visible(
    member_client: Client, account: ProviderAccount, fake_provider: FakeProvider
) -> None:
    link = connect(member_client, account)
    SyncRun.objects.filter(link=link).delete()
    runs(link, (5000, 0), (10, 1))

    svg = chart_of(member_client.get(CONNECTION).content.decode())

    items = [float(h) for h in re.findall(r'class="chart-bar-items"[^>]*height="([\d.]+)"', svg)]
    errors = [float(h) for h in re.findall(r'class="chart-bar-errors"[^>]*height="([\d.]+)"', svg)]
    assert items[0] > items[1] > 0
    assert errors and errors[0] >= 3


def test_pages_show_dates_in_one_format(
    member_client: Client, account: ProviderAccount, fake_provider: FakeProvider
) -> None:
    link = connect(member_client, account)
    SyncRun.objects.filter(link=link).delete()
    runs(link, (3, 0))
    ProjectLink.objects.filter(pk=link.pk).update(last_synced_at=MOMENT)
    SyncedItem.objects.create(
        firm_id=link.firm_id,
        link=link,
        kind="submittal",
        provider_id="1",
        number="S-1",
        title="Curtain wall",
        content_hash="x",
        first_seen_at=MOMENT,
        changed_at=MOMENT,
        due_date=MOMENT.date(),
        reviewer_id=link.account_id,
    )

    for url in (CONNECTION, f"{CONNECTION}items/"):
        page = member_client.get(url).content.decode()
        assert "1 Dec 2026 16:30" in page, url
        assert not DJANGO_DEFAULTS.search(page), (url, DJANGO_DEFAULTS.search(page))
    assert "Due</dt><dd>1 Dec 2026</dd>" in member_client.get(f"{CONNECTION}items/").content.decode()


def test_the_dashboard_and_the_keyword_page_show_dates_in_the_same_format(
    member_client: Client, firm: Firm, pc_project: ProjectCenterProject
) -> None:
    Licence.objects.filter(firm=firm).update(valid_until=dt.date(2027, 3, 9))
    KeywordList.objects.create(firm=firm, project=pc_project, kind="submittal_action")
    KeywordList.objects.filter(project=pc_project).update(updated_at=MOMENT)  # updated_at is set on every save

    dashboard = member_client.get("/").content.decode()
    keywords = member_client.get("/mappings/projects/PC-1/keywords/").content.decode()

    assert "Valid until: 9 Mar 2027" in dashboard
    assert "1 Dec 2026 16:30" in keywords
    for page in (dashboard, keywords):
        assert not DJANGO_DEFAULTS.search(page), DJANGO_DEFAULTS.search(page)


def test_a_long_reason_is_said_once_below_the_table_and_rows_carry_a_short_label(
    member_client: Client, account: ProviderAccount, fake_provider: FakeProvider
) -> None:
    link = connect(member_client, account)
    SyncRun.objects.filter(link=link).delete()
    runs(link, (1, 0), (0, 0), (2, 0), held_kinds=["submittal"], message=HELD)

    page = member_client.get(CONNECTION).content.decode()
    table = page[page.index('<table class="sync-runs">') : page.index("</table>", page.index('class="sync-runs"'))]

    assert "Project Center has no keyword list" not in table
    assert table.count("Submittals held back") == 3
    assert table.count('href="#sync-note-1"') == 3
    assert page.count("Project Center has no keyword list") == 1
    assert '<li id="sync-note-1">' in page


def test_a_short_reason_stays_in_its_row(
    member_client: Client, account: ProviderAccount, fake_provider: FakeProvider
) -> None:
    link = connect(member_client, account)
    SyncRun.objects.filter(link=link).delete()
    runs(link, (0, 1), message="Procore did not answer.")

    page = member_client.get(CONNECTION).content.decode()

    assert "<small>Procore did not answer.</small>" in page and "sync-note-1" not in page


def test_the_notes_column_appears_only_when_a_row_has_something_to_say(
    member_client: Client, account: ProviderAccount, fake_provider: FakeProvider
) -> None:
    connect(member_client, account)
    quiet = member_client.get(f"{CONNECTION}mapping/").content.decode()
    assert '<th scope="col">Notes</th>' not in quiet
    assert 'aria-describedby="id_mapping-keyword_0-note"' in quiet and 'id="id_mapping-keyword_0-note" hidden' in quiet

    fake_provider.options = [o for o in fake_provider.options if o.id != "11"]  # "Approved" gone at Procore
    fake_provider.options.append(ResponseOption(id="17", name="Accepted", standard="approved"))
    flagged = member_client.get(f"{CONNECTION}mapping/").content.decode()
    assert '<th scope="col">Notes</th>' in flagged
    notes = re.findall(r'<p class="flag flag-[a-z]+">([^<]+)</p>', flagged)
    assert notes, "the mapping's flag is in its row's Notes cell"


@pytest.mark.parametrize(
    ("project_type", "name", "never"),
    [("ACC", "Autodesk Construction Cloud", "BIM 360"), ("BIM360", "BIM 360", "Autodesk Construction Cloud")],
)
def test_an_autodesk_project_has_one_name_from_its_type(
    member_client: Client,
    account: ProviderAccount,
    fake_provider: FakeProvider,
    project_type: str,
    name: str,
    never: str,
) -> None:
    link = connect(member_client, account)
    ProviderAccount.objects.filter(pk=account.pk).update(provider="autodesk")
    ProjectLink.objects.filter(pk=link.pk).update(
        provider="autodesk", provider_project_type=project_type, region="US", status=ProjectLink.Status.CONNECTION_LOST
    )

    # The dashboard names the project's link the same way (its licence list names the connector, for both types).
    assert f"{name}: Connection lost" in member_client.get("/").content.decode()
    for url in (CONNECTION, f"{CONNECTION}items/", f"{CONNECTION}disconnect/"):
        page = member_client.get(url).content.decode()
        assert name in page, url
        assert never not in page and ">Autodesk<" not in page and "Autodesk response" not in page, url
    assert f"{name} response" in member_client.get(f"{CONNECTION}mapping/").content.decode() or (
        project_type == "BIM360"  # BIM 360 projects have no submittals, so no response mapping
    )


def test_the_provider_step_offers_to_sign_in_as_someone_else(
    member_client: Client, account: ProviderAccount, fake_provider: FakeProvider
) -> None:
    for step in (
        f"/connect/PC-1/company/?account={account.pk}",
        f"/connect/PC-1/project/?account={account.pk}&company=1",
    ):
        page = member_client.get(step).content.decode()
        found = re.search(r'<a href="([^"]+)">Sign in to Procore as someone else</a>', page)
        assert found is not None, step
        assert "switch=1" in found.group(1) and found.group(1).startswith("/oauth/procore/start/?project=PC-1")
        assert "Not Rita Reviewer?" in page
