""""4 working hours left" replaces the natural "4 hours left" warning (kept, inactive)."""

from decimal import Decimal

from django.db import migrations


def seed(apps, schema_editor):
    WatchThreshold = apps.get_model("notifications", "WatchThreshold")
    _, created = WatchThreshold.objects.get_or_create(
        code="4-working-hours-left", defaults={"kind": "warning", "working_hours_left": Decimal("4")}
    )
    if created:
        WatchThreshold.objects.filter(code="4-hours-left").update(active=False)


def unseed(apps, schema_editor):
    WatchThreshold = apps.get_model("notifications", "WatchThreshold")
    WatchThreshold.objects.filter(code="4-working-hours-left").delete()
    WatchThreshold.objects.filter(code="4-hours-left").update(active=True)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0003_working_hours_threshold")]

    operations = [migrations.RunPython(seed, unseed)]
