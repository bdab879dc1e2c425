"""A link holds its mapping table: the relation points down the layers (projects → mappings), not up.

Each table's `link` is copied into the link's new `mapping_table` by 0010 (a migration of its own: PostgreSQL will
not alter a table with pending foreign key checks in the same transaction); mappings 0004 then drops `link`. The
reverse name stays hidden ("+") until that column is gone, and becomes `link` in 0011.
"""

import django.db.models.deletion
from django.db import migrations, models


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
    ]
