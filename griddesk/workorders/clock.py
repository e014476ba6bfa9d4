"""The order clock as applied to orders: the SLA policies, the handling
deadline and the stage clock of a work order (reads and arithmetic; the writes
of the clock — overdue marks and recomputes — are in :mod:`.clock_services`).

``griddesk.sla`` holds the data this reads — the policy rows (``SlaPolicy``,
``BusinessHours``, ``DepartmentArea``) and the working-day calendar
(``sla.selectors.effective_calendar``) — and knows nothing of orders; the
matching and the time arithmetic are pure (``engines.sla``, ``engines.workdays``).

Policies
--------

One :class:`SlaRules` is loaded per request / batch (three small queries: the
active policies, the business hours, the department area types) and answers
for many orders without further queries, except for an order's area type when
its customer's station is not loaded. The intake takes it from the per-process
cache (``rules.intake_rules``).

The stage clock
---------------

The current stage's own time limit stored on the order.

Besides the handling deadline, the paper sets limits per stage: the 95598
station forwards within 2 working hours, the specialist grades within 2
working hours, a fault repair's crew arrives within 45 / 90 / 120 natural
minutes (urban / rural / remote). One slot per order (``WorkOrder.stage``,
``stage_policy``, ``stage_started_at``, ``stage_deadline_at``,
``stage_provisional``, ``stage_overdue``) holds the stage that is running:

- intake starts ``forward`` (or, for fault repair with a matching arrival
  policy, ``arrival``) at the receipt time;
- ``forward`` starts ``grade`` at the forwarding time (the specialist's 2 hours
  count from when the order reaches them);
- ``grade`` stops the stage clock;
- ``arrival`` runs until the station reports findings (or a report is
  submitted): there is no "arrived" action (``engines.sla.ARRIVAL_STOP_ACTIONS``).

The flow itself is pure (``engines.sla.stage_at_intake`` / ``stage_after``);
this module applies it to an order object (no save: the caller's write saves
the returned fields). The watcher (``notifications.tasks``) warns and marks
``stage_overdue``; a calendar or policy change recomputes running stages
(:func:`.clock_services.stage_deadlines_recompute`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from griddesk.engines import sla, workdays
from griddesk.engines.workflow import OPEN_STATES
from griddesk.sla.models import DepartmentArea, SlaPolicy
from griddesk.sla.policies import business_hours, policy_from_row
from griddesk.sla.selectors import effective_calendar

from .models import WorkOrder

DEFAULT_AREA = "urban"


# ------------------------------------------------------------------ policies


@dataclass
class SlaRules:
    policies: list[sla.Policy]
    days_by_complexity: dict[str, int]
    hours: sla.BusinessHours
    calendar: workdays.WorkdayCalendar
    areas: dict[int, str]

    # ------------------------------------------------------------ facts
    def uses_area(self, stage: str | None = None) -> bool:
        """Whether any policy (of ``stage``) looks at the area type: only then
        is an order's area type worked out (it may cost a join or a query)."""
        return any(p.area_types for p in self.policies if stage is None or p.stage == stage)

    def area_type_for_path(self, path: str) -> str:
        """The nearest department on ``path`` ("/1/4/17/") with an area type."""
        for part in reversed([p for p in path.strip("/").split("/") if p]):
            found = self.areas.get(int(part))
            if found:
                return found
        return DEFAULT_AREA

    def area_type(self, order: WorkOrder) -> str:
        customer = order.customer if order.customer_id else None
        if customer is not None and customer.station_id:
            return self.area_type_for_path(customer.station.path)  # type: ignore[union-attr]
        return self.area_type_for_path(order.company.path)

    def facts(self, order: WorkOrder, stage: str | None = "handling", **changes: Any) -> sla.Facts:
        """The order's facts for matching policies of ``stage`` (None: any stage)."""
        return sla.Facts(
            order_type=changes.get("type", order.type),
            complexity=changes.get("complexity", order.complexity),
            grade=changes.get("grade", order.grade),
            channel=order.channel,
            area_type=self.area_type(order) if self.uses_area(stage) else None,
        )

    # ------------------------------------------------------------ answers
    def policy(self, facts: sla.Facts, stage: str) -> sla.Policy | None:
        return sla.resolve(self.policies, facts, stage, self.days_by_complexity)

    def handling_policy(self, facts: sla.Facts) -> sla.Policy:
        p = self.policy(facts, "handling")
        assert p is not None  # the handling stage always falls back
        return p

    def deadline(self, policy: sla.Policy, received_at: datetime, extension: int = 0) -> workdays.Deadline:
        return sla.deadline(policy, received_at, self.calendar, hours=self.hours, extension=extension)

    def handling(self, order: WorkOrder, **changes: Any) -> tuple[sla.Policy, workdays.Deadline]:
        """The handling policy and deadline of ``order`` (suspended time
        included), from the receipt or, for a reopened order, the reopen."""
        p = self.handling_policy(self.facts(order, **changes))
        return p, self.deadline(p, order.clock_start, order.suspension_extension)

    def stages(self, facts: sla.Facts, received_at: datetime) -> dict[str, tuple[sla.Policy, workdays.Deadline]]:
        out: dict[str, tuple[sla.Policy, workdays.Deadline]] = {}
        for stage in sla.STAGES:
            p = self.policy(facts, stage)
            if p is not None:
                out[stage] = (p, self.deadline(p, received_at))
        return out


def load(calendar: workdays.WorkdayCalendar | None = None) -> SlaRules:
    """One :class:`SlaRules` (three small queries; the calendar is cached)."""
    from . import rules

    return SlaRules(
        policies=[policy_from_row(r) for r in SlaPolicy.objects.filter(active=True)],
        days_by_complexity=rules.working_days_by_complexity(),
        hours=business_hours(),
        calendar=calendar or rules.calendar(),
        areas=dict(DepartmentArea.objects.values_list("department_id", "area_type")),
    )


# ------------------------------------------------------------------ the stage clock

#: The order fields this module writes.
STAGE_FIELDS = (
    "stage", "stage_policy", "stage_started_at", "stage_deadline_at", "stage_provisional", "stage_overdue", "stage_extension",
)


def stage_policy(order: WorkOrder, rules: SlaRules, stage: str) -> sla.Policy | None:
    return rules.policy(rules.facts(order, stage), stage)


def _stage_stop(order: WorkOrder) -> list[str]:
    """No stage clock: clear every stage field on ``order``; returns their names."""
    order.stage, order.stage_policy, order.stage_started_at = "", "", None
    order.stage_deadline_at, order.stage_provisional, order.stage_overdue = None, False, False
    order.stage_extension = 0
    return list(STAGE_FIELDS)


def stage_start(order: WorkOrder, rules: SlaRules, stage: str, at: datetime) -> list[str]:
    """Start ``stage``'s clock at ``at`` ("" or no matching policy: no stage
    clock). Sets the fields on ``order``; returns their names."""
    policy = stage_policy(order, rules, stage) if stage else None
    if policy is None:
        return _stage_stop(order)
    dl = rules.deadline(policy, at)
    order.stage, order.stage_policy, order.stage_started_at = stage, policy.code, at
    order.stage_deadline_at, order.stage_provisional = dl.due_at, dl.provisional
    order.stage_overdue = False
    order.stage_extension = 0
    return list(STAGE_FIELDS)


def stage_on_intake(order: WorkOrder, rules: SlaRules) -> None:
    """Intake: ``forward`` from receipt, or fault repair's ``arrival``."""
    has_arrival = False
    if order.type in sla.ARRIVAL_ORDER_TYPES:
        has_arrival = stage_policy(order, rules, "arrival") is not None
    stage_start(order, rules, sla.stage_at_intake(order.type, has_arrival), order.received_at)


def stage_on_action(order: WorkOrder, action: str, at: datetime) -> list[str]:
    """The hook of every state change (``services._transition``):
    moves the stage clock on; returns the fields it changed (none, usually).
    Loads the policies only when a new stage starts."""
    nxt = sla.stage_after(order.stage or "", action)
    if nxt == sla.KEEP:
        return []
    if nxt == "":
        if not order.stage:
            return []
        return _stage_stop(order)
    return stage_start(order, load(), nxt, at)


def stage_on_resume(order: WorkOrder, rules: SlaRules, suspended_at: datetime, now: datetime) -> dict[str, object]:
    """Resuming a suspended order: the running stage (a fault repair's
    ``arrival``: the customer was not home) gets the suspended time back, in
    its policy's unit, kept in ``stage_extension`` so a later recompute keeps
    it. Sets the fields on ``order``; returns what the resume event records
    (empty when no stage clock runs)."""
    if not order.stage or order.stage_started_at is None:
        return {}
    policy = stage_policy(order, rules, order.stage)
    if policy is None:
        return {}
    gained = sla.suspension_extension(policy.kind, suspended_at, now, rules.calendar, hours=rules.hours)
    before = order.stage_deadline_at
    order.stage_extension += gained
    dl = rules.deadline(policy, order.stage_started_at, order.stage_extension)
    order.stage_deadline_at, order.stage_provisional = dl.due_at, dl.provisional
    order.stage_overdue = dl.due_at < now
    return {
        "stage": order.stage,
        "stage_extension": gained,
        "stage_deadline_before": before.isoformat() if before else None,
        "stage_deadline_at": dl.due_at.isoformat(),
    }


def stage_event_data(order: WorkOrder) -> dict[str, object]:
    """What the event of the action that moved the stage clock records."""
    return {
        "stage": order.stage,
        "stage_policy": order.stage_policy,
        "stage_deadline_at": order.stage_deadline_at.isoformat() if order.stage_deadline_at else None,
    }


# ------------------------------------------------------------------ deadline look-up (/api/v1/sla/deadline)


@dataclass(frozen=True)
class StageAnswer:
    stage: str
    due_at: datetime
    provisional: bool
    rule: dict[str, Any]


@dataclass(frozen=True)
class DeadlineAnswer:
    due_at: datetime
    provisional: bool
    working_days: int | None
    rule: dict[str, Any]
    stages: list[StageAnswer]


def default_complexity(grade: int | None) -> str:
    """Grade 1 (the most serious) implies an important/complex order."""
    return "important" if grade == 1 else "ordinary"


def _rule(p: Any, **facts: Any) -> dict[str, Any]:
    if p.code.startswith("time_limit."):
        # The base layer (no handling policy matched): the time-limit rule.
        return {"kind": p.kind, "code": p.code, "complexity": facts["complexity"], "type": facts["type"]}
    unit = "working_days" if p.kind == "working_days" else "minutes"
    return {"kind": p.kind, "code": p.code, "amount": p.amount, "unit": unit, "stage": p.stage, **facts}


def deadline_for(
    *,
    received_at: datetime,
    type: str,
    grade: int | None = None,
    complexity: str | None = None,
    channel: str | None = None,
    area_type: str | None = None,
) -> DeadlineAnswer:
    """The handling deadline (and stage limits) an order with these facts would
    get under the SLA policies; without a matching handling policy, N working
    days by complexity (TimeLimitRule, else the engine defaults)."""
    complexity = complexity or default_complexity(grade)
    rules = load()
    facts = sla.Facts(order_type=type, complexity=complexity, grade=grade, channel=channel, area_type=area_type)
    answered = rules.stages(facts, received_at)
    p, dl = answered["handling"]
    return DeadlineAnswer(
        due_at=dl.due_at,
        provisional=dl.provisional,
        working_days=p.amount if p.kind == "working_days" else None,
        rule=_rule(p, complexity=complexity, type=type),
        stages=[
            StageAnswer(stage=stage, due_at=d.due_at, provisional=d.provisional, rule=_rule(sp, complexity=complexity, type=type))
            for stage, (sp, d) in answered.items()
        ],
    )


# ------------------------------------------------------------------ the calendar banner


def provisional_years_in_use(*, today: date | None = None) -> list[int]:
    """Years not yet confirmed in which open orders have provisional deadlines.

    Only the few years around today can hold open deadlines; each candidate
    that the calendar marks provisional costs one EXISTS on the
    (state, deadline_at) index.
    """
    cal = effective_calendar()
    today = today or timezone.localdate()
    zone = ZoneInfo(workdays.DEFAULT_TZ)
    years = []
    for year in range(today.year - 1, today.year + 3):
        if not cal.is_provisional_year(year):
            continue
        start = datetime(year, 1, 1, tzinfo=zone)
        end = datetime(year + 1, 1, 1, tzinfo=zone)
        if WorkOrder.objects.filter(
            state__in=list(OPEN_STATES), deadline_provisional=True, deadline_at__gte=start, deadline_at__lt=end
        ).exists():
            years.append(year)
    return years
