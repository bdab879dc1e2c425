"""The moved Project Center projects' table takes the core's name, once nothing in the state points at the old model.

A rename keeps the rows and the foreign keys to them (PostgreSQL refers to tables by oid; SQLite 3.26+ rewrites the
references of other tables).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("connector_portal", "0003_projectcenterproject"),
        ("projects", "0008_projectcenterproject_to_core"),
    ]

    operations = [
        migrations.AlterModelTable(name="projectcenterproject", table=None),
    ]
