"""The configure wizard's pages, in the product's documented order, with a fake provider behind them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import responses
from django.test import Client
from django.utils import timezone

from connector_portal.models import AuditEvent, Firm, Licence, ProjectCenterProject
from connector_portal.services import project_delete, service_token_create
from mappings.models import KeywordList, MappingTable
from projects.models import ProjectLink
from providers.errors import AccessBlocked, ProviderUnavailable
from providers.models import ProviderAccount
from providers.registry import get_provider
from providers.types import ProviderProject
from tests.providers.conftest import AUTODESK

from .conftest import FakeProvider


def settings_url(account: ProviderAccount, project: str = "100", company: str = "1") -> str:
    return f"/connect/PC-1/settings/?account={account.pk}&company={company}&project={project}"


def mapping_post(account: ProviderAccount, **extra: str) -> dict[str, str]:
    data = {"account": str(account.pk), "company": "1", "project": "100", "sync_submittals": "on", "sync_rfis": "on"}
    choices = ["16", "11", "12", "13", "14", "15"]  # the six default Project Center keywords, in order
    data.update({f"mapping-keyword_{i}": choice for i, choice in enumerate(choices)})
    data.update(extra)
    return data


def test_the_configure_page_offers_the_three_connectors_in_order(member_client: Client, pc_project) -> None:
    content = member_client.get("/connect/PC-1/").content.decode()
    assert content.index(">Procore<") < content.index(">ConstructEx<") < content.index(">BIM 360<")
    assert "/oauth/procore/start/?project=PC-1" in content


def test_a_connector_outside_the_licence_is_disabled_with_the_reason(
    member_client: Client, firm: Firm, pc_project
) -> None:
    Licence.objects.filter(firm=firm).update(constructex=False)
    content = member_client.get("/connect/PC-1/").content.decode()
    assert "The installed licence key does not include the ConstructEx connector" in content
    assert "contact support for an updated licence key".lower() in content.lower()
    assert "/oauth/constructex/start/" not in content
    assert "/oauth/procore/start/" in content


def test_the_configure_page_warns_without_an_api_service_account(member_client: Client, firm: Firm, pc_project) -> None:
    assert b"will not function properly until one is created" in member_client.get("/connect/PC-1/").content
    service_token_create(firm=firm)
    assert b"will not function properly" not in member_client.get("/connect/PC-1/").content


def test_the_configure_page_names_each_missing_keyword(member_client: Client, firm: Firm, pc_project) -> None:
    content = member_client.get("/connect/PC-1/").content.decode()
    assert "“For Review” with type “Receive”" in content
    assert "“Request for Information” with type “Receive”" in content


def test_signed_out_users_sign_in_first_and_come_back(client: Client, pc_project) -> None:
    response = client.get("/connect/PC-1/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/connect/PC-1/"


def test_a_user_of_several_companies_chooses_one(member_client: Client, account, fake_provider) -> None:
    content = member_client.get(f"/connect/PC-1/company/?account={account.pk}").content.decode()
    assert "Builder Co" in content and "Other GC" in content
    assert "belongs to 2 Procore companies" in " ".join(content.split())


def test_a_single_company_is_not_asked_for(member_client: Client, account, fake_provider: FakeProvider) -> None:
    fake_provider.companies = fake_provider.companies[:1]
    response = member_client.get(f"/connect/PC-1/company/?account={account.pk}")
    assert response["Location"] == f"/connect/PC-1/project/?account={account.pk}&company=1"


def test_projects_are_listed_and_searchable(member_client: Client, account, fake_provider) -> None:
    content = member_client.get(f"/connect/PC-1/project/?account={account.pk}&company=1").content.decode()
    assert "North Wing Library" in content and "Harbour Offices" in content
    content = member_client.get(f"/connect/PC-1/project/?account={account.pk}&company=1&q=harb").content.decode()
    assert "Harbour Offices" in content and "North Wing Library" not in content


def test_a_user_on_no_project_team_is_told_what_to_do(member_client: Client, account, fake_provider) -> None:
    fake_provider.projects = []
    content = member_client.get(f"/connect/PC-1/project/?account={account.pk}&company=1").content.decode()
    assert "No projects — ask your administrator to add you to the project team." in content


def test_a_provider_refusal_is_shown_in_words_and_nothing_is_saved(
    member_client: Client, account, fake_provider: FakeProvider
) -> None:
    fake_provider.fail_with = AccessBlocked(
        "Builder Co does not allow connections from outside applications. A Procore company administrator must "
        "install or allow the app."
    )
    response = member_client.get(f"/connect/PC-1/project/?account={account.pk}&company=1")
    assert response.status_code == 502
    assert b"does not allow connections from outside applications" in response.content
    assert b"Nothing was saved" in response.content
    assert not ProjectLink.objects.exists()


def test_an_unavailable_provider_asks_to_try_again(member_client: Client, account, fake_provider) -> None:
    fake_provider.fail_with = ProviderUnavailable(
        "Procore is not answering right now. Try again in a minute.", retry_after=60
    )
    response = member_client.get(settings_url(account))
    assert b"Try again in a minute" in response.content


def test_configure_project_connection_prefills_the_mapping_with_current_names(
    member_client: Client, account, fake_provider
) -> None:
    response = member_client.get(settings_url(account))
    content = response.content.decode()
    assert "Configure Project Connection" in content
    assert "Reviewed - No Exceptions" in content  # the renamed response, shown by its current name
    assert "Rita Reviewer" in content
    form = response.context["mapping"]
    assert form["keyword_1"].value() == "11"  # Approved -> Approved


def test_saving_connects_the_project_with_its_mapping(member_client: Client, account, fake_provider, firm) -> None:
    response = member_client.post(settings_url(account), mapping_post(account))
    assert response["Location"] == "/connect/PC-1/connection/"
    link = ProjectLink.objects.get(firm=firm)
    assert (link.provider_project_id, link.provider_company_name, link.account) == ("100", "Builder Co", account)
    table = MappingTable.objects.get(link=link)
    assert {r.keyword: r.response_id for r in table.rows.all()}["Approved"] == "11"
    assert AuditEvent.objects.filter(action="link.create", firm=firm).exists()


def test_a_second_save_is_harmless(member_client: Client, account, fake_provider, firm) -> None:
    member_client.post(settings_url(account), mapping_post(account))
    response = member_client.post(settings_url(account), mapping_post(account, project="101"))
    assert response["Location"] == "/connect/PC-1/connection/"
    assert ProjectLink.objects.get(firm=firm).provider_project_id == "100"


def test_an_incomplete_mapping_saves_nothing(member_client: Client, account, fake_provider) -> None:
    response = member_client.post(settings_url(account), mapping_post(account, **{"mapping-keyword_2": ""}))
    assert response.status_code == 200
    assert "Choose a response for “Approved as Noted”." in response.content.decode()
    assert not ProjectLink.objects.exists()
    assert not MappingTable.objects.filter(link__isnull=False).exists()


def test_a_project_the_account_cannot_see_is_refused(member_client: Client, account, fake_provider) -> None:
    response = member_client.post(settings_url(account, project="999"), mapping_post(account, project="999"))
    assert response.status_code == 400
    assert b"not one your account can access" in response.content
    assert not ProjectLink.objects.exists()


def test_a_bim360_project_syncs_rfis_only(member_client: Client, account, fake_provider: FakeProvider) -> None:
    fake_provider.projects = [ProviderProject("100", "Old BIM 360 job", "", "1", supports_submittals=False)]
    response = member_client.get(settings_url(account))
    assert b"only RFIs can sync" in response.content
    member_client.post(
        settings_url(account),
        {"account": account.pk, "company": "1", "project": "100", "sync_submittals": "on", "sync_rfis": "on"},
    )
    link = ProjectLink.objects.get()
    assert (link.sync_submittals, link.sync_rfis) == (False, True)


def test_pause_resume_and_disconnect(member_client: Client, account, fake_provider) -> None:
    member_client.post(settings_url(account), mapping_post(account))
    member_client.post("/connect/PC-1/connection/pause/")
    assert ProjectLink.objects.get().status == ProjectLink.Status.PAUSED
    member_client.post("/connect/PC-1/connection/resume/")
    assert ProjectLink.objects.get().status == ProjectLink.Status.ACTIVE
    assert b"Disconnect" in member_client.get("/connect/PC-1/connection/disconnect/").content
    assert ProjectLink.objects.exists()  # the confirmation page changes nothing
    member_client.post("/connect/PC-1/connection/disconnect/")
    assert not ProjectLink.objects.exists()


def test_another_users_provider_account_cannot_be_used(
    member_client: Client, firm: Firm, make_member, fake_provider, pc_project
) -> None:
    colleague = make_member(firm)
    theirs = ProviderAccount.objects.create(firm=firm, user=colleague, provider="procore", provider_user_id="77")
    assert member_client.get(f"/connect/PC-1/project/?account={theirs.pk}&company=1").status_code == 404


def test_every_page_answers_404_for_another_firms_project(
    client: Client, other_firm: Firm, make_member, account, fake_provider, member_client: Client
) -> None:
    member_client.post(settings_url(account), mapping_post(account))  # PC-1 is connected in our firm
    outsider = make_member(other_firm)
    ProjectCenterProject.objects.create(firm=other_firm, pc_project_id="PC-OTHER", name="Theirs")
    client.force_login(outsider)
    for path in [
        "/connect/PC-1/",
        f"/connect/PC-1/company/?account={account.pk}",
        f"/connect/PC-1/project/?account={account.pk}",
        settings_url(account),
        "/connect/PC-1/connection/",
        "/connect/PC-1/connection/mapping/",
        "/connect/PC-1/connection/disconnect/",
        f"/connect/PC-1/connection/receiving-user/?account={account.pk}",
    ]:
        assert client.get(path).status_code == 404, path
    for path in [
        "/connect/PC-1/connection/pause/",
        "/connect/PC-1/connection/resume/",
        "/connect/PC-1/connection/sync/",
        "/connect/PC-1/connection/disconnect/",
    ]:
        assert client.post(path).status_code == 404, path
    assert ProjectLink.objects.get().status == ProjectLink.Status.ACTIVE


def enter_required_keywords(firm: Firm, project: ProjectCenterProject) -> None:
    for kind, name in (
        (KeywordList.Kind.SUBMITTAL_ACTION, "For Review"),
        (KeywordList.Kind.RFI_ACTION, "Request for Information"),
    ):
        keyword_list = KeywordList.objects.create(firm=firm, project=project, kind=kind)
        keyword_list.entries.create(firm=firm, name=name, type="Receive")


def test_keyword_lists_entered_for_the_project_clear_the_warning(member_client: Client, firm: Firm, pc_project) -> None:
    enter_required_keywords(firm, pc_project)
    content = member_client.get("/connect/PC-1/").content.decode()
    assert "with type “Receive”" not in content


def test_saving_queues_the_first_sync_and_sync_now_runs_another(
    member_client: Client, account, fake_provider: FakeProvider, django_capture_on_commit_callbacks, firm, pc_project
) -> None:
    enter_required_keywords(firm, pc_project)
    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(settings_url(account), mapping_post(account))
    link = ProjectLink.objects.get()
    assert link.runs.count() == 1
    assert "items" in fake_provider.calls  # the first sync asked the provider for items
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post("/connect/PC-1/connection/sync/", follow=True)
    assert b"A sync has been queued" in response.content or b"already running" in response.content
    assert link.runs.count() == 2


def connect(member_client: Client, account: ProviderAccount) -> ProjectLink:
    member_client.post(settings_url(account), mapping_post(account))
    return ProjectLink.objects.get()


def test_reconnecting_the_same_account_restores_a_lost_connection(
    member_client: Client, account, fake_provider
) -> None:
    link = connect(member_client, account)
    ProjectLink.objects.filter(pk=link.pk).update(status=ProjectLink.Status.CONNECTION_LOST, status_reason="expired")
    page = member_client.get("/connect/PC-1/connection/").content.decode()
    assert "was lost" in page and "Reconnect" in page
    confirm = member_client.get(f"/connect/PC-1/connection/receiving-user/?account={account.pk}")
    assert b"Reconnect" in confirm.content
    link.refresh_from_db()
    assert link.status == ProjectLink.Status.CONNECTION_LOST  # a GET changes nothing
    response = member_client.post("/connect/PC-1/connection/receiving-user/", {"account": account.pk}, follow=True)
    assert b"receives this project" in response.content
    link.refresh_from_db()
    assert (link.status, link.account) == (ProjectLink.Status.ACTIVE, account)


def test_switching_the_receiving_user_asks_first(
    member_client: Client, account, fake_provider, firm: Firm, member
) -> None:
    link = connect(member_client, account)
    other = ProviderAccount.objects.create(
        firm=firm, user=member, provider="procore", provider_user_id="43", name="Sam Second"
    )
    page = member_client.get(f"/connect/PC-1/connection/receiving-user/?account={other.pk}")
    assert b"Switch to Sam Second" in page.content
    link.refresh_from_db()
    assert link.account == account  # nothing changes before the confirmation
    member_client.post("/connect/PC-1/connection/receiving-user/", {"account": other.pk})
    link.refresh_from_db()
    assert link.account == other
    assert AuditEvent.objects.filter(action="link.receiving_user").exists()


def test_a_receiving_user_off_the_project_team_is_refused(
    member_client: Client, account, fake_provider: FakeProvider, firm: Firm, member
) -> None:
    link = connect(member_client, account)
    other = ProviderAccount.objects.create(
        firm=firm, user=member, provider="procore", provider_user_id="44", name="Olly Outsider"
    )
    fake_provider.projects = [p for p in fake_provider.projects if p.id != "100"]
    response = member_client.post("/connect/PC-1/connection/receiving-user/", {"account": other.pk}, follow=True)
    assert b"is not on the team of Procore project" in response.content
    link.refresh_from_db()
    assert link.account == account


def test_disconnecting_removes_the_providers_webhook(
    member_client: Client, account, fake_provider, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    link = connect(member_client, account)
    ProjectLink.objects.filter(pk=link.pk).update(webhook_hook_id="hook-9")
    removed: list[dict] = []
    fake_provider.unregister_webhooks = lambda **kwargs: removed.append(kwargs)
    monkeypatch.setattr("projects.services.webhooks.get_provider", lambda key: fake_provider)
    with django_capture_on_commit_callbacks(execute=True):
        member_client.post("/connect/PC-1/connection/disconnect/")
    assert removed == [{"account": account, "company_id": "1", "project_id": "100", "hook_id": "hook-9"}]


def test_deleting_the_project_also_removes_its_links_webhook(
    member_client: Client, account, fake_provider, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    link = connect(member_client, account)
    ProjectLink.objects.filter(pk=link.pk).update(webhook_hook_id="hook-9")
    removed: list[dict] = []
    fake_provider.unregister_webhooks = lambda **kwargs: removed.append(kwargs)
    monkeypatch.setattr("projects.services.webhooks.get_provider", lambda key: fake_provider)
    with django_capture_on_commit_callbacks(execute=True):
        project_delete(project=ProjectCenterProject.objects.get(pk=link.project_id))  # the link goes by cascade
    assert removed == [{"account": account, "company_id": "1", "project_id": "100", "hook_id": "hook-9"}]


def test_reconnecting_does_not_lift_a_pause_a_person_chose(member_client: Client, account, fake_provider) -> None:
    link = connect(member_client, account)
    member_client.post("/connect/PC-1/connection/pause/")
    member_client.post("/connect/PC-1/connection/receiving-user/", {"account": account.pk})
    link.refresh_from_db()
    assert link.status == ProjectLink.Status.PAUSED


def test_sync_now_on_a_paused_connection_queues_nothing(member_client: Client, account, fake_provider) -> None:
    link = connect(member_client, account)
    member_client.post("/connect/PC-1/connection/pause/")
    response = member_client.post("/connect/PC-1/connection/sync/", follow=True)
    assert b"Nothing was queued: syncing is paused" in response.content
    assert not link.runs.filter(status="queued").exists()


def test_a_provider_failure_on_the_settings_step_is_shown_not_a_server_error(
    member_client: Client, account, fake_provider: FakeProvider
) -> None:
    fake_provider.list_response_options = lambda **kw: (_ for _ in ()).throw(  # type: ignore[method-assign]
        ProviderUnavailable("Procore is not answering right now. Try again in a minute.", retry_after=60)
    )
    response = member_client.get(settings_url(account))
    assert response.status_code == 502
    assert b"Try again in a minute" in response.content


def test_a_bim360_connection_edits_only_its_item_kinds(member_client: Client, account, fake_provider) -> None:
    fake_provider.projects = [ProviderProject("100", "Old BIM 360 job", "", "1", supports_submittals=False)]
    member_client.post(
        settings_url(account), {"account": account.pk, "company": "1", "project": "100", "sync_rfis": "on"}
    )
    page = member_client.get("/connect/PC-1/connection/mapping/").content.decode()
    assert "only RFIs can sync" in page and "mapping-keyword_0" not in page
    member_client.post("/connect/PC-1/connection/mapping/", {"sync_submittals": "on", "sync_rfis": "on"})
    link = ProjectLink.objects.get()
    assert (link.sync_submittals, link.sync_rfis) == (False, True)


def test_the_connection_page_shows_no_template_source(member_client: Client, account, fake_provider) -> None:
    connect(member_client, account)
    page = member_client.get("/connect/PC-1/connection/").content.decode()
    assert "{#" not in page and "{%" not in page and "{{" not in page


def _autodesk_hubs(settings: Any, account: ProviderAccount, hubs: list[dict[str, Any]]) -> responses.RequestsMock:
    """The real Autodesk provider, its hub list mocked: a hub without the app is simply not in it (a 200)."""
    settings.PROVIDER_SANDBOX = True
    account.provider, account.provider_user_id = "autodesk", "ADSK-RITA"
    account.expires_at = timezone.now() + dt.timedelta(hours=1)
    account.save()
    mocked = responses.RequestsMock(assert_all_requests_are_fired=False)
    mocked.get(f"{AUTODESK}/project/v1/hubs", json={"jsonapi": {"version": "1.0"}, "data": hubs})
    return mocked


def _hub(n: int) -> dict[str, Any]:
    extension = {"type": "hubs:autodesk.bim360:Account"}
    return {"type": "hubs", "id": f"b.hub-{n}", "attributes": {"name": f"Hub {n}", "extension": extension}}


def test_no_autodesk_hub_says_how_an_account_admin_adds_the_app(member_client: Client, account, settings) -> None:
    with _autodesk_hubs(settings, account, []):
        response = member_client.get(f"/connect/PC-1/company/?account={account.pk}")

    text = " ".join(response.content.decode().split())
    client_id = get_provider("autodesk").app.client_id
    assert response.status_code == 200 and client_id
    assert "Custom Integrations" in text and f"client id {client_id}" in text and "account administrator" in text
    assert f'href="/connect/PC-1/company/?account={account.pk}">Try again</a>' in text


def test_autodesk_hubs_listed_say_what_to_do_when_the_expected_one_is_missing(
    member_client: Client, account, settings
) -> None:
    with _autodesk_hubs(settings, account, [_hub(1), _hub(2)]):
        several = " ".join(member_client.get(f"/connect/PC-1/company/?account={account.pk}").content.decode().split())
    with _autodesk_hubs(settings, account, [_hub(1)]) as mocked:
        mocked.get(f"{AUTODESK}/project/v1/hubs/b.hub-1/projects", json={"data": [], "links": {}})
        page = member_client.get(f"/connect/PC-1/project/?account={account.pk}&company=b.hub-1")
    one = " ".join(page.content.decode().split())

    for text in (several, one):
        assert "Not the hub you expect?" in text and "Custom Integrations" in text
        assert f'href="/connect/PC-1/company/?account={account.pk}">Try again</a>' in text
    assert "Hub 1" in several and "Hub 2" in several
