"""A link holds its mapping table: the relation points down the layers (projects → mappings), not up.

Each table's `link` is copied into the link's new `mapping_table`; mappings 0004 then drops `link`. The reverse
name stays hidden ("+") until that column is gone, and becomes `link` in 0010.
"""

import django.db.models.deletion
from django.db import migrations, models


def tables_attach(apps, schema_editor) -> None:
    db = schema_editor.connection.alias
    link_model = apps.get_model("projects", "ProjectLink")
    table_model = apps.get_model("mappings", "MappingTable")
    for table_id, link_id in table_model.objects.using(db).filter(link__isnull=False).values_list("id", "link_id"):
        link_model.objects.using(db).filter(pk=link_id).update(mapping_table_id=table_id)


def tables_detach(apps, schema_editor) -> None:
    db = schema_editor.connection.alias
    link_model = apps.get_model("projects", "ProjectLink")
    table_model = apps.get_model("mappings", "MappingTable")
    for link_id, table_id in link_model.objects.using(db).filter(mapping_table__isnull=False).values_list(
        "id", "mapping_table_id"
    ):
        table_model.objects.using(db).filter(pk=table_id).update(link_id=link_id)


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0008_projectcenterproject_to_core"),
        ("mappings", "0003_mappingtable_is_default"),
    ]

    operations = [
        migrations.AddField(
            model_name="projectlink",
            name="mapping_table",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="mappings.mappingtable",
            ),
        ),
        migrations.RunPython(tables_attach, tables_detach),
    ]
