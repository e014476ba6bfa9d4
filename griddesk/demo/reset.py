"""Wipe all work orders and everything that hangs off them (``demo --reset``)."""

from __future__ import annotations

from django.db import connection, models, transaction

from griddesk.workorders.models import WorkOrder


def _dependents(model: type[models.Model], seen: set[type[models.Model]]) -> list[type[models.Model]]:
    """Models with a foreign key to ``model`` (recursively), children first."""
    out: list[type[models.Model]] = []
    for rel in model._meta.related_objects:
        child = rel.related_model
        if child in seen or child is model or rel.many_to_many:
            continue
        seen.add(child)
        out += _dependents(child, seen)
        out.append(child)
    return out


@transaction.atomic
def wipe_work_orders() -> int:
    """Delete every work order with its events, assignments, tasks, reports, …

    Order numbers are *not* reset: numbers already handed out (and perhaps
    quoted in audit rows) are never reused.
    """
    count = WorkOrder.objects.count()
    models_: list[type[models.Model]] = [*_dependents(WorkOrder, {WorkOrder}), WorkOrder]
    q = connection.ops.quote_name
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # Foreign keys are deferred; TRUNCATE refuses to run while checks
            # queued earlier in this transaction are pending, so fire them now.
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute(f"TRUNCATE {', '.join(q(m._meta.db_table) for m in models_)} CASCADE")
        else:
            for m in models_:
                cur.execute(f"DELETE FROM {q(m._meta.db_table)}")
        if connection.vendor == "postgresql":
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
    return count
