"""Create the keep-alive's django-q2 schedule, by name, once (hourly, no catch-up): idle accounts are refreshed
before their refresh tokens expire unused (Autodesk: 15 days)."""

from django.db import migrations

NAME = "providers.keep_alive"


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=NAME,
        defaults={"func": "providers.tasks.keep_alive", "schedule_type": "H", "repeats": -1},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0005_provideraccount_tokens_issued_at"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
