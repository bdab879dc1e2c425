"""Project Center projects and, later, their links to provider projects and the items synced for them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from connector_portal.models import Connector, FirmOwned


class ProjectCenterProject(FirmOwned):
    """A project in the firm's Newforma Project Center, keyed by Project Center's own project id."""

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


class ProjectLink(FirmOwned):
    """The connection of one Project Center project to one provider project (at most one per Project Center project)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        CONNECTION_LOST = "connection_lost", "Connection lost — reconnect"
        BLOCKED = "blocked", "Blocked by the provider"
        FAILING = "failing", "Failing"

    project = models.OneToOneField(ProjectCenterProject, on_delete=models.CASCADE, related_name="link")
    provider = models.CharField(max_length=20, choices=Connector.choices)
    account = models.ForeignKey(
        "providers.ProviderAccount",
        on_delete=models.PROTECT,
        related_name="links",
        help_text="The provider account of the receiving user (the person who receives submittals and RFIs).",
    )
    provider_company_id = models.CharField(
        max_length=100, blank=True, help_text="Procore company id or Autodesk hub id; empty for ConstructEx."
    )
    provider_company_name = models.CharField(max_length=255, blank=True)
    provider_project_id = models.CharField(max_length=100)
    provider_project_name = models.CharField(max_length=255)
    sync_submittals = models.BooleanField(default=True)
    sync_rfis = models.BooleanField("sync RFIs", default=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.TextField(blank=True, help_text="What is wrong and what to do, in words.")
    sync_interval = models.PositiveIntegerField("sync interval (seconds)", default=120)
    next_sync_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project__name"]

    def __str__(self) -> str:
        return f"{self.project} ↔ {self.get_provider_display()} {self.provider_project_name}"
