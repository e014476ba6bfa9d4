from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from griddesk.engines.workflow import CONFIDENTIAL_PII_ROLES, PII_ROLES, Role
from griddesk.organisation.access import Actor
from griddesk.organisation.models import Department

from .models import Customer


def customer_get(account_no: str) -> Customer | None:
    return Customer.objects.select_related("station").filter(account_no=account_no).first()


#: Roles that may look a customer up by account number within their company
#: (the intake side answers any caller; managers and leaders oversee the whole
#: company). Every other role sees a customer only through an order it may see.
LOOKUP_ROLES = frozenset({Role.AGENT_95598, Role.SERVICE_SPECIALIST, Role.MANAGER, Role.LEADER})


def customer_visible_get(actor: Actor, account_no: str) -> tuple[Customer, list[Any]] | None:
    """The customer as ``actor`` may see them, with the orders of theirs the
    actor may see (newest first, at most 200), or None — the same None whether
    the account does not exist or is not the actor's to see, so sequential
    account numbers reveal nothing.

    Visible: to administrators; to ``LOOKUP_ROLES`` when the customer's supply
    station lies in the actor's company subtree; to anyone through an order
    they may see. Anonymous (confidential) orders count only for the roles
    that see confidential orders' identity (``CONFIDENTIAL_PII_ROLES``): a
    handler does not learn who filed a confidential complaint by looking the
    account up."""
    if actor.role is None:
        return None
    customer = customer_get(account_no)
    if customer is None:
        return None
    orders_qs = customer_orders(actor, customer)
    if actor.role not in CONFIDENTIAL_PII_ROLES:
        orders_qs = orders_qs.filter(anonymous=False)
    orders = list(orders_qs[:200])
    if orders or actor.is_admin or _in_scope(actor, customer):
        return customer, orders
    return None


def _in_scope(actor: Actor, customer: Customer) -> bool:
    if actor.role not in LOOKUP_ROLES or actor.company is None or customer.station is None:
        return False
    return bool(customer.station.path.startswith(actor.company.path))


def customer_unmasked(actor: Actor) -> bool:
    """Whether the customer view shows phone, address and ID number in full."""
    return actor.role in PII_ROLES


def customer_orders(actor: Actor, customer: Customer) -> QuerySet:  # type: ignore[type-arg]
    """The customer's contact history, limited to the orders the actor may see."""
    from griddesk.workorders.selectors import work_orders_visible_to

    return (
        work_orders_visible_to(actor)
        .filter(customer=customer)
        .select_related("category")
        .order_by("-received_at")
    )


def pii_accesses_of(account_no: str) -> QuerySet:  # type: ignore[type-arg]
    """Every logged view that showed this customer's personal data unmasked."""
    from .models import PiiAccess

    return PiiAccess.objects.filter(accounts__contains=f" {account_no} ").select_related("user").order_by("-at")


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
