"""A minute from change to feed: links polled every 30 s by default (those on the old default of 120 s too), a second
sweep schedule half a minute out of step with the first (the sweep ticks every 30 s), feed entries marked with their
origin, and interrupted sync runs."""

import datetime as dt

from django.db import migrations, models
from django.utils import timezone

SECOND_SWEEP = "projects.sweep.half"


def forwards(apps, schema_editor):
    apps.get_model("projects", "ProjectLink").objects.filter(sync_interval=120).update(sync_interval=30)
    Schedule = apps.get_model("django_q", "Schedule")
    first = Schedule.objects.filter(name="projects.sweep").first()
    start = (first.next_run if first and first.next_run else timezone.now()) + dt.timedelta(seconds=30)
    Schedule.objects.update_or_create(
        name=SECOND_SWEEP,
        defaults={
            "func": "projects.tasks.sweep",
            "schedule_type": "I",
            "minutes": 1,
            "repeats": -1,
            "next_run": start,
        },
    )


def backwards(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SECOND_SWEEP).delete()
    apps.get_model("projects", "ProjectLink").objects.filter(sync_interval=30).update(sync_interval=120)


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0016_synceditem_content"),
        ("projects", "0004_sweep_schedule"),
    ]

    operations = [
        migrations.AddField(
            model_name="feedentry",
            name="origin",
            field=models.CharField(
                choices=[
                    ("provider", "A change made in the provider"),
                    ("portal_response", "The result of the portal's own response"),
                ],
                default="provider",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="projectlink",
            name="sync_interval",
            field=models.PositiveIntegerField(
                default=30,
                help_text="From the start of one poll to the start of the next; stretched only to stay within the budget.",
                verbose_name="sync interval (seconds)",
            ),
        ),
        migrations.AlterField(
            model_name="syncrun",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("running", "Running"),
                    ("succeeded", "Succeeded"),
                    ("rescheduled", "Rescheduled"),
                    ("failed", "Failed"),
                    ("interrupted", "Interrupted"),
                ],
                default="running",
                max_length=12,
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
