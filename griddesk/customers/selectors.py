from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet

from griddesk.engines.workflow import CONFIDENTIAL_PII_ROLES, PII_ROLES, TERMINAL_STATES, Role, State
from griddesk.organisation.access import Actor
from griddesk.organisation.models import Department

from . import masking
from .models import Customer, CustomerChange


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


def customer_orders(actor: Actor, customer: Customer) -> QuerySet:
    """The customer's contact history, limited to the orders the actor may see."""
    from griddesk.workorders.selectors import work_orders_visible_to

    return (
        work_orders_visible_to(actor)
        .filter(customer=customer)
        .select_related("category__parent")
        .order_by("-received_at")
    )


def pii_accesses_of(account_no: str) -> QuerySet:
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


# ------------------------------------------------------------------ the intake's customer card

#: A phone as the intake takes it (``CustomerInSerializer``), non-empty.
PHONE_RE = re.compile(r"[0-9+\-() ]{1,20}")
#: Digits a phone must have before the card looks it up (shorter input is
#: still being typed; a tail search is the queue's business).
PHONE_LOOKUP_MIN_DIGITS = 7
#: Customers a phone lookup lists at most (a short choice list).
PHONE_CHOICES = 8
#: Orders the card lists.
CARD_ORDERS = 5


def phone_digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


def phone_lookup_allowed(actor: Actor) -> bool:
    """Looking a customer up by phone is a personal-data search."""
    return actor.role in PII_ROLES


def customers_by_phone(actor: Actor, phone: str) -> list[Customer]:
    """The customers ``actor`` may see (the rules of ``customer_visible_get``)
    whose record has this phone or who called from it (an order's contact
    phone, found through the search index), at most ``PHONE_CHOICES``, by
    account number. The caller checks ``phone_lookup_allowed`` and logs."""
    from griddesk.workorders import search
    from griddesk.workorders.models import WorkOrder
    from griddesk.workorders.selectors import work_orders_visible_to

    phone = phone.strip()
    if actor.role is None or not phone:
        return []
    ids = set(Customer.objects.filter(phone=phone).values_list("pk", flat=True)[:200])
    plan = search.search_plan(actor, phone)
    called = search.search_filter(WorkOrder.objects.filter(customer__isnull=False), plan).filter(contact_phone=phone)
    ids |= set(called.values_list("customer_id", flat=True)[:200])
    if not ids:
        return []
    visible_orders = work_orders_visible_to(actor).filter(customer_id__in=ids)
    if actor.role not in CONFIDENTIAL_PII_ROLES:
        visible_orders = visible_orders.filter(anonymous=False)
    through_orders = set(visible_orders.values_list("customer_id", flat=True).distinct())
    found = [
        c for c in Customer.objects.select_related("station").filter(pk__in=ids).order_by("account_no")
        if actor.is_admin or c.pk in through_orders or _in_scope(actor, c)
    ]
    return found[:PHONE_CHOICES]


def repeat_window_days() -> int:
    """The repeat-complaint window: the assessment's rule (same customer and
    category inside ``repeat_window_days``, versioned and audited in
    ``assessment.ScoringRuleSet``), default 30 days."""
    from griddesk.assessment.models import ScoringRuleSet
    from griddesk.engines import scoring

    rules = ScoringRuleSet.objects.order_by("-version").values_list("rules", flat=True).first()
    try:
        return scoring.rules_from_dict(rules).repeat_window_days if rules else scoring.ScoringRules().repeat_window_days
    except scoring.RulesError:
        return int(scoring.DEFAULT_RULES["repeat_window_days"])


@dataclass
class CardOrder:
    number: str
    received_at: Any
    category: Any  # the Category (the template's category_label filter names it)
    state: str
    visit_outcome: str = ""
    open: bool = False
    repeat: bool = False


@dataclass
class CardChange:
    field: str
    old: str
    new: str
    user: str
    at: Any
    order_number: str


@dataclass
class CustomerCard:
    customer: Customer
    name: str
    phone: str
    masked: bool
    category: str
    station: str
    sensitive: bool
    open_count: int
    orders: list[CardOrder]
    repeat: list[CardOrder]
    repeat_window_days: int
    changes: list[CardChange] = field(default_factory=list)


def _full_name(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def customer_card(actor: Actor, customer: Customer, orders: list[Any], *, category: str | None = None) -> CustomerCard:
    """What the intake form shows about a caller: the customer (masked unless
    ``customer_unmasked``), their open orders, the last ``CARD_ORDERS`` orders
    with their state or return-visit outcome in words, the orders that make a
    new complaint in ``category`` a repeat (open, or received inside the
    repeat window), and the latest changes to the record. ``orders`` are the
    ones ``customer_visible_get`` gave (visible to the actor, newest first)."""
    from django.utils import timezone

    from griddesk.workorders.models import ReturnVisit

    unmasked = customer_unmasked(actor)
    window = repeat_window_days()
    since = timezone.now() - timedelta(days=window)
    shown = orders[:CARD_ORDERS]
    outcomes: dict[int, str] = {}
    for order_id, outcome in (
        ReturnVisit.objects.filter(order_id__in=[o.pk for o in shown]).order_by("visited_at", "pk")
        .values_list("order_id", "outcome")
    ):
        outcomes[order_id] = str(ReturnVisit.Outcome(outcome).label)  # the latest visit wins

    def card_order(o: Any) -> CardOrder:
        is_open = o.state not in TERMINAL_STATES
        return CardOrder(
            number=o.number, received_at=o.received_at, category=o.category,
            state=o.get_state_display(), visit_outcome=outcomes.get(o.pk, ""), open=is_open,
            repeat=bool(category and o.category and o.category.code == category and (is_open or o.received_at >= since)),
        )

    open_orders = [o for o in orders if o.state not in TERMINAL_STATES]
    repeats = [o for o in orders if category and o.category and o.category.code == category
               and (o.state not in TERMINAL_STATES or o.received_at >= since)
               and o.state not in (State.INVALID, State.MERGED)]
    changes = [
        CardChange(
            field=ch.get_field_display(),
            old=ch.old_value if unmasked else masking.mask_phone(ch.old_value),
            new=ch.new_value if unmasked else masking.mask_phone(ch.new_value),
            user=_full_name(ch.user), at=ch.at, order_number=ch.order_number,
        )
        for ch in CustomerChange.objects.filter(customer=customer).select_related("user").order_by("-at", "-pk")[:3]
    ]
    return CustomerCard(
        customer=customer,
        name=customer.name if unmasked else masking.mask_name(customer.name),
        phone=customer.phone if unmasked else masking.mask_phone(customer.phone),
        masked=not unmasked,
        category=customer.get_category_display(),
        station=customer.station.name if customer.station else "",
        sensitive=customer.sensitive,
        open_count=len(open_orders),
        orders=[card_order(o) for o in shown],
        repeat=[card_order(o) for o in repeats[:CARD_ORDERS]],
        repeat_window_days=window,
        changes=changes,
    )

