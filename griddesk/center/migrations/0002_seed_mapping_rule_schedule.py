"""The documented field mapping, the reply's default time limit, and the
5-minute watch that warns about unacknowledged replies."""

from django.db import migrations

from griddesk.center.defaults import seed, unseed


class Migration(migrations.Migration):
    dependencies = [
        ("center", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
