"""Seed the 10-minute refresh of the analytics rollups (ADR 0011), like the
notifications watcher's schedule."""

from django.db import migrations

REFRESH_FUNC = "griddesk.assessment.tasks.refresh_rollups"


def seed(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        func=REFRESH_FUNC,
        defaults={"name": "assessment-rollups", "schedule_type": "I", "minutes": 10, "repeats": -1},
    )


def unseed(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=REFRESH_FUNC).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0003_analytics_rollups"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
