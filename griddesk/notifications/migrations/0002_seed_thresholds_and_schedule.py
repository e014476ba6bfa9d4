"""Seed the two default warning thresholds and the 5-minute watcher schedule."""

from decimal import Decimal

from django.db import migrations

WATCH_FUNC = "griddesk.notifications.tasks.watch_deadlines"


def seed(apps, schema_editor):
    WatchThreshold = apps.get_model("notifications", "WatchThreshold")
    WatchThreshold.objects.get_or_create(code="half-used", defaults={"kind": "warning", "fraction_used": Decimal("0.5")})
    WatchThreshold.objects.get_or_create(code="4-hours-left", defaults={"kind": "warning", "hours_left": Decimal("4")})
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        func=WATCH_FUNC,
        defaults={"name": "watch-deadlines", "schedule_type": "I", "minutes": 5, "repeats": -1},
    )


def unseed(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=WATCH_FUNC).delete()
    apps.get_model("notifications", "WatchThreshold").objects.filter(code__in=["half-used", "4-hours-left"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
