"""Response-value mapping tables and Project Center keyword lists."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from connector_portal.models import Connector, FirmOwned


class MappingTable(FirmOwned):
    """How Project Center's Record a Response keywords translate into one provider's responses.

    A project connection holds its own table (`ProjectLink.mapping_table`, one layer up); a table marked
    `is_default` is the firm's default for its provider (at most one per firm and provider), copied into each new
    connection.
    """

    provider = models.CharField(max_length=20, choices=Connector.choices)
    is_default = models.BooleanField("firm default", default=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["firm__name", "provider", "-is_default", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "provider"],
                condition=models.Q(is_default=True),
                name="mappingtable_one_default_per_firm_provider",
            ),
        ]

    def __str__(self) -> str:
        provider = self.get_provider_display()
        return f"Default {provider} mapping" if self.is_default else f"{provider} mapping {self.pk}"


class MappingRow(FirmOwned):
    """One Project Center keyword and the provider response it becomes.

    The provider response is kept by its standard meaning, which survives renames; the id and name are the ones seen
    when a person last saved the row, so a later rename or removal at the provider can be shown to them.
    Default tables store only the standard meaning (ids differ per provider project).
    """

    table = models.ForeignKey(MappingTable, on_delete=models.CASCADE, related_name="rows")
    keyword = models.CharField("Project Center keyword", max_length=100)
    standard = models.CharField("provider response meaning", max_length=50)
    response_id = models.CharField("provider response id (last seen)", max_length=100, blank=True)
    response_name = models.CharField("provider response name (last seen)", max_length=255, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["table", "position", "id"]
        constraints = [
            models.UniqueConstraint("table", Lower("keyword"), name="mappingrow_unique_keyword_per_table"),
        ]

    def __str__(self) -> str:
        return f"{self.keyword} → {self.response_name or self.standard}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A row always belongs to its table's firm; admin inlines never ask for it.
        self.firm_id = self.table.firm_id
        super().save(*args, **kwargs)


class KeywordList(FirmOwned):
    """One of a Project Center project's keyword lists, replaced whole whenever it is uploaded or edited."""

    class Kind(models.TextChoices):
        SUBMITTAL_ACTION = "submittal_action", "Submittal Action"
        RFI_ACTION = "rfi_action", "RFI Action"

    class Source(models.TextChoices):
        PROJECT_CENTER = "project_center", "Uploaded by Project Center"
        PORTAL = "portal", "Entered in the portal"
        ADMIN = "admin", "Entered in admin"

    project = models.ForeignKey(
        "connector_portal.ProjectCenterProject", on_delete=models.CASCADE, related_name="keyword_lists"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.PORTAL)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["project__name", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["project", "kind"], name="keywordlist_unique_kind_per_project"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} keywords of {self.project}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.firm_id = self.project.firm_id
        super().save(*args, **kwargs)


class KeywordEntry(FirmOwned):
    """A keyword (name and Project Center type) in a keyword list."""

    keyword_list = models.ForeignKey(KeywordList, on_delete=models.CASCADE, related_name="entries")
    name = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["keyword_list", "position", "id"]
        verbose_name_plural = "keyword entries"
        constraints = [
            models.UniqueConstraint(
                "keyword_list", Lower("name"), Lower("type"), name="keywordentry_unique_name_type_per_list"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.type})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.firm_id = self.keyword_list.firm_id
        super().save(*args, **kwargs)
