"""Writes to work orders. Every state change goes through ``_transition``.

The pattern (after Saleor's order actions): lock the row, check the transition
table and the actor's rights, write the append-only event, save the changed
fields with a compare-and-swap on ``version``, and publish the event as a
domain event (``domain_events``): the apps built on the core (notices, the
public-opinion story, later webhooks) subscribe to it from their
``AppConfig.ready()`` — this module imports none of them — and their side
effects run on commit, so nothing is sent for a change that rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from griddesk.common import rows
from griddesk.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from griddesk.common.validation import _CONTROL, date_out_of_range_message, in_date_range
from griddesk.customers.models import Customer
from griddesk.customers.selectors import customers_for_intake
from griddesk.engines import grading, routing, workflow
from griddesk.engines.workflow import Action, State
from griddesk.organisation.access import Actor
from griddesk.organisation.models import COMPANY_TYPES, Department, DepartmentType
from griddesk.organisation.selectors import department_company

from . import clock, history, rules, search, selectors
from .actions import ActionChoice
from .models import (
    ESCALATED_CHANNELS,
    Assessment,
    Category,
    LeadAssignment,
    NumberSequence,
    OrderType,
    Report,
    ReturnVisit,
    StationTask,
    WorkOrder,
    WorkOrderComment,
    WorkOrderEvent,
)

log = logging.getLogger(__name__)

#: Window in which an earlier order of the same customer and category makes a
#: new one a repeat complaint.
REPEAT_WINDOW = timedelta(days=90)

_TYPE_PREFIX = {
    OrderType.COMPLAINT: "TS",
    OrderType.REPORT: "JB",
    OrderType.OPINION: "YJ",
    OrderType.SUGGESTION: "JY",
    OrderType.PRAISE: "BY",
    OrderType.INQUIRY: "ZX",
    OrderType.FAULT_REPAIR: "GZ",
    OrderType.SERVICE_REQUEST: "FW",
    OrderType.PUBLIC_OPINION: "YQ",
}


# ------------------------------------------------------------------ numbering


def _number_day(received_at: datetime) -> str:
    """The day part of an order number, ``YYYYMMDD`` in business time. Always
    eight digits: ``strftime("%Y")`` writes the year 72 as "72" (TS720921000001).
    The API refuses such dates already (``date_out_of_range``); this keeps any
    other caller from minting a malformed number."""
    d = timezone.localdate(received_at)
    if not in_date_range(d):
        raise InvalidInput(date_out_of_range_message(), code="date_out_of_range", field="received_at")
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def _allocate_numbers(order_type: str, day: str, count: int, *, async_commit: bool = False) -> list[str]:
    """Reserve ``count`` consecutive numbers like ``TS20261128000123``.

    One upsert per call (PostgreSQL and SQLite ≥ 3.35 both speak
    ``INSERT … ON CONFLICT … RETURNING``). Inside a transaction the counter row
    stays locked until that transaction ends, so a rolled-back intake does not
    burn a number. ``async_commit`` (PostgreSQL, autocommit only): the
    statement is its own transaction and commits without waiting for its WAL
    flush — ``set_config(…, true)`` in a CTE is local to that one-statement
    transaction, so the session keeps ``synchronous_commit = on``.
    """
    prefix = _TYPE_PREFIX.get(OrderType(order_type), "GD")
    key = f"{prefix}{day}"
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    if async_commit:
        sql = (
            f"WITH cfg AS (SELECT set_config('synchronous_commit', 'off', true) AS v) "
            f"INSERT INTO {table} (key, last) SELECT %s, %s FROM cfg "
        )
    else:
        sql = f"INSERT INTO {table} (key, last) VALUES (%s, %s) "
    with rows.cursor() as cur:  # prepared: an upsert by key
        cur.execute(
            sql + f"ON CONFLICT (key) DO UPDATE SET last = {table}.last + excluded.last RETURNING last", [key, count]
        )
        (last,) = cur.fetchone()
    first = last - count + 1
    return [f"{key}{n:06d}" for n in range(first, first + count)]


def _reserve_numbers(order_type: str, day: str, count: int) -> list[str] | None:
    """Reserve numbers *before* the intake's own transaction, or None.

    Every intake of one type and day increments the same counter row. Inside
    the intake's transaction that row stays locked until COMMIT — past the
    order's INSERTs and the WAL flush — so concurrent intakes queued on it
    (≈ 40 intakes/s whatever the cores: benchmarks/RESULTS.md, "Intake, round 4").
    On PostgreSQL, outside any caller's transaction, the counter is advanced by
    one statement that is its own transaction, committed without waiting for
    its WAL flush (the lock is held for microseconds). That is safe: an order
    that uses the number commits later with a synchronous flush, and WAL is
    flushed in order, so the counter's increment is durable before any order
    with the number is; a crash can at worst lose an increment whose number no
    committed order has. The price is a gap when the intake then fails (ADR
    0004). Inside a caller's transaction (tests, the bulk fallback) and on
    SQLite (one writer at a time anyway) the number is taken inside the
    transaction as before: returns None.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block or not connection.get_autocommit():
        return None  # (without autocommit the statement would not be a transaction of its own)
    return _allocate_numbers(order_type, day, count, async_commit=True)


# ------------------------------------------------------------------ intake


@dataclass
class CustomerData:
    account_no: str
    name: str = ""
    phone: str = ""
    address: str = ""
    category: str = "residential"


@dataclass
class IntakeData:
    channel: str
    type: str
    content: str
    received_at: datetime
    external_id: str | None = None
    category: str | None = None
    title: str = ""
    remedy_sought: str = ""
    anonymous: bool = False
    customer: CustomerData | None = None
    #: Code of a company (city or county) the order belongs to when the
    #: customer has no supply station on file (the form's area select).
    area: str | None = None
    #: The caller's phone differs from the customer's record and the agent
    #: accepted it as the customer's new phone (``customer_update_phone``).
    update_customer_phone: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


_RECENT_FIELDS = ("id", "number", "customer", "category", "received_at")


def _recent_orders(customer_ids: list[int], category_ids: list[int], since: datetime) -> list[WorkOrder]:
    """The latest valid order per (customer, category) of these customers in
    these categories received since ``since``, oldest first (only the fields
    repeat detection reads). Raw SQL: the ORM's compilation of this one query
    cost more than the rest of the intake's reads together, and a batch needs
    one row per pair, not every recent order of its customers."""
    cols, attnames = rows.columns(WorkOrder, "o", _RECENT_FIELDS)
    qn = connection.ops.quote_name
    out: list[WorkOrder] = []
    with connection.cursor() as cur:  # not prepared: planned for its values (a customer may have no orders)
        for start in range(0, len(customer_ids), 500):
            chunk = customer_ids[start:start + 500]
            where = (
                f"FROM {qn(WorkOrder._meta.db_table)} o "
                f"WHERE o.customer_id IN ({', '.join(['%s'] * len(chunk))}) "
                f"AND o.category_id IN ({', '.join(['%s'] * len(category_ids))}) "
                f"AND o.received_at >= %s AND o.state NOT IN (%s, %s)"
            )
            params = [*chunk, *category_ids, connection.ops.adapt_datetimefield_value(since),
                      State.INVALID.value, State.MERGED.value]
            if len(chunk) == 1 and len(category_ids) == 1:  # a single intake
                cur.execute(f"SELECT {cols} {where} ORDER BY o.received_at DESC, o.id DESC LIMIT 1", params)
            else:
                names = ", ".join(qn(a) for a in attnames)
                cur.execute(
                    f"SELECT {names} FROM (SELECT {cols}, ROW_NUMBER() OVER (PARTITION BY o.customer_id, "
                    f"o.category_id ORDER BY o.received_at DESC, o.id DESC) AS rn {where}) latest WHERE rn = 1",
                    params,
                )
            out.extend(rows.build(WorkOrder, attnames, r) for r in cur.fetchall())
    out.sort(key=lambda o: o.received_at)
    return out


class _IntakeContext:
    """What an intake needs besides the order itself, loaded once per call.

    The single-order path uses it for one order; the bulk path loads customers,
    categories and recent orders for the whole batch in a few queries.
    """

    def __init__(self, items: list[IntakeData]) -> None:
        # Cached per process against a one-query content fingerprint (rules.intake_rules).
        cached = rules.intake_rules()
        self.grading_rules = cached.grading_rules
        self.days_by_complexity = cached.days_by_complexity
        self.calendar = cached.calendar
        self.sla = cached.sla
        self.categories = cached.categories
        self.customers: dict[str, Customer] = {}
        self._company_cache: dict[int, Department] = {}
        self._areas: dict[str, Department] = {}
        self.load_customers(d.customer.account_no for d in items if d.customer)
        # Latest earlier order per (customer, category) for repeat detection.
        self.latest: dict[tuple[int, int], WorkOrder] = {}
        batch_categories = [self.categories[c] for c in {d.category for d in items if d.category} if c in self.categories]
        if self.customers and batch_categories and items:
            since = min(d.received_at for d in items) - REPEAT_WINDOW
            for o in _recent_orders([c.pk for c in self.customers.values()], [c.pk for c in batch_categories], since):
                self.latest[(o.customer_id, o.category_id)] = o  # type: ignore[index]

    def load_customers(self, accounts: Iterable[str]) -> None:
        """Customers by account number with their stations and the stations'
        companies (one query, ``customers_for_intake``)."""
        for account_no, (customer, company) in customers_for_intake(accounts).items():
            self.customers[account_no] = customer
            if customer.station_id and company is not None:
                self._company_cache[customer.station_id] = company

    def category(self, code: str | None) -> Category | None:
        if not code:
            return None
        cat = self.categories.get(code)
        if cat is None:
            raise InvalidInput(
                _("Unknown business category “%(code)s”.") % {"code": code}, code="unknown_category", field="category"
            )
        return cat

    def customer(self, data: CustomerData | None) -> Customer | None:
        if data is None:
            return None
        customer = self.customers.get(data.account_no)
        if customer is None:
            customer = Customer(
                account_no=data.account_no, name=data.name, phone=data.phone, address=data.address,
                category=data.category,
            )
            # Another intake may have created the same customer a moment ago.
            try:
                with transaction.atomic():
                    customer.save(force_insert=True)
            except IntegrityError:
                customer = Customer.objects.get(account_no=data.account_no)
            self.customers[data.account_no] = customer
        return customer

    def area(self, actor: Actor, code: str | None) -> Department | None:
        """The company chosen as the order's area: a city or county company,
        active, inside the intake user's company (administrators: any)."""
        if not code:
            return None
        if code not in self._areas:
            dept = Department.objects.filter(code=code, type__in=COMPANY_TYPES, active=True).first()
            if dept is None or not (
                actor.is_admin or (actor.company is not None and dept.path.startswith(actor.company.path))
            ):
                raise InvalidInput(
                    _("Unknown area “%(code)s”: choose a company of yours.") % {"code": code},
                    code="unknown_area", field="area",
                )
            self._areas[code] = dept
        return self._areas[code]

    def company(self, actor: Actor, customer: Customer | None, area: str | None = None) -> Department:
        """The company that owns the order (and whose departments lead it):
        the customer's supply station's company, else the area chosen at
        intake, else the intake user's company."""
        if customer is not None and customer.station_id:
            key = customer.station_id
            if key not in self._company_cache:
                self._company_cache[key] = department_company(customer.station)  # type: ignore[arg-type]
            return self._company_cache[key]
        chosen = self.area(actor, area)
        if chosen is not None:
            return chosen
        if actor.company is not None:
            return actor.company
        company = Department.objects.filter(type=DepartmentType.COMPANY, parent__isnull=True).order_by("pk").first()
        if company is None:
            raise InvalidInput(_("No company is configured."), code="no_company")
        return company

    def earlier(self, customer: Customer | None, category: Category | None, received_at: datetime) -> WorkOrder | None:
        if customer is None or category is None:
            return None
        o = self.latest.get((customer.pk, category.pk))
        if o is not None and received_at - REPEAT_WINDOW <= o.received_at <= received_at:
            return o
        return None

    def remember(self, order: WorkOrder) -> None:
        if order.customer_id and order.category_id:
            key = (order.customer_id, order.category_id)
            prev = self.latest.get(key)
            if prev is None or prev.received_at <= order.received_at:
                self.latest[key] = order


def _facts(order: WorkOrder) -> grading.OrderFacts:
    return grading.OrderFacts(
        order_type=order.type,
        channel=order.channel,
        category=order.category.code if order.category else "",
        content=order.content,
        sensitive_customer=bool(order.customer and order.customer.sensitive),
        escalated=order.escalated,
        repeat=order.is_repeat,
    )


def _require_contact(data: IntakeData) -> None:
    if workflow.contact_required(
        order_type=data.type, has_customer=data.customer is not None,
        has_phone=bool(data.customer and data.customer.phone), anonymous=data.anonymous,
    ):
        raise InvalidInput(
            _("This order will get a return visit: give the customer (account number and phone) or mark it anonymous."),
            code="contact_required", field="customer",
        )


def _require_intake_role(actor: Actor) -> None:
    if actor.role not in workflow.INTAKE_ROLES:
        raise Forbidden(_("Your role may not take in work orders."))


def _intake_department(actor: Actor) -> Department:
    if actor.department is not None:
        return actor.department
    dept = Department.objects.filter(type=DepartmentType.STATION_95598).order_by("pk").first()
    if dept is None:
        raise InvalidInput(_("No 95598 station is configured."), code="no_station")
    return dept


def _build_order(
    ctx: _IntakeContext, actor: Actor, data: IntakeData, number: str, created_department: Department
) -> WorkOrder:
    category = ctx.category(data.category)
    customer = ctx.customer(data.customer)
    earlier = ctx.earlier(customer, category, data.received_at) if data.type == OrderType.COMPLAINT else None
    order = WorkOrder(
        number=number,
        external_id=data.external_id or None,
        type=data.type,
        channel=data.channel,
        category=category,
        title=data.title,
        content=data.content,
        remedy_sought=data.remedy_sought,
        anonymous=data.anonymous,
        contact_phone=data.customer.phone if data.customer is not None else "",
        received_at=data.received_at,
        customer=customer,
        company=ctx.company(actor, customer, data.area),
        created_department=created_department,
        created_by=actor.user,
        escalated=data.channel in ESCALATED_CHANNELS,
        repeat_of=earlier,
        is_repeat=earlier is not None,
        version=1,
    )
    suggestion = grading.suggest_grade(_facts(order), ctx.grading_rules)
    order.suggested_grade = suggestion.grade
    order.suggested_complexity = suggestion.complexity
    order.suggestion_reasons = [suggestion.rule_code, *suggestion.reasons]
    # Until graded, the clock runs on the suggested complexity.
    order.complexity = suggestion.complexity
    policy, deadline = ctx.sla.handling(order)  # SLA policies (workorders.clock), else 2 / 4 working days
    order.sla_policy = policy.code
    order.deadline_at = deadline.due_at
    order.deadline_provisional = deadline.provisional
    clock.stage_on_intake(order, ctx.sla)  # forward (or fault repair's arrival) stage limit
    return order


def _create_event(order: WorkOrder, actor: Actor, *, action: str, from_state: str, to_state: str, note: str = "", data: dict[str, Any] | None = None) -> WorkOrderEvent:
    return history.event_new(order, actor, action=action, from_state=from_state, to_state=to_state, note=note, data=data)


def _record(event: WorkOrderEvent) -> None:
    """Save an order's event and publish it to the apps subscribed to it
    (``history``, the one writer of events; in-transaction subscribers run
    now, the rest on commit)."""
    history.record(event)


def _by_external_id(external_id: str) -> WorkOrder | None:
    # A bare id probe first: the full ORM fetch only for a retry that hits.
    table = connection.ops.quote_name(WorkOrder._meta.db_table)
    with rows.cursor() as cur:  # prepared: a lookup by a unique key
        cur.execute(f"SELECT id FROM {table} WHERE external_id = %s", [external_id])
        row = cur.fetchone()
    return WorkOrder.objects.filter(pk=row[0]).first() if row else None


def _offer_phone_update(actor: Actor, data: IntakeData, order: WorkOrder) -> None:
    """The caller's number, when it differs from the customer's record, is
    always kept as the order's contact phone; if the agent accepted it as the
    customer's new phone, the record follows (history row naming the order)."""
    if not data.update_customer_phone or order.customer is None or not order.contact_phone:
        return
    if order.customer.phone == order.contact_phone:
        return
    from griddesk.customers.services import customer_update_phone

    customer_update_phone(actor=actor, customer=order.customer, phone=order.contact_phone, order_number=order.number)


def work_order_intake(
    *, actor: Actor, data: IntakeData, on_created: Callable[[WorkOrder], None] | None = None
) -> tuple[WorkOrder, bool]:
    """Take in one order. Returns ``(order, created)``; a known ``external_id``
    returns the existing order unchanged (idempotent retries). ``on_created``
    runs inside the order's transaction (the API renders its reply and logs
    the personal data it shows there: one commit, not two).

    The reads (rules, customer, earlier orders) happen before the transaction,
    the number is reserved in a short transaction of its own where possible
    (``_reserve_numbers``), and the transaction itself is the customer (if new,
    in a savepoint), the order and its ``create`` event."""
    _require_intake_role(actor)
    if data.external_id:
        existing = _by_external_id(data.external_id)
        if existing is not None:
            return existing, False
    department = _intake_department(actor)
    _require_contact(data)
    ctx = _IntakeContext([data])
    ctx.category(data.category)  # an unknown category or area is refused before a number is reserved
    ctx.area(actor, data.area)
    day = _number_day(data.received_at)
    reserved = _reserve_numbers(data.type, day, 1)
    try:
        with transaction.atomic():
            order = _build_order(ctx, actor, data, "", department)
            # Else the number last: the counter row stays locked (until COMMIT) as briefly as possible.
            (order.number,) = reserved or _allocate_numbers(data.type, day, 1)
            order.save(force_insert=True)
            created_event = _create_event(
                order, actor, action="create", from_state="", to_state=order.state,
                data={"channel": order.channel, "external_id": order.external_id, "type": order.type},
            )
            history.record(created_event)
            search.search_index_orders([order])
            _offer_phone_update(actor, data, order)
            if on_created is not None:
                on_created(order)
    except IntegrityError:
        # A concurrent retry with the same external_id won the race.
        if data.external_id:
            existing = _by_external_id(data.external_id)
            if existing is not None:
                return existing, False
        raise
    return order, True


@dataclass
class BulkResult:
    index: int
    status: str  # created / existing / error
    order: WorkOrder | None = None
    errors: dict[str, Any] | None = None


def work_order_bulk_intake(*, actor: Actor, items: list[IntakeData | dict[str, Any]]) -> list[BulkResult]:
    """Take in many orders; each item succeeds or fails on its own.

    Items that failed validation upstream arrive as their error dict and are
    reported as such. The valid ones are checked against reference data first,
    then written set-wise (numbers reserved per prefix and day, orders and
    events in bulk) in one transaction: nothing is half-written.
    """
    _require_intake_role(actor)
    results: list[BulkResult] = []
    valid: list[tuple[int, IntakeData]] = []
    for i, item in enumerate(items):
        if isinstance(item, IntakeData):
            valid.append((i, item))
        else:
            results.append(BulkResult(index=i, status="error", errors=item))
    try:
        results.extend(_bulk_write(actor, valid))
    except IntegrityError:
        # A concurrent intake took one of these external ids meanwhile: fall
        # back to one transaction per item, each idempotent on its own.
        for i, data in valid:
            try:
                order, created = work_order_intake(actor=actor, data=data)
            except InvalidInput as exc:
                results.append(BulkResult(index=i, status="error", errors=_field_errors(exc)))
                continue
            results.append(BulkResult(index=i, status="created" if created else "existing", order=order))
    results.sort(key=lambda r: r.index)
    return results


def _field_errors(exc: InvalidInput) -> dict[str, Any]:
    return {exc.field or "non_field_errors": [{"code": exc.code, "message": exc.message}]}


def _bulk_write(actor: Actor, valid: list[tuple[int, IntakeData]]) -> list[BulkResult]:
    """Reads and number reservation first (outside the transaction, like the
    single intake), then one transaction: new customers, orders, events."""
    results: list[BulkResult] = []
    dept = _intake_department(actor)
    ext_ids = [d.external_id for _, d in valid if d.external_id]
    existing = {o.external_id: o for o in WorkOrder.objects.filter(external_id__in=ext_ids)} if ext_ids else {}
    seen: dict[str, int] = {}
    candidates: list[tuple[int, IntakeData]] = []
    for i, data in valid:
        if data.external_id and data.external_id in existing:
            results.append(BulkResult(index=i, status="existing", order=existing[data.external_id]))
        elif data.external_id and data.external_id in seen:
            msg = _("Repeats item %(i)d of this batch.") % {"i": seen[data.external_id]}
            results.append(
                BulkResult(index=i, status="error", errors={"external_id": [{"code": "duplicate_in_batch", "message": msg}]})
            )
        else:
            if data.external_id:
                seen[data.external_id] = i
            candidates.append((i, data))
    ctx = _IntakeContext([d for _, d in candidates])
    # Unknown categories are refused before numbers are reserved for them.
    accepted: list[tuple[int, IntakeData]] = []
    for i, data in candidates:
        try:
            _require_contact(data)
            ctx.category(data.category)
            ctx.area(actor, data.area)
        except InvalidInput as exc:
            results.append(BulkResult(index=i, status="error", errors=_field_errors(exc)))
            continue
        accepted.append((i, data))
    # Numbers per (prefix, day) block, counter rows in one global order (by
    # key, e.g. "TS20261128"), or two concurrent batches spanning several
    # days/types deadlock on them. Reserved before the transaction where
    # possible (_reserve_numbers): a batch no longer holds the counter rows
    # for the whole of its write.
    groups: dict[tuple[str, str], list[int]] = {}
    for pos, (_i, data) in enumerate(accepted):
        groups.setdefault((data.type, _number_day(data.received_at)), []).append(pos)
    ordered = sorted(groups.items(), key=lambda g: (_TYPE_PREFIX.get(OrderType(g[0][0]), "GD"), g[0][1]))
    numbers: dict[int, str] = {}
    for (order_type, day), positions in ordered:
        for pos, number in zip(positions, _reserve_numbers(order_type, day, len(positions)) or ()):
            numbers[pos] = number
    with transaction.atomic():
        for (order_type, day), positions in ordered:
            if positions[0] not in numbers:  # inside a caller's transaction / SQLite
                for pos, number in zip(positions, _allocate_numbers(order_type, day, len(positions))):
                    numbers[pos] = number
        # New customers in one INSERT (not one per item); a concurrent intake may create one meanwhile.
        missing: dict[str, CustomerData] = {}
        for _i, data in accepted:
            c = data.customer
            if c is not None and c.account_no not in ctx.customers:
                missing.setdefault(c.account_no, c)
        if missing:
            Customer.objects.bulk_create(
                [Customer(account_no=c.account_no, name=c.name, phone=c.phone, address=c.address, category=c.category)
                 for c in missing.values()],
                ignore_conflicts=True,
                batch_size=500,
            )
            ctx.load_customers(missing)
        orders: list[tuple[int, WorkOrder]] = []
        for pos, (i, data) in enumerate(accepted):
            order = _build_order(ctx, actor, data, numbers[pos], dept)
            ctx.remember(order)
            orders.append((i, order))
        # A repeat of an order earlier in this same batch points at an unsaved
        # object; link it after the insert gives that order its id.
        in_batch = [o for _, o in orders if o.repeat_of is not None and o.repeat_of.pk is None]
        pending = {id(o): o.repeat_of for o in in_batch}
        for o in in_batch:
            o.repeat_of = None
        WorkOrder.objects.bulk_create([o for _, o in orders], batch_size=500)
        for o in in_batch:
            o.repeat_of = pending[id(o)]
        if in_batch:
            WorkOrder.objects.bulk_update(in_batch, ["repeat_of"], batch_size=500)
        history.record_many(
            [
                _create_event(o, actor, action="create", from_state="", to_state=o.state,
                              data={"channel": o.channel, "external_id": o.external_id, "type": o.type, "bulk": True})
                for _, o in orders
            ],
            batch_size=500,
        )
        search.search_index_orders([o for _, o in orders])
    results.extend(BulkResult(index=i, status="created", order=o) for i, o in orders)
    return results


# ------------------------------------------------------------------ transitions


def _lock(order: WorkOrder | str, actor: Actor, action: Action, *, expected_version: int | None = None) -> WorkOrder:
    number = order if isinstance(order, str) else order.number
    locked = (
        # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the
        # outer joins to customer/category; only the order row needs the lock.
        WorkOrder.objects.select_for_update(of=("self",))
        .select_related("company", "customer", "category")
        .filter(number=number)
        .first()
    )
    if locked is None or not selectors.work_orders_visible_to(actor).filter(pk=locked.pk).exists():
        raise NotFound(_("Work order %(number)s was not found.") % {"number": number})
    if locked.state == State.ARCHIVED.value:
        # Archived orders are immutable; corrections are separate linked records.
        raise Conflict(
            _("Archived orders cannot be changed; add a correction to the archive instead."),
            code="archived_immutable",
            state=locked.state,
            allowed_actions=[],
        )
    if actor.role is None or not workflow.role_may(actor.role, action):
        raise Forbidden(_("Your role may not perform “%(action)s”.") % {"action": _label(action)}, action=action.value)
    state = State(locked.state)
    if action not in workflow.actions_from(state):
        raise _conflict(actor, locked, action)
    if action == Action.CONFIRM_REPORT and selectors.submitted_current_report(actor, locked):
        raise Forbidden(
            _("Four eyes: the report must be confirmed by someone other than the person who submitted it "
              "(another handler of the lead department, or a manager)."),
            code="four_eyes",
            action=action.value,
        )
    if not selectors.may_act(actor, locked, action):
        raise Forbidden(
            _("This work order is not in your department's hands for “%(action)s”.") % {"action": _label(action)},
            action=action.value,
        )
    if expected_version is not None and expected_version != locked.version:
        raise Conflict(
            _("The work order was changed by someone else; reload and try again."),
            code="stale_version",
            current_version=locked.version,
        )
    return locked


def _label(action: Action) -> str:
    """The translated name of an action, for messages (the code goes in ``action``)."""
    return str(ActionChoice(action.value).label)


def _conflict(actor: Actor, order: WorkOrder, action: Action) -> Conflict:
    return Conflict(
        _("“%(action)s” is not possible while the order is “%(state)s”.")
        % {"action": _label(action), "state": order.get_state_display()},
        code="invalid_transition",
        state=order.state,
        allowed_actions=selectors.allowed_actions(actor, order),
    )


def _transition(
    order: WorkOrder,
    actor: Actor,
    action: Action,
    *,
    target: State | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
    fields: Iterable[str] = (),
) -> WorkOrder:
    from_state = State(order.state)
    try:
        to_state = workflow.check(action, from_state, target)
    except workflow.TransitionError:
        raise _conflict(actor, order, action) from None
    previous = order.version
    order.state = to_state.value
    order.version = previous + 1
    order.updated_at = timezone.now()
    # The stage clock (workorders.clock): forward → grade → none; arrival until on site.
    stage_fields = clock.stage_on_action(order, action.value, order.updated_at)
    if stage_fields:
        fields = [*fields, *stage_fields]
        data = {**(data or {}), **clock.stage_event_data(order)}
    changed = {"state", "version", "updated_at", *fields}
    # Compare-and-swap: if another transaction changed the order since we read
    # it, nothing is updated and this action loses with a 409.
    values = {name: getattr(order, WorkOrder._meta.get_field(name).attname) for name in changed}
    updated = WorkOrder.objects.filter(pk=order.pk, version=previous).update(**values)
    if updated != 1:
        raise Conflict(_("The work order was changed by someone else; reload and try again."), code="stale_version")
    _record(_create_event(order, actor, action=action.value, from_state=from_state.value, to_state=to_state.value, note=note, data=data))
    return order


@transaction.atomic
def work_order_forward(*, order: WorkOrder | str, actor: Actor, note: str = "", expected_version: int | None = None) -> WorkOrder:
    wo = _lock(order, actor, Action.FORWARD, expected_version=expected_version)
    return _transition(wo, actor, Action.FORWARD, note=note)


@transaction.atomic
def work_order_grade(
    *, order: WorkOrder | str, actor: Actor, grade: int, complexity: str, reason: str = "", expected_version: int | None = None
) -> WorkOrder:
    wo = _lock(order, actor, Action.GRADE, expected_version=expected_version)
    if grade not in (1, 2, 3, 4):
        raise InvalidInput(_("Grade must be 1, 2, 3 or 4."), code="invalid_grade", field="grade")
    overrides = grade != wo.suggested_grade or complexity != wo.suggested_complexity
    if overrides and not reason.strip():
        raise InvalidInput(
            _("A reason is required when the grade differs from the suggestion (%(grade)s).") % {"grade": wo.suggested_grade},
            code="reason_required",
            field="reason",
        )
    wo.grade = grade
    wo.complexity = complexity
    policy, deadline = rules.sla_rules().handling(wo)
    wo.sla_policy = policy.code
    wo.deadline_at = deadline.due_at
    wo.deadline_provisional = deadline.provisional
    wo.overdue = deadline.due_at < timezone.now()
    return _transition(
        wo,
        actor,
        Action.GRADE,
        note=reason,
        data={
            "grade": grade,
            "complexity": complexity,
            "suggested_grade": wo.suggested_grade,
            "suggested_complexity": wo.suggested_complexity,
            "override": overrides,
            "deadline_at": deadline.due_at.isoformat(),
            "sla_policy": policy.code,
        },
        fields=["grade", "complexity", "deadline_at", "deadline_provisional", "sla_policy", "overdue"],
    )


def _resolve_leads(order: WorkOrder, grade: int) -> list[Department]:
    try:
        types = routing.route(grade, rules.routing_rules())
    except routing.NoRoute as exc:
        raise Conflict(str(exc), code="no_route") from None
    leads: list[Department] = []
    for dept_type in types:
        dept = _nearest_of_type(order.company, dept_type)
        if dept is None:
            raise Conflict(
                _("No department of type “%(type)s” is configured for %(company)s.") % {"type": dept_type, "company": order.company.name},
                code="no_department",
            )
        leads.append(dept)
    return leads


def _nearest_of_type(company: Department, dept_type: str) -> Department | None:
    """A department of ``dept_type`` in ``company``, else in its parent company, …"""
    ids = [int(p) for p in company.path.strip("/").split("/") if p]
    for pk in reversed(ids):
        found = (
            Department.objects.filter(parent_id=pk, type=dept_type, active=True).order_by("pk").first()
        )
        if found is not None:
            return found
    return None


@transaction.atomic
def work_order_dispatch(
    *, order: WorkOrder | str, actor: Actor, departments: list[str] | None = None, note: str = "", expected_version: int | None = None
) -> WorkOrder:
    wo = _lock(order, actor, Action.DISPATCH, expected_version=expected_version)
    assert wo.grade is not None
    if departments:
        found = {d.code: d for d in Department.objects.filter(code__in=departments, active=True)}
        missing = [c for c in departments if c not in found]
        if missing:
            raise InvalidInput(
                _("Unknown department(s): %(codes)s.") % {"codes": ", ".join(missing)}, code="unknown_department", field="departments"
            )
        leads = [found[c] for c in departments]
        routed_by = "manual"
    else:
        leads = _resolve_leads(wo, wo.grade)
        routed_by = "rules"
    LeadAssignment.objects.bulk_create(
        [LeadAssignment(order=wo, department=d, primary=(i == 0)) for i, d in enumerate(leads)], ignore_conflicts=True
    )
    return _transition(
        wo,
        actor,
        Action.DISPATCH,
        note=note,
        data={"lead_departments": [d.code for d in leads], "routed_by": routed_by},
    )


@transaction.atomic
def work_order_accept(*, order: WorkOrder | str, actor: Actor, note: str = "", expected_version: int | None = None) -> WorkOrder:
    wo = _lock(order, actor, Action.ACCEPT, expected_version=expected_version)
    return _transition(wo, actor, Action.ACCEPT, note=note)


@transaction.atomic
def work_order_assign_station(
    *, order: WorkOrder | str, actor: Actor, stations: list[str], note: str = "", expected_version: int | None = None
) -> WorkOrder:
    wo = _lock(order, actor, Action.ASSIGN_STATION, expected_version=expected_version)
    if not stations:
        raise InvalidInput(_("Choose at least one power-supply station."), code="required", field="stations")
    found = {d.code: d for d in Department.objects.filter(code__in=stations, type=DepartmentType.POWER_STATION, active=True)}
    missing = [c for c in stations if c not in found]
    if missing:
        raise InvalidInput(
            _("Not a power-supply station: %(codes)s.") % {"codes": ", ".join(missing)}, code="unknown_station", field="stations"
        )
    already = set(wo.station_tasks.filter(state=StationTask.TaskState.OPEN).values_list("station__code", flat=True))
    new = [found[c] for c in stations if c not in already]
    StationTask.objects.bulk_create(
        [StationTask(order=wo, station=s, request_note=note, requested_by=actor.user) for s in new]  # type: ignore[misc]
    )
    return _transition(wo, actor, Action.ASSIGN_STATION, note=note, data={"stations": [s.code for s in new]})


@transaction.atomic
def work_order_station_findings(
    *, order: WorkOrder | str, actor: Actor, findings: str, station: str | None = None, expected_version: int | None = None
) -> WorkOrder:
    wo = _lock(order, actor, Action.STATION_FINDINGS, expected_version=expected_version)
    if not findings.strip():
        raise InvalidInput(_("Findings are required."), code="required", field="findings")
    tasks = wo.station_tasks.select_for_update().filter(state=StationTask.TaskState.OPEN).select_related("station")
    if station:
        tasks = tasks.filter(station__code=station)
    elif actor.role == workflow.Role.STATION_INVESTIGATOR and actor.department is not None:
        tasks = tasks.filter(station=actor.department)
    task = tasks.order_by("pk").first()
    if task is None:
        raise Conflict(_("There is no open station task for these findings."), code="no_open_task", field="station")
    task.state = StationTask.TaskState.DONE
    task.findings = findings
    task.findings_by = actor.user
    task.done_at = timezone.now()
    task.save(update_fields=["state", "findings", "findings_by", "done_at"])
    search.search_index_refresh(order_ids=[wo.pk])
    return _transition(wo, actor, Action.STATION_FINDINGS, note=findings, data={"station": task.station.code, "task": task.pk})


@transaction.atomic
def work_order_submit_report(
    *,
    order: WorkOrder | str,
    actor: Actor,
    findings: str,
    responsibility: str,
    rectification: str,
    company_at_fault: bool,
    responsible_department: str | None = None,
    responsible_person: str = "",
    expected_version: int | None = None,
) -> WorkOrder:
    wo = _lock(order, actor, Action.SUBMIT_REPORT, expected_version=expected_version)
    missing = [n for n, v in (("findings", findings), ("responsibility", responsibility), ("rectification", rectification)) if not v.strip()]
    if missing:
        raise InvalidInput(
            _("The report needs findings, a responsibility analysis and rectification measures."), code="required", field=missing[0]
        )
    open_tasks = wo.station_tasks.filter(state=StationTask.TaskState.OPEN).count()
    if open_tasks:
        raise Conflict(
            _("%(n)d station task(s) have not returned findings yet.") % {"n": open_tasks}, code="open_station_tasks"
        )
    dept = None
    if responsible_department:
        dept = Department.objects.filter(code=responsible_department).first()
        if dept is None:
            raise InvalidInput(_("Unknown department."), code="unknown_department", field="responsible_department")
    report = Report.objects.create(
        order=wo,
        findings=findings,
        responsibility=responsibility,
        rectification=rectification,
        company_at_fault=company_at_fault,
        responsible_department=dept,
        responsible_person=responsible_person,
        submitted_by=actor.user,
    )
    search.search_index_refresh(order_ids=[wo.pk])
    return _transition(
        wo, actor, Action.SUBMIT_REPORT, data={"report": report.pk, "company_at_fault": company_at_fault}
    )


@transaction.atomic
def work_order_confirm_report(*, order: WorkOrder | str, actor: Actor, note: str = "", expected_version: int | None = None) -> WorkOrder:
    wo = _lock(order, actor, Action.CONFIRM_REPORT, expected_version=expected_version)
    report = wo.reports.order_by("-pk").first()
    assert report is not None  # the reported state always has a report
    now = timezone.now()
    Report.objects.filter(pk=report.pk).update(confirmed_by=actor.user, confirmed_at=now)
    wo.closed_at = now
    wo = _transition(
        wo,
        actor,
        Action.CONFIRM_REPORT,
        note=note,
        data={"report": report.pk, "on_time": bool(wo.deadline_at and now <= wo.deadline_at)},
        fields=["closed_at"],
    )
    from griddesk.satisfaction.services import visit_task_open  # late: satisfaction depends on work orders

    visit_task_open(order=wo)  # the return-visit task (回访), due in editable working days
    # A public-opinion story records the result through its subscription to work_order.confirm_report.
    return wo


@transaction.atomic
def work_order_return_report(*, order: WorkOrder | str, actor: Actor, note: str, expected_version: int | None = None) -> WorkOrder:
    wo = _lock(order, actor, Action.RETURN_REPORT, expected_version=expected_version)
    if not note.strip():
        raise InvalidInput(_("Say what the report lacks."), code="required", field="note")
    return _transition(wo, actor, Action.RETURN_REPORT, note=note)


@transaction.atomic
def work_order_return_visit(
    *,
    order: WorkOrder | str,
    actor: Actor,
    method: str,
    outcome: str,
    customer_words: str = "",
    solved: bool | None = None,
    expected_version: int | None = None,
) -> WorkOrder:
    wo = _lock(order, actor, Action.RETURN_VISIT, expected_version=expected_version)
    visit = ReturnVisit.objects.create(
        order=wo, method=method, outcome=outcome, customer_words=customer_words, solved=solved, visited_by=actor.user
    )
    data = {"visit": visit.pk, "outcome": outcome, "method": method, "solved": solved}
    from griddesk.satisfaction.services import visit_task_close  # late: satisfaction depends on work orders

    data["task"] = visit_task_close(order=wo, visit=visit, actor=actor).pk  # close the return-visit task
    if outcome == ReturnVisit.Outcome.UNSATISFIED:
        # The customer is not satisfied: the order goes back to the lead
        # department for a second handling and counts as a repeat.
        wo.reopen_count += 1
        wo.is_repeat = True
        wo.closed_at = None
        clock = _restart_clock(wo)
        wo = _transition(
            wo, actor, Action.RETURN_VISIT, target=State.INVESTIGATING, note=customer_words, data={**data, "reopened": True},
            fields=["reopen_count", "is_repeat", "closed_at", *_CLOCK_FIELDS],
        )
        return _deadline_event(wo, actor, clock)
    return _transition(wo, actor, Action.RETURN_VISIT, target=State.VISITED, note=customer_words, data=data)


@transaction.atomic
def work_order_assess(
    *, order: WorkOrder | str, actor: Actor, note: str = "", score: float | None = None, expected_version: int | None = None
) -> WorkOrder:
    wo = _lock(order, actor, Action.ASSESS, expected_version=expected_version)
    report = wo.reports.order_by("-pk").first()
    on_time = bool(wo.closed_at and wo.deadline_at and wo.closed_at <= wo.deadline_at)
    assessment = Assessment.objects.create(
        order=wo, on_time=on_time, company_at_fault=report.company_at_fault if report else None, score=score, note=note, assessed_by=actor.user
    )
    # The per-order assessment (items, score, rule version) in the same transaction.
    from griddesk.assessment.services import order_assessment_compute

    facts = order_assessment_compute(order=wo, assessment=assessment)
    return _transition(
        wo, actor, Action.ASSESS, note=note,
        data={"assessment": assessment.pk, "on_time": on_time, "score": facts.score, "rules_version": facts.rule_set.version},
    )


@transaction.atomic
def work_order_archive(*, order: WorkOrder | str, actor: Actor, note: str = "", expected_version: int | None = None) -> WorkOrder:
    wo = _lock(order, actor, Action.ARCHIVE, expected_version=expected_version)
    wo = _transition(wo, actor, Action.ARCHIVE, note=note)
    # Index the archived record for full-text search, in the same transaction.
    from griddesk.assessment.services import archive_entry_write

    archive_entry_write(order=wo)
    return wo


@transaction.atomic
def work_order_reopen(*, order: WorkOrder | str, actor: Actor, reason: str, expected_version: int | None = None) -> WorkOrder:
    wo = _lock(order, actor, Action.REOPEN, expected_version=expected_version)
    if not reason.strip():
        raise InvalidInput(_("A reason is required to reopen."), code="required", field="reason")
    wo.reopen_count += 1
    wo.is_repeat = True
    wo.closed_at = None
    clock = _restart_clock(wo)
    wo = _transition(wo, actor, Action.REOPEN, note=reason, fields=["reopen_count", "is_repeat", "closed_at", *_CLOCK_FIELDS])
    return _deadline_event(wo, actor, clock)


#: The fields a reopen's new handling clock writes.
_CLOCK_FIELDS = ("handling_started_at", "suspension_extension", "deadline_at", "deadline_provisional", "sla_policy", "overdue")


def _restart_clock(wo: WorkOrder) -> dict[str, Any]:
    """A reopened order is handled again: its handling clock restarts at the
    reopen time with the SLA policy that matches it now (suspended time of the
    earlier handling no longer counts), so it is not overdue the minute it
    reopens. Sets the fields on ``wo``; returns the ``deadline`` event's data."""
    now = timezone.now()
    before, was_overdue = wo.deadline_at, wo.overdue
    wo.handling_started_at = now
    wo.suspension_extension = 0
    policy, deadline = rules.sla_rules().handling(wo)
    wo.deadline_at, wo.deadline_provisional, wo.sla_policy = deadline.due_at, deadline.provisional, policy.code
    wo.overdue = deadline.due_at < now
    return {
        "before": before.isoformat() if before else None, "deadline_at": deadline.due_at.isoformat(),
        "provisional": deadline.provisional, "overdue": wo.overdue, "overdue_before": was_overdue,
        "policy": policy.code, "reason": "reopen", "clock_start": now.isoformat(),
    }


def _deadline_event(wo: WorkOrder, actor: Actor, data: dict[str, Any]) -> WorkOrder:
    """The ``deadline`` event of a restarted clock, after the reopening action's
    own event (same transaction, next sequence number)."""
    previous = wo.version
    wo.version = previous + 1
    if WorkOrder.objects.filter(pk=wo.pk, version=previous).update(version=wo.version) != 1:
        raise Conflict(_("The work order was changed by someone else; reload and try again."), code="stale_version")
    _record(_create_event(wo, actor, action="deadline", from_state=wo.state, to_state=wo.state, data=data))
    return wo


@transaction.atomic
def work_order_invalidate(*, order: WorkOrder | str, actor: Actor, reason: str, expected_version: int | None = None) -> WorkOrder:
    wo = _lock(order, actor, Action.INVALIDATE, expected_version=expected_version)
    if not reason.strip():
        raise InvalidInput(_("A reason is required to invalidate an order."), code="required", field="reason")
    wo.closed_at = timezone.now()
    return _transition(wo, actor, Action.INVALIDATE, note=reason, fields=["closed_at"])


@transaction.atomic
def work_order_merge(*, order: WorkOrder | str, actor: Actor, into: str, note: str = "", expected_version: int | None = None) -> WorkOrder:
    wo = _lock(order, actor, Action.MERGE, expected_version=expected_version)
    target = selectors.work_orders_visible_to(actor).filter(number=into).first()
    if target is None:
        raise InvalidInput(_("Order %(number)s was not found.") % {"number": into}, code="unknown_order", field="into")
    if target.pk == wo.pk:
        raise InvalidInput(_("An order cannot be merged into itself."), code="merge_self", field="into")
    if target.state in {s.value for s in workflow.TERMINAL_STATES}:
        raise InvalidInput(_("Cannot merge into a closed order."), code="merge_closed", field="into")
    wo.merged_into = target
    wo.closed_at = timezone.now()
    return _transition(wo, actor, Action.MERGE, note=note, data={"into": target.number}, fields=["merged_into", "closed_at"])


@transaction.atomic
def work_order_urge(*, order: WorkOrder | str, actor: Actor, note: str = "", expected_version: int | None = None) -> WorkOrder:
    wo = _lock(order, actor, Action.URGE, expected_version=expected_version)
    wo.urge_count += 1
    return _transition(
        wo, actor, Action.URGE, target=State(wo.state), note=note, data={"urge_count": wo.urge_count}, fields=["urge_count"],
    )


# ------------------------------------------------------------------ internal comments (内部备注)

#: The longest internal comment, in characters (the messages say 2000).
COMMENT_MAX_CHARS = 2000
#: The longest client key (``Idempotency-Key`` header, the page's form token).
CLIENT_KEY_MAX = 64


@transaction.atomic
def order_comment_add(
    *, order: WorkOrder | str, actor: Actor, body: str, client_key: str = ""
) -> tuple[WorkOrderComment, bool]:
    """Add an internal comment; returns ``(comment, created)``.

    Outside the workflow: any state but archived, every staff role but the
    read-only leader (``engines.workflow.COMMENT_ROLES``), no event and no
    version change (a comment is not a lifecycle fact; docs/architecture.md
    "Internal comments"). The order row is locked so a
    comment and an archiving serialise, and so do two retries of one
    ``client_key``: the second finds the first and returns it (``created`` False).
    The text is stored as typed (stripped, CRLF → LF); pages escape it."""
    number = order if isinstance(order, str) else order.number
    wo = WorkOrder.objects.select_for_update(of=("self",)).filter(number=number).first()
    if wo is None or not selectors.work_orders_visible_to(actor).filter(pk=wo.pk).exists():
        raise NotFound(_("Work order %(number)s was not found.") % {"number": number})
    if actor.role is None or actor.role not in workflow.COMMENT_ROLES:
        raise Forbidden(_("Your role may read this order but not comment on it."), code="comment_forbidden")
    if wo.state == State.ARCHIVED.value:
        raise Conflict(
            _("Archived orders cannot be changed; add a correction to the archive instead."),
            code="archived_immutable", state=wo.state,
        )
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise InvalidInput(_("Write a comment first."), code="required", field="body")
    if len(text) > COMMENT_MAX_CHARS:
        raise InvalidInput(_("A comment may be at most 2000 characters long."), code="too_long", field="body")
    if _CONTROL.search(text):
        raise InvalidInput(_("Contains control characters."), code="control_characters", field="body")
    if len(client_key) > CLIENT_KEY_MAX or _CONTROL.search(client_key):
        raise InvalidInput(_("The client key is malformed."), code="invalid_client_key", field="client_key")
    user = actor.user if actor.user.pk else None
    if client_key and user is not None:
        earlier = WorkOrderComment.objects.filter(order=wo, author=user, client_key=client_key).first()
        if earlier is not None:
            if earlier.body != text:
                raise Conflict(
                    _("This client key was already used for a different comment."), code="client_key_reused"
                )
            return earlier, False
    comment = WorkOrderComment(
        order=wo, author=user, author_name=actor.user.get_username(), at=timezone.now(), body=text,
        client_key=client_key if user is not None else "",
    )
    comment.save()
    return comment, True


# ------------------------------------------------------------------ suspension (挂起)


def _approver(actor: Actor, wo: WorkOrder, username: str) -> Any:
    """The manager approving a suspension: a manager (or administrator)
    suspending approves it themselves; a lead handler names an active manager
    whose company's subtree holds the order (ADR 0010)."""
    from django.contrib.auth import get_user_model

    from griddesk.organisation.models import StaffProfile

    username = username.strip()
    if not username or username == actor.user.get_username():
        if actor.role in (workflow.Role.MANAGER, workflow.Role.ADMIN):
            return actor.user
        raise InvalidInput(
            _("A suspension needs the approval of a manager: name the approving manager."), code="required", field="approver"
        )
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    profile = StaffProfile.objects.select_related("department").filter(user=user).first() if user else None
    if profile is None or profile.role != workflow.Role.MANAGER.value:
        raise InvalidInput(_("“%(name)s” is not a manager.") % {"name": username}, code="not_a_manager", field="approver")
    company = department_company(profile.department)
    if not wo.company.path.startswith(company.path):
        raise InvalidInput(
            _("“%(name)s” does not oversee this order's company.") % {"name": username}, code="not_in_scope", field="approver"
        )
    return user


@transaction.atomic
def work_order_suspend(
    *, order: WorkOrder | str, actor: Actor, reason: str, approver: str = "", expected_version: int | None = None
) -> WorkOrder:
    """挂起: stop the clock (waiting for the customer or a third party)."""
    wo = _lock(order, actor, Action.SUSPEND, expected_version=expected_version)
    if not reason.strip():
        raise InvalidInput(_("A reason is required to suspend an order."), code="required", field="reason")
    approved_by = _approver(actor, wo, approver)
    now = timezone.now()
    wo.suspended_at = now
    wo.suspended_from = wo.state
    return _transition(
        wo, actor, Action.SUSPEND, note=reason,
        data={
            "reason": reason, "approver": approved_by.get_username(), "approver_id": approved_by.pk,
            "deadline_at": wo.deadline_at.isoformat() if wo.deadline_at else None,
        },
        fields=["suspended_at", "suspended_from"],
    )


@transaction.atomic
def work_order_resume(*, order: WorkOrder | str, actor: Actor, note: str = "", expected_version: int | None = None) -> WorkOrder:
    """Restart the clock: back to the state it was suspended from, the deadline
    extended by the suspended working time (in the handling policy's unit)."""
    from griddesk.engines import sla

    wo = _lock(order, actor, Action.RESUME, expected_version=expected_version)
    now = timezone.now()
    r = rules.sla_rules()
    policy = r.handling_policy(r.facts(wo))
    assert wo.suspended_at is not None
    gained = sla.suspension_extension(policy.kind, wo.suspended_at, now, r.calendar, hours=r.hours)
    before = wo.deadline_at
    wo.suspension_extension += gained
    deadline = r.deadline(policy, wo.clock_start, wo.suspension_extension)
    wo.deadline_at, wo.deadline_provisional, wo.sla_policy = deadline.due_at, deadline.provisional, policy.code
    wo.overdue = deadline.due_at < now
    target = State(wo.suspended_from or State.INVESTIGATING)
    suspended_at = wo.suspended_at
    wo.suspended_at, wo.suspended_from = None, ""
    stage_data = clock.stage_on_resume(wo, r, suspended_at, now)
    fields = ["suspended_at", "suspended_from", "suspension_extension", "deadline_at", "deadline_provisional", "sla_policy", "overdue"]
    if stage_data:
        fields += ["stage_extension", "stage_deadline_at", "stage_provisional", "stage_overdue"]
    return _transition(
        wo, actor, Action.RESUME, target=target, note=note,
        data={
            "suspended_at": suspended_at.isoformat(),
            "extension": gained,
            "unit": "working_days" if policy.kind == "working_days" else "minutes",
            "policy": policy.code,
            "deadline_before": before.isoformat() if before else None,
            "deadline_at": deadline.due_at.isoformat(),
            "overdue": wo.overdue,
            **stage_data,
        },
        fields=fields,
    )


# ------------------------------------------------------------------ one entry point


def work_order_act(*, order: WorkOrder | str, actor: Actor, action: str, data: dict[str, Any]) -> WorkOrder:
    """Run ``action`` with already-validated ``data`` (from the API or a form):
    the action's declared service (``actions.ActionSpec``) with its inputs."""
    from .actions import BY_ACTION

    spec = BY_ACTION.get(action)
    if spec is None:
        raise InvalidInput(_("Unknown action."), code="invalid_choice", field="action")  # pragma: no cover
    result: WorkOrder = spec.run(order=order, actor=actor, data=data)
    return result
