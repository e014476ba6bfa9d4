"""The realistic demo set: customers and orders walked through the real services.

Every order is taken in with ``work_order_intake`` and moved with
``work_order_act`` by the user whose role does that step (agent, specialist,
lead handler, station investigator, manager), under a simulated clock so the
history spans the last ~60 days. Orders are planned deterministically from the
seed and carry external ids ``DEMO-0001``…; a second run skips those that exist.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypedDict

from django.db import transaction

from griddesk.customers.models import Customer
from griddesk.engines.workflow import OPEN_STATES, State
from griddesk.workorders import rules, services
from griddesk.workorders.models import LeadAssignment, WorkOrder
from griddesk.workorders.services import CustomerData, IntakeData

from . import data as D
from .clock import real_now, simulated_clock
from .journey import Step, cut_at_last, gaps_seconds, journey
from .org import DemoContext

WALK_EXT_PREFIX = "DEMO-"
WALK_ACCOUNT_PREFIX = "71"

#: Target states in the order they are planned.
TARGETS = [s.value for s in State]
_OPEN = {s.value for s in OPEN_STATES}
_PLACES = (*D.STATION_PLACES, *D.CITY_PLACES)


@dataclass
class CustomerSpec:
    account_no: str
    name: str
    phone: str
    address: str
    id_number: str
    category: str
    voltage: str
    sensitive: bool
    place: D.Place


@dataclass
class Plan:
    index: int
    target: str
    kind: str
    overdue: bool = False
    station_open: bool = False
    urge: bool = False
    late: bool = False
    merge_into: int | None = None
    order_type: str = "complaint"
    channel: str = "95598"
    category: str | None = None
    customer: CustomerSpec | None = None
    title: str = ""
    content: str = ""
    remedy: str = ""
    anonymous: bool = False
    override: bool = False
    steps: list[Step] = field(default_factory=list)
    gaps: list[int] = field(default_factory=list)
    received_at: datetime | None = None

    @property
    def external_id(self) -> str:
        return f"{WALK_EXT_PREFIX}{self.index + 1:04d}"


def customer_specs(seed: int, count: int) -> list[CustomerSpec]:
    out = []
    for i in range(count):
        rng = random.Random(f"{seed}-customer-{i}")
        place = _PLACES[i % len(_PLACES)] if i % 5 else D.STATION_PLACES[0]
        category = D.CUSTOMER_CATEGORIES[i % 4] if i < 12 else rng.choices(D.CUSTOMER_CATEGORIES, D.CUSTOMER_CATEGORY_WEIGHTS)[0]
        out.append(
            CustomerSpec(
                account_no=f"{WALK_ACCOUNT_PREFIX}{i + 1:08d}",
                name=D.customer_name(rng, category, place),
                phone=D.customer_phone(rng, category),
                address=D.address(rng, place, category),
                id_number=D.id_number(rng, place.area_code) if category == "residential" else "",
                category=category,
                voltage=D.voltage_level(rng, category),
                sensitive=i % 9 == 4 or rng.random() < D.SENSITIVE_SHARE[category],
                place=place,
            )
        )
    return out


class _Flags(TypedDict, total=False):
    """The boolean fields of :class:`Plan` a spec sets."""

    overdue: bool
    station_open: bool
    late: bool


def _specs(per_state: int) -> list[tuple[str, str, _Flags]]:
    """(target state, journey kind, flags) for every planned order."""
    out: list[tuple[str, str, _Flags]] = []
    extra = max(1, per_state // 4)
    for si, target in enumerate(TARGETS):
        count = per_state * (3 if target == State.ARCHIVED else 1)
        kind = {State.INVALID: "invalid", State.MERGED: "merged"}.get(State(target), "normal")
        for i in range(count):
            flags: _Flags = {"overdue": target in _OPEN and (i + si) % 3 == 0, "late": target == State.ARCHIVED and i % 5 == 2}
            out.append((target, kind, flags))
        if target == State.INVESTIGATING:
            out += [(target, "revisit", {}) for _ in range(max(1, per_state // 2))]
            out += [(target, "mgr_reopen", {}) for _ in range(extra)]
            out += [(target, "returned", {"overdue": True}) for _ in range(extra)]
            out += [(target, "normal", {"station_open": True}) for _ in range(extra)]
        elif target == State.REPORTED:
            out.append((target, "returned", {}))
        elif target == State.ARCHIVED:
            out += [(target, "revisit", {}) for _ in range(max(1, per_state // 2))]
            out.append((target, "mgr_reopen", {}))
    return out


def _received_at(rng: random.Random, target: str, overdue: bool, now: datetime) -> datetime:
    if target in _OPEN:
        if overdue:
            at = now - timedelta(days=rng.uniform(6, 20))
            # Past the longest time limit even around long holidays.
            while rules.handling_deadline(at, "important").due_at >= now - timedelta(hours=12):
                at -= timedelta(days=1)
            return at
        return now - timedelta(hours=rng.uniform(1, 30))
    days = {
        State.FED_BACK: (1.5, 5), State.VISITED: (3, 8), State.ASSESSED: (6, 15), State.ARCHIVED: (10, 58),
        State.INVALID: (1, 50), State.MERGED: (1, 50), State.SUSPENDED: (0.5, 3),
    }[State(target)]
    return now - timedelta(days=rng.uniform(*days))


def build_plans(seed: int, per_state: int, customers: list[CustomerSpec], now: datetime) -> list[Plan]:
    plans: list[Plan] = []
    first_station = [c for c in customers if c.place.station_code == D.STATION_PLACES[0].station_code]
    for idx, (target, kind, flags) in enumerate(_specs(per_state)):
        rng = random.Random(f"{seed}-order-{idx}")
        p = Plan(index=idx, target=target, kind=kind, **flags)
        p.order_type = D.ORDER_TYPES[idx] if idx < len(D.ORDER_TYPES) else rng.choices(D.ORDER_TYPES, D.ORDER_TYPE_WEIGHTS)[0]
        p.channel = D.CHANNELS[idx % len(D.CHANNELS)] if idx < 2 * len(D.CHANNELS) else rng.choices(D.CHANNELS, D.CHANNEL_WEIGHTS)[0]
        if p.order_type == "complaint":
            cats = list(D.COMPLAINT_CATEGORY_WEIGHTS)
            p.category = cats[idx % len(cats)] if idx < 3 * len(cats) else rng.choices(cats, list(D.COMPLAINT_CATEGORY_WEIGHTS.values()))[0]
        if p.station_open:
            p.customer = first_station[idx % len(first_station)]
        else:
            p.customer = rng.choice(customers)
        title, content, remedy = rng.choice(D.texts_for(p.order_type, p.category))
        place = p.customer.place
        p.title, p.content, p.remedy = title, D.fill(rng, content, place.town, place.county), remedy
        p.anonymous = rng.random() < 0.05
        p.override = rng.random() < 0.12
        p.urge = rng.random() < 0.15 or (p.overdue and target != State.RECEIVED)
        with_station = bool(p.customer.place.station_code) and (p.station_open or rng.random() < 0.45)
        full = journey(rng, kind, station=with_station, urge=p.urge and target != State.RECEIVED, forward_first=rng.random() < 0.6)
        if p.station_open:
            i = next(i for i, s in enumerate(full) if s.action == "assign_station")
            p.steps = full[: i + 1]
        elif target == State.SUSPENDED:  # 挂起 while investigating (issue 3)
            p.steps = [*cut_at_last(full, State.INVESTIGATING), Step("suspend", State.SUSPENDED)]
        else:
            p.steps = cut_at_last(full, target)
        if target == State.RECEIVED and p.urge:
            p.steps = [Step("urge", State.RECEIVED)]
        p.received_at = _received_at(rng, target, p.overdue, now)
        stall_at = next((i for i, s in enumerate(p.steps) if s.action == "submit_report"), None) if p.late else None
        p.gaps = gaps_seconds(rng, p.steps, stall_at=stall_at, stall=6.0)
        plans.append(p)
    # Duplicates are merged into an order that is still open.
    open_targets = [p for p in plans if p.target in _OPEN and p.kind == "normal" and p.target != State.RECEIVED]
    for p in plans:
        if p.kind != "merged":
            continue
        t = open_targets[p.index % len(open_targets)]
        p.merge_into = t.index
        p.order_type, p.category, p.customer, p.title = t.order_type, t.category, t.customer, t.title
        p.content = "客户再次来电反映：" + t.content
        p.remedy = t.remedy
        assert t.received_at is not None
        p.received_at = min(t.received_at + timedelta(minutes=30 + 11 * p.index % 300), now - timedelta(minutes=20))
    for p in plans:
        _fit(p, now)
    return plans


def _fit(p: Plan, now: datetime) -> None:
    """Compress the step gaps so the whole history lies before now."""
    assert p.received_at is not None
    window = (now - p.received_at).total_seconds() - 300
    total = sum(p.gaps)
    if total > window:
        f = max(window, 60) / total
        p.gaps = [max(1, int(g * f)) for g in p.gaps]


# ------------------------------------------------------------------ loading


def ensure_customers(specs: list[CustomerSpec], ctx: DemoContext) -> dict[str, Customer]:
    existing = {c.account_no: c for c in Customer.objects.filter(account_no__in=[s.account_no for s in specs])}
    new = []
    for s in specs:
        if s.account_no in existing:
            continue
        station = ctx.org.departments.get(s.place.station_code) if s.place.station_code else None
        new.append(
            Customer(
                account_no=s.account_no, name=s.name, phone=s.phone, address=s.address, id_number=s.id_number,
                category=s.category, voltage_level=s.voltage, station=station, sensitive=s.sensitive,
            )
        )
    Customer.objects.bulk_create(new)
    if new:
        # Account holders of long standing: the demo's whole order history lies
        # after they became customers (万户投诉率 counts the customers a unit had).
        Customer.objects.filter(account_no__in=[c.account_no for c in new]).update(
            created_at=real_now() - timedelta(days=3 * 365)
        )
    return {c.account_no: c for c in Customer.objects.filter(account_no__in=[s.account_no for s in specs])}


class Walker:
    def __init__(self, ctx: DemoContext, seed: int, log: Any = None) -> None:
        self.ctx = ctx
        self.seed = seed
        self.log = log or (lambda msg: None)

    def run(self, per_state: int) -> dict[str, int]:
        now = real_now()
        specs = customer_specs(self.seed, 16 + 6 * per_state)
        ensure_customers(specs, self.ctx)
        plans = build_plans(self.seed, per_state, specs, now)
        exists = set(
            WorkOrder.objects.filter(external_id__in=[p.external_id for p in plans]).values_list("external_id", flat=True)
        )
        numbers: dict[int, str] = {}
        stats = {"planned": len(plans), "created": 0, "skipped": 0}
        with simulated_clock() as clock:
            for p in sorted(plans, key=lambda p: p.kind == "merged"):
                if p.external_id in exists:
                    stats["skipped"] += 1
                    continue
                if p.merge_into is not None and p.merge_into not in numbers:
                    target = WorkOrder.objects.filter(external_id=plans[p.merge_into].external_id).first()
                    if target is None:
                        stats["skipped"] += 1
                        continue
                    numbers[p.merge_into] = target.number
                numbers[p.index] = self._walk(p, clock, numbers)
                stats["created"] += 1
        return stats

    # one order ---------------------------------------------------------

    def _walk(self, p: Plan, clock: Any, numbers: dict[int, str]) -> str:
        rng = random.Random(f"{self.seed}-walk-{p.index}")
        assert p.received_at is not None and p.customer is not None
        at = p.received_at + timedelta(seconds=p.gaps[0])
        clock.at = at
        c = p.customer
        with transaction.atomic():
            order, _ = services.work_order_intake(
                actor=self.ctx.actor("agent"),
                data=IntakeData(
                    channel=p.channel, type=p.order_type, content=p.content, received_at=p.received_at,
                    external_id=p.external_id, category=p.category, title=p.title, remedy_sought=p.remedy,
                    anonymous=p.anonymous,
                    customer=CustomerData(account_no=c.account_no, name=c.name, phone=c.phone, address=c.address, category=c.category),
                ),
            )
            number = order.number
            lead, lead_dept = "admin", None
            for step, gap in zip(p.steps, p.gaps[1:]):
                at += timedelta(seconds=gap)
                clock.at = at
                username, payload = self._step(rng, p, order, step, lead, numbers)
                if step.action == "confirm_report":  # four eyes: not the submitter
                    username = self.ctx.confirmer(lead_dept, lead)
                order = services.work_order_act(order=number, actor=self.ctx.actor(username), action=step.action, data=payload)
                if step.action == "dispatch":
                    primary = LeadAssignment.objects.filter(order__number=number, primary=True).first()
                    lead = self.ctx.handler_of.get(primary.department_id, "admin") if primary else "admin"
                    lead_dept = primary.department_id if primary else None
        return number

    def _step(
        self, rng: random.Random, p: Plan, order: WorkOrder, step: Step, lead: str, numbers: dict[int, str]
    ) -> tuple[str, dict[str, Any]]:
        a = step.action
        key = D.report_key(p.category)
        station = p.customer.place.station_code if p.customer else None
        if a == "forward":
            return "agent", {}
        if a == "grade":
            grade, complexity = order.suggested_grade or 4, order.suggested_complexity or "ordinary"
            reason = ""
            if p.override:
                if grade > 1:
                    grade, complexity, reason = grade - 1, "important", rng.choice(D.GRADE_UP_REASONS)
                else:
                    grade, reason = 2, rng.choice(D.GRADE_DOWN_REASONS)
            return "specialist", {"grade": grade, "complexity": complexity, "reason": reason}
        if a == "dispatch":
            return "specialist", {}
        if a in ("accept", "confirm_report"):
            return lead, {}
        if a == "assign_station":
            return lead, {"stations": [station], "note": rng.choice(D.ASSIGN_NOTES)}
        if a == "station_findings":
            st = self.ctx.org.departments[station] if station else None
            who = self.ctx.investigator_of.get(st.pk) if st else None
            return who or lead, {"findings": rng.choice(D.STATION_FINDINGS[key]), "station": station or ""}
        if a == "submit_report":
            findings, responsibility, rectification, at_fault = rng.choice(D.REPORT_TEXTS[key])
            return lead, {
                "findings": findings, "responsibility": responsibility, "rectification": rectification,
                "company_at_fault": at_fault,
                "responsible_department": (station or "") if at_fault else "",
                "responsible_person": D.person_name(rng) if at_fault else "",
            }
        if a == "return_report":
            return "manager", {"note": rng.choice(D.RETURN_REPORT_NOTES)}
        if a == "return_visit":
            outcome = step.arg or "satisfied"
            return "specialist", {
                "method": rng.choices(("phone", "sms", "wechat", "onsite"), (80, 8, 8, 4))[0],
                "outcome": outcome,
                "customer_words": rng.choice(D.VISIT_WORDS[outcome]),
                "solved": {"satisfied": True, "basically_satisfied": True, "unsatisfied": False}.get(outcome),
            }
        if a == "assess":
            return "manager", {"note": rng.choice(D.ASSESS_NOTES), "score": rng.choice((100, 100, 98, 95, 90, 80))}
        if a == "archive":
            return "manager", {}
        if a == "reopen":
            return "manager", {"reason": rng.choice(D.REOPEN_REASONS)}
        if a == "invalidate":
            return "agent", {"reason": rng.choice(D.INVALID_REASONS)}
        if a == "merge":
            assert p.merge_into is not None
            return "agent", {"into": numbers[p.merge_into], "note": rng.choice(D.MERGE_NOTES)}
        if a == "urge":
            return "agent", {"note": rng.choice(D.URGE_NOTES)}
        if a == "suspend":  # a manager approves (and takes) the suspension
            return "manager", {"reason": "等待客户提供相关证明材料"}
        raise ValueError(a)
