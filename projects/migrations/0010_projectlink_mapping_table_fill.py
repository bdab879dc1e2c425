"""Each mapping table's `link` is copied into its link's `mapping_table` (and back, when reversed)."""

from django.db import migrations


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
    dependencies = [("projects", "0009_projectlink_mapping_table")]

    operations = [migrations.RunPython(tables_attach, tables_detach)]
