"""Seed the 15-minute re-evaluation of bursts (and the catch-up of work-order
results), like the feed poller's schedule in 0002."""

from django.db import migrations

BURST_FUNC = "griddesk.opinion.tasks.reevaluate"


def seed(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        func=BURST_FUNC, defaults={"name": "opinion-bursts-and-results", "schedule_type": "I", "minutes": 15, "repeats": -1}
    )


def unseed(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=BURST_FUNC).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("opinion", "0003_feed_validators_backoff_rescore"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
