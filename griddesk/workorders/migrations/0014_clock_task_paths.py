"""The order clock moved from ``griddesk.sla`` to ``griddesk.workorders``: a
django-q2 schedule that names one of its tasks by the old dotted path (none is
seeded; an administrator may have added one) is pointed at the new one.
(Tasks already queued under an old path still run: ``griddesk.sla.tasks``
keeps the old names.)"""

from django.db import migrations

MOVED = {
    "griddesk.sla.tasks.recompute_provisional_deadlines": "griddesk.workorders.tasks.recompute_provisional_deadlines",
    "griddesk.sla.tasks.recompute_after_rule_change": "griddesk.workorders.tasks.recompute_after_rule_change",
}


def forward(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for old, new in MOVED.items():
        Schedule.objects.filter(func=old).update(func=new)


def backward(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for old, new in MOVED.items():
        Schedule.objects.filter(func=new).update(func=old)


class Migration(migrations.Migration):
    dependencies = [
        ("workorders", "0013_work_order_comment"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(forward, backward)]
