"""The firm-scoping helpers: another firm's object is exactly as absent as a missing one."""

from __future__ import annotations

import pytest
from django.http import Http404

from connector_portal.models import Firm, ProjectCenterProject
from connector_portal.selectors import project_get, project_list
from connector_portal.tenancy import get_for_firm_or_404, scoped


@pytest.fixture
def projects(firm: Firm, other_firm: Firm) -> tuple[ProjectCenterProject, ProjectCenterProject]:
    ours = ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-1", name="Library")
    theirs = ProjectCenterProject.objects.create(firm=other_firm, pc_project_id="PC-2", name="Offices")
    return ours, theirs


def test_it_finds_the_firms_own_object(firm: Firm, projects: tuple) -> None:
    ours, _ = projects
    assert get_for_firm_or_404(ProjectCenterProject.objects.all(), firm=firm, pk=ours.pk) == ours


def test_it_answers_not_found_for_another_firms_object(firm: Firm, projects: tuple) -> None:
    _, theirs = projects
    with pytest.raises(Http404):
        get_for_firm_or_404(ProjectCenterProject.objects.all(), firm=firm, pk=theirs.pk)


def test_another_firms_object_and_a_missing_one_look_the_same(firm: Firm, projects: tuple) -> None:
    _, theirs = projects
    with pytest.raises(Http404) as foreign:
        project_get(firm=firm, pc_project_id=theirs.pc_project_id)
    with pytest.raises(Http404) as missing:
        project_get(firm=firm, pc_project_id="does-not-exist")
    assert str(foreign.value) == str(missing.value)


def test_a_malformed_id_is_not_found_rather_than_an_error(firm: Firm, projects: tuple) -> None:
    with pytest.raises(Http404):
        get_for_firm_or_404(ProjectCenterProject.objects.all(), firm=firm, pk="not-a-number")


def test_lists_hold_only_the_firms_rows(firm: Firm, other_firm: Firm, projects: tuple) -> None:
    ours, theirs = projects
    assert list(project_list(firm=firm)) == [ours]
    assert list(scoped(ProjectCenterProject.objects.all(), firm=other_firm)) == [theirs]


def test_the_same_project_center_id_may_exist_in_two_firms(firm: Firm, other_firm: Firm) -> None:
    ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-9", name="A")
    ProjectCenterProject.objects.create(firm=other_firm, pc_project_id="PC-9", name="B")
    assert project_get(firm=firm, pc_project_id="PC-9").name == "A"
