from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from griddesk.organisation.access import Actor
from griddesk.organisation.models import Department

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


def customers_for_intake(account_nos: Iterable[str]) -> dict[str, tuple[Customer, Department | None]]:
    """Customers by account number, each with its supply station loaded and
    that station's company (``department_company``), in one query — the
    intake's lookup (the ORM took one query for the customers and one per
    station for the companies)."""
    from django.db import connection

    from griddesk.common import rows
    from griddesk.organisation.models import COMPANY_TYPES
    from griddesk.organisation.selectors import company_of_sql

    accounts = list(dict.fromkeys(account_nos))
    if not accounts:
        return {}
    qn = connection.ops.quote_name
    kcols, kattrs = rows.columns(Customer, "k")
    scols, sattrs = rows.columns(Department, "s")
    ccols, cattrs = rows.columns(Department, "c")
    dept = qn(Department._meta.db_table)
    out: dict[str, tuple[Customer, Department | None]] = {}
    with rows.cursor() as cur:  # prepared: a lookup by the unique account number
        for start in range(0, len(accounts), 500):
            chunk = accounts[start:start + 500]
            cur.execute(
                f"SELECT {kcols}, {scols}, {ccols} FROM {qn(Customer._meta.db_table)} k "
                f"LEFT JOIN {dept} s ON s.id = k.station_id "
                f"LEFT JOIN {dept} c ON c.id = {company_of_sql('s.path')} "
                f"WHERE k.account_no IN ({', '.join(['%s'] * len(chunk))})",
                [*COMPANY_TYPES, *chunk],
            )
            nk, ns = len(kattrs), len(sattrs)
            for row in cur.fetchall():
                customer = rows.build(Customer, kattrs, row[:nk])
                station = rows.build(Department, sattrs, row[nk:nk + ns])
                company = rows.build(Department, cattrs, row[nk + ns:])
                customer.station = station  # the select_related cache
                out[customer.account_no] = (customer, company or station)
    return out
