"""The firm's Project Center projects move from `projects` to the tenancy core: a state-only move.

The table stays where it is (and keeps its rows and every foreign key to it) while the other apps' relations are
pointed at the new model (mappings 0002, projects 0008); 0004 then gives the table the core's name.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("connector_portal", "0002_cache_table"),
        ("projects", "0007_link_supports_submittals"),  # the table exists from projects 0001
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ProjectCenterProject",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        (
                            "pc_project_id",
                            models.CharField(
                                help_text="Project Center's own id for the project.",
                                max_length=100,
                                verbose_name="Project Center project id",
                            ),
                        ),
                        ("name", models.CharField(max_length=255)),
                        ("number", models.CharField(blank=True, max_length=100)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "firm",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="connector_portal.firm",
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["name"],
                        "db_table": "projects_projectcenterproject",
                        "constraints": [
                            models.UniqueConstraint(fields=("firm", "pc_project_id"), name="pcproject_unique_per_firm")
                        ],
                    },
                ),
            ],
        ),
    ]
