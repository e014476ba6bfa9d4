from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.utils import timezone

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
    with connection.cursor() as cur:
        for start in range(0, len(rows), 100):  # 600 parameters: within SQLite's limit
            chunk = rows[start:start + 100]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
            cur.execute(
                f"INSERT INTO {table} (user_id, customer_id, order_number, fields, via, at) VALUES {values}",
                [v for row in chunk for v in row],
            )
