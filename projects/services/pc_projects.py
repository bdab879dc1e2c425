"""Writes on Project Center projects (made through the API), each audited with the caller (token or user) as actor."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest

from connector_portal.models import Firm, ServiceAccountToken
from connector_portal.services import audit_record, snapshot
from projects.models import ProjectCenterProject


class ProjectExists(Exception):
    """A project with this Project Center id already exists in the firm."""


def _audit(
    *,
    action: str,
    project: ProjectCenterProject,
    before: dict[str, Any] | None,
    actor_token: ServiceAccountToken | None,
    request: HttpRequest | None,
) -> None:
    after = snapshot(project) if project.pk is not None else None
    audit_record(
        action=action,
        firm=project.firm,
        actor_token=actor_token,
        target=project,
        before=before,
        after=after,
        request=request,
    )


def project_create(
    *,
    firm: Firm,
    pc_project_id: str,
    name: str,
    number: str = "",
    actor_token: ServiceAccountToken | None = None,
    request: HttpRequest | None = None,
) -> ProjectCenterProject:
    """Create a project; raises ProjectExists when the firm already has this Project Center id."""
    try:
        with transaction.atomic():
            project = ProjectCenterProject.objects.create(
                firm=firm, pc_project_id=pc_project_id, name=name, number=number
            )
            _audit(action="project.create", project=project, before=None, actor_token=actor_token, request=request)
    except IntegrityError as exc:  # the (firm, pc_project_id) constraint: also settles a race between two creates
        raise ProjectExists(pc_project_id) from exc
    return project


@transaction.atomic
def project_update(
    *,
    project: ProjectCenterProject,
    changes: dict[str, Any],
    actor_token: ServiceAccountToken | None = None,
    request: HttpRequest | None = None,
) -> ProjectCenterProject:
    """Apply `changes` (name, number); records an audit event only when something really changed."""
    changed = [field for field, value in changes.items() if getattr(project, field) != value]
    if not changed:
        return project
    before = snapshot(project)
    for field in changed:
        setattr(project, field, changes[field])
    project.save(update_fields=[*changed, "updated_at"])
    _audit(action="project.update", project=project, before=before, actor_token=actor_token, request=request)
    return project


def project_upsert(
    *,
    firm: Firm,
    pc_project_id: str,
    name: str,
    number: str = "",
    actor_token: ServiceAccountToken | None = None,
    request: HttpRequest | None = None,
) -> tuple[ProjectCenterProject, bool]:
    """Create or update the firm's project with this Project Center id; returns (project, created). Idempotent."""
    project = ProjectCenterProject.objects.filter(firm=firm, pc_project_id=pc_project_id).first()
    if project is None:
        try:
            created = project_create(
                firm=firm,
                pc_project_id=pc_project_id,
                name=name,
                number=number,
                actor_token=actor_token,
                request=request,
            )
            return created, True
        except ProjectExists:  # created by a concurrent request a moment ago: update it instead
            project = ProjectCenterProject.objects.get(firm=firm, pc_project_id=pc_project_id)
    updated = project_update(
        project=project, changes={"name": name, "number": number}, actor_token=actor_token, request=request
    )
    return updated, False


@transaction.atomic
def project_delete(
    *, project: ProjectCenterProject, actor_token: ServiceAccountToken | None = None, request: HttpRequest | None = None
) -> None:
    before = snapshot(project)
    project.delete()
    _audit(action="project.delete", project=project, before=before, actor_token=actor_token, request=request)
