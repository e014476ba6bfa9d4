from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from griddesk.common import request_context

from .models import Customer, CustomerChange, PiiAccess


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
def customer_save(*, instance: Customer, changed: Iterable[str], user: Any = None) -> Customer:
    """Save an edited customer (the admin form). When its station or category
    changes, the local days of all its orders are marked for the rollups'
    refresh in the same transaction, so the scorecards by station and by
    customer category follow the live figures (griddesk.assessment.rollups).
    A changed phone goes into the customer's history (``CustomerChange``)."""
    changed = list(changed)
    if instance.pk is not None and "phone" in changed:
        old = Customer.objects.select_for_update().filter(pk=instance.pk).values_list("phone", flat=True).first()
        if old is not None and old != instance.phone:
            CustomerChange.objects.create(
                customer=instance, field=CustomerChange.Field.PHONE, old_value=old, new_value=instance.phone,
                user=user if getattr(user, "pk", None) else None,
            )
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


@transaction.atomic
def customer_update_phone(*, actor: Any, customer: Customer | int, phone: str, order_number: str = "") -> CustomerChange | None:
    """Make ``phone`` the customer's phone (the caller's new number, offered
    at intake and accepted by the agent): the customer row locked, the change
    appended to its history (who, when, old → new, via which order) and its
    orders' search entries refreshed, all in one transaction. The same number
    again changes nothing (None). Only the intake roles may do it, and only
    for a customer they may see (``selectors.customer_visible_get``)."""
    from griddesk.common.errors import Forbidden, InvalidInput, NotFound
    from griddesk.engines.workflow import INTAKE_ROLES
    from griddesk.workorders.models import WorkOrder
    from griddesk.workorders.search import search_index_refresh

    from .selectors import PHONE_RE, customer_visible_get

    if actor.role not in INTAKE_ROLES:
        raise Forbidden(_("Your role may not change a customer's phone."), code="phone_update_forbidden")
    phone = (phone or "").strip()
    if not PHONE_RE.fullmatch(phone):
        raise InvalidInput(_("Not a valid phone number."), code="invalid_phone", field="phone")
    pk = customer.pk if isinstance(customer, Customer) else customer
    locked = Customer.objects.select_for_update(of=("self",)).select_related("station").filter(pk=pk).first()
    if locked is None or customer_visible_get(actor, locked.account_no) is None:
        raise NotFound(_("The customer was not found."), code="not_found", field="customer")
    if locked.phone == phone:
        return None
    change = CustomerChange.objects.create(
        customer=locked, field=CustomerChange.Field.PHONE, old_value=locked.phone, new_value=phone,
        user=actor.user if getattr(actor.user, "pk", None) else None, order_number=order_number,
    )
    Customer.objects.filter(pk=pk).update(phone=phone)
    search_index_refresh(order_ids=WorkOrder.objects.filter(customer_id=pk).values_list("pk", flat=True))
    if isinstance(customer, Customer):
        customer.phone = phone
    return change
