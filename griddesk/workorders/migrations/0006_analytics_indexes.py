"""Covering index for the assessment rollups' day recomputation (ADR 0011):
``(received_at) INCLUDE (type, state, company_id, category_id, customer_id)``,
so the received counts of a day are an index(-only) range scan on PostgreSQL.

PostgreSQL only, built CONCURRENTLY (the migration is not atomic): on a 10M-row
table a plain CREATE INDEX blocks every write to work orders for minutes. Raw
SQL, not AddIndex: the model state (WorkOrder.Meta, owned by the work-order
app) stays unchanged and SQLite, which has no INCLUDE, keeps using
``wo_received``. Idempotent (IF NOT EXISTS)."""

from django.db import migrations

NAME = "wo_received_cover"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NAME} ON workorders_workorder "
        "(received_at) INCLUDE (type, state, company_id, category_id, customer_id)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("workorders", "0005_stage_deadlines")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
