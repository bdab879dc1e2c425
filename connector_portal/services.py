"""Writes about firms, members, service accounts, the audit trail and the firm's Project Center projects."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from connector_portal.models import AuditEvent, Firm, Membership, ProjectCenterProject, ServiceAccountToken, User

TOKEN_PREFIX = "ncp_"
# Field names whose values never reach the audit trail, whatever the model.
SECRET_FIELD_NAMES = {"password", "token_hash", "client_secret", "access_token", "refresh_token", "secret"}


def _hash_token(raw: str) -> str:
    # Tokens are 190 random bits: a plain SHA-256 is enough (no brute force to slow down), and fast to compare.
    return hashlib.sha256(raw.encode()).hexdigest()


def _is_secret(field: models.Field) -> bool:
    name = field.name
    return (
        name in SECRET_FIELD_NAMES or "secret" in name or name.endswith("_token") or "Encrypted" in type(field).__name__
    )


def snapshot(obj: models.Model | None) -> dict[str, Any] | None:
    """A JSON-safe picture of a model instance for before/after, without secrets."""
    if obj is None:
        return None
    clean: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if _is_secret(field):
            continue
        value = getattr(obj, field.attname)
        if value is not None and not isinstance(value, bool | int | float | str | dict | list):
            value = str(value)
        clean[field.attname] = value
    return clean


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _target_id(target: models.Model | None, before: dict[str, Any] | None) -> str:
    if target is None:
        return ""
    if target.pk is None:  # deleted: keep the id it had
        return str((before or {}).get("id", ""))
    return str(target.pk)


def audit_record(
    *,
    action: str,
    firm: Firm | None = None,
    actor_user: User | None = None,
    actor_token: ServiceAccountToken | None = None,
    target: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    if actor_user is None and request is not None and request.user.is_authenticated:
        actor_user = request.user
    label = str(actor_user) if actor_user else (f"token {actor_token.prefix}" if actor_token else "system")
    return AuditEvent.objects.create(
        firm=firm,
        actor_user=actor_user,
        actor_token=actor_token,
        actor_label=label,
        action=action,
        target_type=target._meta.label if target is not None else "",
        target_id=_target_id(target, before),
        target_label=str(target)[:255] if target is not None else "",
        before=before,
        after=after,
        ip_address=client_ip(request),
    )


@transaction.atomic
def service_token_create(
    *,
    firm: Firm,
    name: str = "Project Center",
    created_by: User | None = None,
    expires_at: Any = None,
    request: HttpRequest | None = None,
) -> tuple[ServiceAccountToken, str]:
    """Create a service-account token. The raw token is returned once and never stored."""
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(24)}"
    token = ServiceAccountToken.objects.create(
        firm=firm, name=name, prefix=prefix, token_hash=_hash_token(raw), created_by=created_by, expires_at=expires_at
    )
    audit_record(
        action="service_token.create",
        firm=firm,
        actor_user=created_by,
        target=token,
        after=snapshot(token),
        request=request,
    )
    return token, raw


def service_token_revoke(
    *, token: ServiceAccountToken, actor: User | None = None, request: HttpRequest | None = None
) -> None:
    if token.revoked_at:
        return
    before = snapshot(token)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        action="service_token.revoke",
        firm=token.firm,
        actor_user=actor,
        target=token,
        before=before,
        after=snapshot(token),
        request=request,
    )


def service_token_authenticate(*, raw: str) -> ServiceAccountToken | None:
    """The usable token matching `raw`, looked up by prefix and compared by hash; records when it was used."""
    if not raw.startswith(TOKEN_PREFIX) or raw.count("_") < 2:
        return None
    prefix = raw[len(TOKEN_PREFIX) :].split("_", 1)[0]
    token = ServiceAccountToken.objects.select_related("firm").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.token_hash, _hash_token(raw)):
        return None
    if not token.is_usable() or not token.firm.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:  # spare a write per request
        ServiceAccountToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def set_password_url(*, user: User) -> str:
    """A single-use link where the user chooses a password (allauth's password-reset-from-key page)."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)},
    )
    return f"{settings.PORTAL_BASE_URL}{path}"


def user_send_set_password_email(*, user: User) -> None:
    context = {"user": user, "url": set_password_url(user=user), "portal_url": settings.PORTAL_BASE_URL}
    send_mail(
        subject="[Connector portal] Choose your password",
        message=render_to_string("emails/set_password.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


@transaction.atomic
def member_add(
    *,
    firm: Firm,
    email: str,
    role: str = Membership.Role.MEMBER,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> Membership:
    """Add a person to a firm, creating their account (and sending a set-password email) when new."""
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if user is None:
        user = User.objects.create_user(email=email)
    membership, _ = Membership.objects.get_or_create(firm=firm, user=user, defaults={"role": role})
    audit_record(
        action="membership.create",
        firm=firm,
        actor_user=actor,
        target=membership,
        after=snapshot(membership),
        request=request,
    )
    if created:
        transaction.on_commit(lambda: user_send_set_password_email(user=user))
    return membership


# -- Project Center projects (made through the API), each audited with the caller (token or user) as actor --------


class ProjectExists(Exception):
    """A project with this Project Center id already exists in the firm."""


def _project_audit(
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
            _project_audit(
                action="project.create", project=project, before=None, actor_token=actor_token, request=request
            )
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
    _project_audit(action="project.update", project=project, before=before, actor_token=actor_token, request=request)
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
    _project_audit(action="project.delete", project=project, before=before, actor_token=actor_token, request=request)
