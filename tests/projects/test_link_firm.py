"""The firm of a link is one fact, its project's: another firm's account is refused, and admin cannot change it."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory

from connector_portal.models import AuditEvent, Firm, ProjectCenterProject, User
from projects.models import ProjectLink
from projects.services import link_switch_receiving_user
from providers.models import ProviderAccount
from tests.api.factories import link_add


def foreign_account(other_firm: Firm) -> ProviderAccount:
    return ProviderAccount.objects.create(firm=other_firm, provider="procore", provider_user_id="x", name="Olly Other")


def test_a_link_takes_its_firm_from_its_project(firm: Firm) -> None:
    template = link_add(firm, "PC-0")
    project = ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-1", name="Library")

    link = ProjectLink.objects.create(project=project, provider="procore", account=template.account)

    assert link.firm == firm


def test_a_link_whose_account_belongs_to_another_firm_is_refused(firm: Firm, other_firm: Firm) -> None:
    project = ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-1", name="Library")

    with pytest.raises(ValidationError, match="belongs to firm “Other Engineers”"):
        ProjectLink.objects.create(project=project, provider="procore", account=foreign_account(other_firm))

    assert not ProjectLink.objects.exists()


def test_a_link_set_to_another_firm_than_its_projects_is_refused(firm: Firm, other_firm: Firm) -> None:
    link = link_add(firm, "PC-1")
    link.firm = other_firm

    with pytest.raises(ValidationError, match="belongs to its project's firm"):
        link.full_clean()
    with pytest.raises(ValidationError, match="belongs to its project's firm"):
        link.save()

    assert ProjectLink.objects.get(pk=link.pk).firm == firm


def test_switching_to_another_firms_receiving_user_is_refused(firm: Firm, other_firm: Firm, member: User) -> None:
    link = link_add(firm, "PC-1")
    own = link.account

    with pytest.raises(ValidationError, match="Choose a receiving user who signed in"):
        link_switch_receiving_user(link=link, account=foreign_account(other_firm), actor=member)

    assert ProjectLink.objects.get(pk=link.pk).account == own
    assert not AuditEvent.objects.filter(action="link.receiving_user").exists()


@pytest.fixture
def staff(db: None) -> User:
    user = User.objects.create_superuser(email="support@example.com", password="a-long-test-password")
    TOTP.activate(user, generate_totp_secret())  # admin admits only staff with two-factor authentication
    return user


def test_admin_cannot_change_a_links_firm_project_or_account(firm: Firm, staff: User) -> None:
    link = link_add(firm, "PC-1")
    request = RequestFactory().get("/")
    request.user = staff
    client = Client()
    client.force_login(staff)

    form = admin.site._registry[ProjectLink].get_form(request, link)
    page = client.get(f"/admin/projects/projectlink/{link.pk}/change/")
    add = client.get("/admin/projects/projectlink/add/")
    project_form = admin.site._registry[ProjectCenterProject].get_form(request, link.project)

    assert {"firm", "project", "account"}.isdisjoint(form.base_fields)
    assert page.status_code == 200
    assert b'name="account"' not in page.content and b'name="project"' not in page.content
    assert add.status_code == 403  # a link is made by the connect wizard
    assert "firm" not in project_form.base_fields  # moving a project would leave its link in the old firm
