"""Project Center projects and, later, their links to provider projects and the items synced for them."""

from __future__ import annotations

from django.db import models

from connector_portal.models import FirmOwned


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
