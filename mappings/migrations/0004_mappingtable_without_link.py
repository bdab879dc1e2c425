"""The table no longer points at its link (projects 0009 copied every `link` into `ProjectLink.mapping_table`)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("mappings", "0003_mappingtable_is_default"),
        ("projects", "0009_projectlink_mapping_table"),  # the copy runs before the column goes
    ]

    operations = [
        migrations.AlterModelOptions(
            name="mappingtable",
            options={"ordering": ["firm__name", "provider", "-is_default", "id"]},
        ),
        migrations.RemoveField(model_name="mappingtable", name="link"),
    ]
