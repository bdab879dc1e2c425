"""Reads about firms, memberships, service accounts and the firm's Project Center projects."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from connector_portal.models import Firm, Licence, Membership, ProjectCenterProject, ServiceAccountToken, User
from connector_portal.tenancy import get_for_firm_or_404, scoped


def memberships_for_user(*, user: User) -> QuerySet[Membership]:
    """The user's memberships in active firms, the ones they may work in."""
    return Membership.objects.filter(user=user, firm__is_active=True).select_related("firm").order_by("firm__name")


def membership_get(*, user: User, firm: Firm) -> Membership | None:
    return memberships_for_user(user=user).filter(firm=firm).first()


def is_firm_admin(*, user: User, firm: Firm) -> bool:
    """Whether the user administers the firm: only administrators pause, resume, disconnect a connection or change its
    mapping and settings (and the firm's default mappings); every member can view, connect and sync now."""
    membership = membership_get(user=user, firm=firm)
    return bool(membership and membership.is_admin)


def login_refusal_reason(*, user: User) -> str | None:
    """Why this user may not log in, in words, or None. Support staff may log in without a firm."""
    if user.is_staff:
        return None
    if memberships_for_user(user=user).exists():
        return None
    if Membership.objects.filter(user=user).exists():
        return (
            "Your firm's access to the connector portal has been deactivated. "
            "Contact support if you think this is a mistake."
        )
    return "Your account is not a member of any firm yet. Ask support to add you to your firm."


def firm_licence(*, firm: Firm) -> Licence | None:
    return Licence.objects.filter(firm=firm).first()


def service_tokens_active(*, firm: Firm) -> QuerySet[ServiceAccountToken]:
    now = timezone.now()
    return ServiceAccountToken.objects.filter(firm=firm, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def firm_has_service_account(*, firm: Firm) -> bool:
    return service_tokens_active(firm=firm).exists()


def project_list(*, firm: Firm) -> QuerySet[ProjectCenterProject]:
    return scoped(ProjectCenterProject.objects.all(), firm=firm).order_by("name")


def project_get(*, firm: Firm, pc_project_id: str) -> ProjectCenterProject:
    return get_for_firm_or_404(ProjectCenterProject.objects.all(), firm=firm, pc_project_id=pc_project_id)
