"""Tenancy: firms, members, licence, API service accounts, the audit trail, the firm's Project Center projects."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone

from connector_portal.dates import when


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: object) -> User:
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)


class User(AbstractUser):
    """A person: a firm user (through memberships) or a support staff member (is_staff). Logs in by email."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []
    # The stub expects Django's username-based UserManager; this email-only model has its own.
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.email


class Connector(models.TextChoices):
    """The construction platforms a firm can be licensed to connect. Labels are what users see."""

    PROCORE = "procore", "Procore"
    AUTODESK = "autodesk", "BIM 360"
    CONSTRUCTEX = "constructex", "ConstructEx"


class Firm(models.Model):
    """A customer firm (tenant). Every firm-owned row points here."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    is_active = models.BooleanField(
        "active", default=True, help_text="Users of an inactive firm cannot log in and its connections stop syncing."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FirmOwned(models.Model):
    """Base for every row a firm owns: the non-null firm key that firm-scoped selectors filter on."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Administrator"
        MEMBER = "member", "Member"

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["firm", "user"], name="membership_unique_firm_user")]
        ordering = ["firm__name", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} in {self.firm} ({self.get_role_display()})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


class Licence(models.Model):
    """Which connectors a firm may use, and until when (inclusive). No licence row means no connector."""

    firm = models.OneToOneField(Firm, on_delete=models.CASCADE, related_name="licence")
    procore = models.BooleanField("Procore", default=False)
    autodesk = models.BooleanField("BIM 360 / Autodesk Construction Cloud", default=False)
    constructex = models.BooleanField("ConstructEx", default=False)
    valid_until = models.DateField(null=True, blank=True, help_text="Leave empty for a licence that does not expire.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Licence of {self.firm}"

    def is_current(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.valid_until is None or today <= self.valid_until

    def allows(self, connector: str, today: dt.date | None = None) -> bool:
        return connector in Connector.values and self.is_current(today) and bool(getattr(self, connector))

    def connectors(self, today: dt.date | None = None) -> list[str]:
        return [c for c in Connector.values if self.allows(c, today)]


class ServiceAccountToken(models.Model):
    """The firm's API service account for Project Center. Only a hash of the secret is stored."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="service_tokens")
    name = models.CharField(max_length=100, default="Project Center")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Leave empty for a token that does not expire.")
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        return "active" if self.is_usable() else "expired"


class AuditEvent(models.Model):
    """Append-only record of who changed what. Rows are never updated or deleted."""

    firm = models.ForeignKey(Firm, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_token = models.ForeignKey(
        ServiceAccountToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(
        max_length=255, blank=True, help_text="Who acted, kept even if the actor is deleted."
    )
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["firm", "-created_at"], name="audit_firm_recent")]

    def __str__(self) -> str:
        return f"{when(self.created_at)} {self.actor_label} {self.action} {self.target_label}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit events are append-only.")


class ProjectCenterProject(FirmOwned):
    """A project in the firm's Newforma Project Center, keyed by Project Center's own project id.

    The firm's own registry of its projects: keyword lists (mappings) and links (projects) both hang off it.
    """

    pc_project_id = models.CharField(
        "Project Center project id", max_length=100, help_text="Project Center's own id for the project."
    )
    name = models.CharField(max_length=255)
    number = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "pc_project_id"], name="pcproject_unique_per_firm"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}".strip()
