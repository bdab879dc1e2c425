"""A keyword list's project is now the core's ProjectCenterProject: the same table, so only the state changes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mappings", "0001_initial"),
        ("connector_portal", "0003_projectcenterproject"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="keywordlist",
                    name="project",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="keyword_lists",
                        to="connector_portal.projectcenterproject",
                    ),
                ),
            ],
        ),
    ]
