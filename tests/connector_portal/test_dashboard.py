from __future__ import annotations

from django.test import Client

from connector_portal.models import Firm, ProjectCenterProject, User
from connector_portal.services import service_token_create


def test_the_dashboard_lists_the_firms_projects_only(member_client: Client, firm: Firm, other_firm: Firm) -> None:
    ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-1", name="Riverside Library", number="1001")
    ProjectCenterProject.objects.create(firm=other_firm, pc_project_id="PC-2", name="Secret Tower", number="2002")
    content = member_client.get("/").content
    assert b"Riverside Library" in content
    assert b"Secret Tower" not in content


def test_the_dashboard_explains_how_projects_arrive_when_there_are_none(member_client: Client) -> None:
    content = member_client.get("/").content
    assert b"No projects yet" in content
    assert b"Configure" in content


def test_the_dashboard_warns_when_the_firm_has_no_api_service_account(member_client: Client, firm: Firm) -> None:
    assert b"has no active API service account" in member_client.get("/").content
    service_token_create(firm=firm)
    assert b"has no active API service account" not in member_client.get("/").content


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_staff_without_a_firm_are_pointed_to_admin(client: Client, db: None) -> None:
    staff = User.objects.create_user(email="s@portal.example.com", password="pw-long-enough-1", is_staff=True)
    client.force_login(staff)
    response = client.get("/")
    assert response.status_code == 403
    assert b"support admin" in response.content


def test_each_project_links_to_its_configure_page(member_client: Client, firm: Firm) -> None:
    ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-7", name="Quay", number="7")
    assert b'href="/connect/PC-7/"' in member_client.get("/").content
