from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from griddesk.common.rows import cursor

from .models import Customer, PiiAccess


def pii_access_log(*, user: Any, entries: Iterable[tuple[Customer, str]], via: str, fields: str = "name,phone,address") -> None:
    """Record that ``user`` was shown these customers' personal data unmasked:
    one row per customer shown (the log answers "who saw this customer's data").

    Multi-row INSERTs of raw values (one statement per 100 rows), not
    ``bulk_create``: a 50-order list page logged 50 model instances through the
    ORM's per-field preparation on every request."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())  # what the ORM would store
    rows = [(user.pk, c.pk, n, fields, via, now) for c, n in entries]
    table = connection.ops.quote_name(PiiAccess._meta.db_table)
    with cursor() as cur:  # prepared (PostgreSQL): INSERTs
        for start in range(0, len(rows), 100):  # 600 parameters: within SQLite's limit
            chunk = rows[start:start + 100]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
            cur.execute(
                f"INSERT INTO {table} (user_id, customer_id, order_number, fields, via, at) VALUES {values}",
                [v for row in chunk for v in row],
            )


#: Customer fields the assessment rollups group by (station → station level,
#: category → customer-category level): changing one moves the customer's past
#: orders between units.
ROLLUP_FIELDS = ("station", "category")


@transaction.atomic
def customer_save(*, instance: Customer, changed: Iterable[str]) -> Customer:
    """Save an edited customer (the admin form). When its station or category
    changes, the local days of all its orders are marked for the rollups'
    refresh in the same transaction, so the scorecards by station and by
    customer category follow the live figures (griddesk.assessment.rollups)."""
    if instance.pk is not None and set(changed) & set(ROLLUP_FIELDS):
        from griddesk.assessment.rollups import local_day, rollup_days_mark
        from griddesk.workorders.models import WorkOrder

        received = WorkOrder.objects.filter(customer_id=instance.pk).values_list("received_at", flat=True)
        rollup_days_mark(days={local_day(r) for r in received})
    instance.save()
    return instance
