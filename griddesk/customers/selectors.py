from __future__ import annotations

from django.db.models import QuerySet

from griddesk.organisation.access import Actor

from .models import Customer


def customer_get(account_no: str) -> Customer | None:
    return Customer.objects.select_related("station").filter(account_no=account_no).first()


def customer_orders(actor: Actor, customer: Customer) -> QuerySet:  # type: ignore[type-arg]
    """The customer's contact history, limited to the orders the actor may see."""
    from griddesk.workorders.selectors import work_orders_visible_to

    return (
        work_orders_visible_to(actor)
        .filter(customer=customer)
        .select_related("category")
        .order_by("-received_at")
    )
