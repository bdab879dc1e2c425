"""The moves of Project Center projects to the core and of the table's link to the link keep every row in place."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# Before both moves: projects owned ProjectCenterProject and a mapping table pointed at its link.
BEFORE = [
    ("connector_portal", "0002_cache_table"),
    ("mappings", "0001_initial"),
    ("projects", "0007_link_supports_submittals"),
]


def migrate(targets: list[tuple[str, str]] | None = None) -> Any:
    """Migrate to `targets` (default: the latest migrations) and return the models as they are there."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def rows_before(apps: Any) -> dict[str, Any]:
    firm = apps.get_model("connector_portal", "Firm").objects.create(name="Harbour Architects", slug="harbour")
    project = apps.get_model("projects", "ProjectCenterProject").objects.create(
        firm=firm, pc_project_id="PC-1001", name="Riverside Library", number="1001"
    )
    account = apps.get_model("providers", "ProviderAccount").objects.create(
        firm=firm, provider="procore", provider_user_id="u-1", name="Rita Reviewer"
    )
    link = apps.get_model("projects", "ProjectLink").objects.create(
        firm=firm,
        project=project,
        provider="procore",
        account=account,
        provider_project_id="555",
        provider_project_name="Riverside Library (GC)",
    )
    tables = apps.get_model("mappings", "MappingTable").objects
    linked = tables.create(firm=firm, provider="procore", link=link)
    default = tables.create(firm=firm, provider="procore", link=None)
    keywords = apps.get_model("mappings", "KeywordList").objects.create(firm=firm, project=project, kind="rfi_action")
    content_type = apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="projects", model="projectcenterproject"
    )[0]
    rows = {"project": project, "link": link, "linked": linked, "default": default, "keywords": keywords}
    return {**rows, "content_type": content_type}


@pytest.mark.django_db(transaction=True)
def test_an_existing_link_keeps_its_table_and_project_across_the_migrations_and_back() -> None:
    before = rows_before(migrate(BEFORE))

    apps = migrate()

    link = apps.get_model("projects", "ProjectLink").objects.get(pk=before["link"].pk)
    assert link.mapping_table_id == before["linked"].pk
    tables = apps.get_model("mappings", "MappingTable").objects
    assert tables.get(pk=before["default"].pk).is_default
    assert not tables.get(pk=before["linked"].pk).is_default
    project = apps.get_model("connector_portal", "ProjectCenterProject").objects.get(pk=before["project"].pk)
    assert (project.pc_project_id, link.project_id) == ("PC-1001", project.pk)
    assert apps.get_model("mappings", "KeywordList").objects.get(pk=before["keywords"].pk).project_id == project.pk
    content_type = apps.get_model("contenttypes", "ContentType").objects.get(pk=before["content_type"].pk)
    assert (content_type.app_label, content_type.model) == ("connector_portal", "projectcenterproject")

    apps = migrate(BEFORE)

    assert apps.get_model("mappings", "MappingTable").objects.get(pk=before["linked"].pk).link_id == link.pk
    assert apps.get_model("mappings", "MappingTable").objects.get(pk=before["default"].pk).link_id is None
    assert apps.get_model("projects", "ProjectCenterProject").objects.get(pk=project.pk).name == "Riverside Library"
    content_type = apps.get_model("contenttypes", "ContentType").objects.get(pk=before["content_type"].pk)
    assert content_type.app_label == "projects"
    migrate()
