from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from griddesk.common import request_context

from .models import Customer, PiiAccess


def pii_access_log(
    *, user: Any, entries: Iterable[tuple[Customer, str]], via: str, fields: str = "name,phone,address",
    always: bool = False,
) -> PiiAccess | None:
    """Record that ``user`` was shown these (customer, order number) pairs'
    personal data unmasked: ONE row for the whole view (a list page of 50
    orders is one row naming its 50 orders and their customers), with the
    request's path and the client's address. Call it inside the transaction
    that read the data (the views wrap their read in one), so the log and the
    view commit or fail together. Nothing shown → nothing written, unless
    ``always`` (a personal-data search is logged even when it finds nothing)."""
    shown = list(entries)
    if not shown and not always:
        return None
    customers = list({c.pk: c for c, _n in shown}.values())
    numbers = list(dict.fromkeys(n for _c, n in shown if n))
    meta = request_context.current()
    return PiiAccess.objects.create(
        user=user,
        customer=customers[0] if len(customers) == 1 else None,
        order_number=numbers[0] if len(numbers) == 1 else "",
        accounts=_spaced(c.account_no for c in customers),
        orders=_spaced(numbers),
        count=len(customers),
        fields=fields,
        via=via,
        path=meta.path if meta else "",
        ip=meta.ip if meta else None,
    )


def _spaced(values: Iterable[str]) -> str:
    joined = " ".join(values)
    return f" {joined} " if joined else ""


#: Customer fields the assessment rollups group by (station → station level,
#: category → customer-category level): changing one moves the customer's past
#: orders between units.
ROLLUP_FIELDS = ("station", "category")
#: Customer fields its orders are found by (griddesk.workorders.search).
SEARCH_FIELDS = ("name", "phone", "address", "account_no")


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
    if instance.pk is not None and set(changed) & set(SEARCH_FIELDS):
        from griddesk.workorders.models import WorkOrder
        from griddesk.workorders.search import search_index_refresh

        search_index_refresh(order_ids=WorkOrder.objects.filter(customer_id=instance.pk).values_list("pk", flat=True))
    return instance
