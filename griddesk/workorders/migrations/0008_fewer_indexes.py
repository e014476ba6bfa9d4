"""Fewer indexes on ``workorders_workorder`` (ADR 0015).

Every non-HOT update of an order (each state change, each moved deadline) and
every intake inserts one entry into *every* index of the table, so each index
that no query needs is paid for on every write. This migration:

- drops the ``created_by_id`` FK index (nothing reads orders by creating user);
- replaces the ``repeat_of_id`` / ``merged_into_id`` FK indexes with partial
  ones (``WHERE … IS NOT NULL``): nearly every order has neither, the reverse
  look-ups (an order's repeats, the orders merged into it) still use an index;
- on PostgreSQL only: drops the ``varchar_pattern_ops`` twins of the unique
  ``number`` / ``external_id`` indexes (no query does a prefix LIKE on them;
  equality uses the unique index) and ``wo_received``, which
  ``wo_received_cover`` (0006, same key plus INCLUDE columns) supersedes.

PostgreSQL builds and drops CONCURRENTLY (not atomic): on a table of millions of
orders a plain CREATE INDEX blocks every write for the length of a table scan.
The model state changes through ``state_operations``; the database through raw,
idempotent SQL on both back-ends.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "workorders_workorder"
FK_COLUMNS = ("created_by_id", "repeat_of_id", "merged_into_id")
PARTIAL = {"wo_repeat_of": "repeat_of_id", "wo_merged_into": "merged_into_id"}


def _names(schema_editor):
    fk = [schema_editor._create_index_name(TABLE, [c], suffix="") for c in FK_COLUMNS]
    like = [schema_editor._create_index_name(TABLE, [c], suffix="_like") for c in ("number", "external_id")]
    return fk, like


def forwards(apps, schema_editor):
    pg = schema_editor.connection.vendor == "postgresql"
    conc = "CONCURRENTLY " if pg else ""
    fk, like = _names(schema_editor)
    for name, column in PARTIAL.items():
        schema_editor.execute(
            f"CREATE INDEX {conc}IF NOT EXISTS {name} ON {TABLE} ({column}) WHERE {column} IS NOT NULL"
        )
    drops = fk + (like + ["wo_received"] if pg else [])
    for name in drops:
        schema_editor.execute(f"DROP INDEX {conc}IF EXISTS {schema_editor.quote_name(name)}")


def backwards(apps, schema_editor):
    pg = schema_editor.connection.vendor == "postgresql"
    conc = "CONCURRENTLY " if pg else ""
    fk, like = _names(schema_editor)
    for name, column in zip(fk, FK_COLUMNS):
        schema_editor.execute(f"CREATE INDEX {conc}IF NOT EXISTS {schema_editor.quote_name(name)} ON {TABLE} ({column})")
    if pg:
        for name, column in zip(like, ("number", "external_id")):
            schema_editor.execute(f"CREATE INDEX {conc}IF NOT EXISTS {name} ON {TABLE} ({column} varchar_pattern_ops)")
        schema_editor.execute(f"CREATE INDEX {conc}IF NOT EXISTS wo_received ON {TABLE} (received_at)")
    for name in PARTIAL:
        schema_editor.execute(f"DROP INDEX {conc}IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("customers", "0001_initial"),
        ("organisation", "0001_initial"),
        ("workorders", "0007_stage_extension"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="workorder",
                    name="created_by",
                    field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name="workorder",
                    name="merged_into",
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="merged", to="workorders.workorder", verbose_name="merged into"),
                ),
                migrations.AlterField(
                    model_name="workorder",
                    name="repeat_of",
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="repeats", to="workorders.workorder", verbose_name="repeat of"),
                ),
                migrations.AddIndex(
                    model_name="workorder",
                    index=models.Index(condition=models.Q(("repeat_of__isnull", False)), fields=["repeat_of"], name="wo_repeat_of"),
                ),
                migrations.AddIndex(
                    model_name="workorder",
                    index=models.Index(condition=models.Q(("merged_into__isnull", False)), fields=["merged_into"], name="wo_merged_into"),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards, elidable=False)],
        ),
    ]
