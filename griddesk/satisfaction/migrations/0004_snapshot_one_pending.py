"""At most one queued index computation per questionnaire, period and segment.
Duplicates queued before (the same request repeated) are marked failed first;
the newest pending one of each group stays (its task still runs)."""

from django.db import migrations, models


def fail_duplicates(apps, schema_editor):
    IndexSnapshot = apps.get_model("satisfaction", "IndexSnapshot")
    keep: set[tuple[int, str, str]] = set()
    duplicates = []
    for pk, q, period, segment in (
        IndexSnapshot.objects.filter(state="pending").order_by("-created_at", "-pk")
        .values_list("pk", "questionnaire_id", "period", "segment")
    ):
        if (q, period, segment) in keep:
            duplicates.append(pk)
        else:
            keep.add((q, period, segment))
    for i in range(0, len(duplicates), 500):
        IndexSnapshot.objects.filter(pk__in=duplicates[i : i + 500]).update(
            state="failed", message="superseded: the same computation was queued again"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("satisfaction", "0003_ahp_weighting"),
    ]

    operations = [
        migrations.RunPython(fail_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="indexsnapshot",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", "pending")), fields=("questionnaire", "period", "segment"),
                name="snapshot_one_pending",
            ),
        ),
    ]
