"""The sweeper: every minute, re-queue webhook deliveries whose task was lost."""

from django.db import migrations

SWEEP_FUNC = "griddesk.webhooks.tasks.sweep"


def seed(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        func=SWEEP_FUNC,
        defaults={"name": "webhook-sweeper", "schedule_type": "I", "minutes": 1, "repeats": -1},
    )


def unseed(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=SWEEP_FUNC).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
