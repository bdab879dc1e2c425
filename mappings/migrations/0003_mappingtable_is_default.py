"""A firm's default table says so itself (`is_default`) instead of by having no link: links will hold their tables.

The "one default per firm and provider" constraint moves to the new column here, while every table still has its
`link`, so that reversing this migration after projects 0010 has put the links back finds the old constraint true.
"""

from django.db import migrations, models


def defaults_mark(apps, schema_editor) -> None:
    table = apps.get_model("mappings", "MappingTable")
    table.objects.using(schema_editor.connection.alias).filter(link__isnull=True).update(is_default=True)


class Migration(migrations.Migration):
    dependencies = [("mappings", "0002_keywordlist_project_in_core")]

    operations = [
        migrations.AddField(
            model_name="mappingtable",
            name="is_default",
            field=models.BooleanField(default=False, verbose_name="firm default"),
        ),
        migrations.RunPython(defaults_mark, migrations.RunPython.noop),  # backwards, the column goes
        migrations.RemoveConstraint(model_name="mappingtable", name="mappingtable_one_default_per_firm_provider"),
        migrations.AddConstraint(
            model_name="mappingtable",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_default", True)),
                fields=("firm", "provider"),
                name="mappingtable_one_default_per_firm_provider",
            ),
        ),
    ]
