"""With mappings' own `link` column gone (mappings 0004), a table reaches its link by the reverse name `link`."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0010_projectlink_mapping_table_fill"),
        ("mappings", "0004_mappingtable_without_link"),
    ]

    operations = [
        migrations.AlterField(
            model_name="projectlink",
            name="mapping_table",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="link",
                to="mappings.mappingtable",
            ),
        ),
    ]
