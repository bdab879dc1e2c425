"""Project Center projects now live in the tenancy core (connector_portal 0003): projects forgets the model.

State only: the link's foreign key keeps its column and its data, the table is renamed by connector_portal 0004.
The content type moves with the model (same row, so permissions, admin history and audit references keep working).
"""

import django.db.models.deletion
from django.db import migrations, models

MODEL = "projectcenterproject"


def _content_type_move(apps, schema_editor, *, source: str, target: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    rows = content_type.objects.using(schema_editor.connection.alias)
    if not rows.filter(app_label=source, model=MODEL).exists():
        return  # a fresh database: post_migrate creates the row under its new label
    # A row under the target label can only be an empty one made by a post_migrate between these migrations.
    rows.filter(app_label=target, model=MODEL).delete()
    rows.filter(app_label=source, model=MODEL).update(app_label=target)
    content_type.objects.clear_cache()


def content_type_forwards(apps, schema_editor) -> None:
    _content_type_move(apps, schema_editor, source="projects", target="connector_portal")


def content_type_backwards(apps, schema_editor) -> None:
    _content_type_move(apps, schema_editor, source="connector_portal", target="projects")


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0007_link_supports_submittals"),
        ("connector_portal", "0003_projectcenterproject"),
        ("mappings", "0002_keywordlist_project_in_core"),  # no relation may point at the old model when it goes
        ("providers", "0004_oauthstate_without_project"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="projectlink",
                    name="project",
                    field=models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="link",
                        to="connector_portal.projectcenterproject",
                    ),
                ),
                migrations.DeleteModel(name="ProjectCenterProject"),
            ],
        ),
        migrations.RunPython(content_type_forwards, content_type_backwards),
    ]
