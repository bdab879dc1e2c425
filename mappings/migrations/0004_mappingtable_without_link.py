"""The table no longer points at its link (projects 0010 copied every `link` into `ProjectLink.mapping_table`)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("mappings", "0003_mappingtable_is_default"),
        ("projects", "0010_projectlink_mapping_table_fill"),  # the copy runs before the column goes
    ]

    operations = [
        migrations.AlterModelOptions(
            name="mappingtable",
            options={"ordering": ["firm__name", "provider", "-is_default", "id"]},
        ),
        migrations.RemoveField(model_name="mappingtable", name="link"),
    ]
