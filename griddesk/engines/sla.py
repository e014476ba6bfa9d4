"""SLA policies as data: which time limit applies to an order, and its arithmetic.

Pure Python, no Django.  The Django side (``griddesk.sla``) turns the editable
``SlaPolicy`` rows into :class:`Policy` objects and asks :func:`match` which one
applies to an order's :class:`Facts` for a *stage*:

``handling``  the whole complaint (receipt → report confirmed);
``forward``   the 95598 station forwards the order to the service specialist;
``grade``     the specialist grades it;
``arrival``   fault repair: the crew arrives on site.

Matching rule (ADR 0010): a policy matches when every criterion it sets
(order types, grades, complexities, channels, area types; an empty set means
"any") contains the order's value.  Among the matching policies of the stage
the **most specific** wins — the one that sets the most criteria; ties go to
the lower ``priority`` number, then to the code (so the choice is
deterministic).  A criterion the order does not know yet (grade before
grading, area type of an order without a customer) only matches policies that
leave it open.

Rule kinds:

``working_days``   due 23:59:59 local on the ``amount``-th working day after
                   the local receipt day (:func:`workdays.working_day_deadline`);
``working_hours``  ``amount`` *minutes* of business hours on working days
                   (:func:`workdays.working_hours_deadline`);
``natural``        ``amount`` minutes of plain elapsed time.

Suspension (挂起) stops the clock: :func:`suspension_extension` measures the
suspended time in the policy's unit, and :func:`deadline` adds it to the
budget (``extension``), so a recomputation after a calendar change keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Final, Literal

from . import workdays
from .workdays import Deadline, WorkdayCalendar

__all__ = [
    "AREA_TYPES",
    "DEFAULT_BUSINESS_HOURS",
    "KINDS",
    "STAGES",
    "BusinessHours",
    "Facts",
    "Policy",
    "deadline",
    "fallback_handling_policy",
    "match",
    "resolve",
    "suspension_extension",
    "working_minutes_between",
]

Kind = Literal["working_days", "working_hours", "natural"]
KINDS: Final[tuple[str, ...]] = ("working_days", "working_hours", "natural")
STAGES: Final[tuple[str, ...]] = ("handling", "forward", "grade", "arrival")
AREA_TYPES: Final[tuple[str, ...]] = ("urban", "rural", "remote")


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Daily business hours (local wall-clock) counted by ``working_hours`` rules."""

    start: time = time(8, 30)
    end: time = time(17, 30)

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("business hours must be naive local times")
        if self.end <= self.start:
            raise ValueError(f"business hours end {self.end} must be after start {self.start}")

    @property
    def minutes_per_day(self) -> int:
        d = date(2000, 1, 1)
        return int((datetime.combine(d, self.end) - datetime.combine(d, self.start)).total_seconds() // 60)


DEFAULT_BUSINESS_HOURS: Final = BusinessHours()


@dataclass(frozen=True, slots=True)
class Policy:
    """One time limit.  ``amount`` is working days (``working_days``) or
    minutes (``working_hours``, ``natural``)."""

    code: str
    stage: str
    kind: str
    amount: int
    order_types: frozenset[str] = field(default_factory=frozenset)
    grades: frozenset[int] = field(default_factory=frozenset)
    complexities: frozenset[str] = field(default_factory=frozenset)
    channels: frozenset[str] = field(default_factory=frozenset)
    area_types: frozenset[str] = field(default_factory=frozenset)
    priority: int = 100

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"unknown stage {self.stage!r}; expected one of {', '.join(STAGES)}")
        if self.kind not in KINDS:
            raise ValueError(f"unknown rule kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if self.amount < 0:
            raise ValueError(f"amount must be >= 0, got {self.amount}")
        bad = sorted(self.area_types - set(AREA_TYPES))
        if bad:
            raise ValueError(f"unknown area type(s): {', '.join(bad)}")
        bad_grades = sorted(g for g in self.grades if g not in (1, 2, 3, 4))
        if bad_grades:
            raise ValueError(f"grades must be 1-4, got {bad_grades}")

    @property
    def specificity(self) -> int:
        """How many criteria the policy sets (the more, the more specific)."""
        return sum(
            1
            for s in (self.order_types, self.grades, self.complexities, self.channels, self.area_types)
            if s
        )

    def matches(self, facts: Facts) -> bool:
        return (
            _ok(self.order_types, facts.order_type)
            and _ok(self.grades, facts.grade)
            and _ok(self.complexities, facts.complexity)
            and _ok(self.channels, facts.channel)
            and _ok(self.area_types, facts.area_type)
        )


def _ok(allowed: frozenset[str] | frozenset[int], value: str | int | None) -> bool:
    if not allowed:
        return True
    return value is not None and value in allowed


@dataclass(frozen=True, slots=True)
class Facts:
    """What matching looks at.  ``None`` = not known (yet)."""

    order_type: str
    complexity: str
    grade: int | None = None
    channel: str | None = None
    area_type: str | None = None


def _rank(p: Policy) -> tuple[int, int, str]:
    return (-p.specificity, p.priority, p.code)


def match(policies: Iterable[Policy], facts: Facts, stage: str) -> Policy | None:
    """The most specific policy of ``stage`` matching ``facts`` (None if none)."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    best: Policy | None = None
    for p in policies:
        if p.stage != stage or not p.matches(facts):
            continue
        if best is None or _rank(p) < _rank(best):
            best = p
    return best


def fallback_handling_policy(days_by_complexity: Mapping[str, int], complexity: str) -> Policy:
    """The base layer when no handling policy matches: the time-limit rule by
    complexity (the paper's 2 / 4 working days)."""
    days = days_by_complexity.get(complexity)
    if days is None:
        days = workdays.DEFAULT_WORKING_DAYS_BY_COMPLEXITY.get(complexity, 2)
    return Policy(code=f"time_limit.{complexity}", stage="handling", kind="working_days", amount=days)


def resolve(
    policies: Iterable[Policy], facts: Facts, stage: str, days_by_complexity: Mapping[str, int]
) -> Policy | None:
    """:func:`match`, with the time-limit fallback for the handling stage."""
    found = match(policies, facts, stage)
    if found is None and stage == "handling":
        return fallback_handling_policy(days_by_complexity, facts.complexity)
    return found


# ------------------------------------------------------------------ arithmetic


def deadline(
    policy: Policy,
    received_at: datetime,
    calendar: WorkdayCalendar,
    *,
    hours: BusinessHours = DEFAULT_BUSINESS_HOURS,
    extension: int = 0,
    tz: str = workdays.DEFAULT_TZ,
) -> Deadline:
    """The due time under ``policy`` for an order received at ``received_at``,
    its budget extended by ``extension`` (suspended time, in the policy's unit)."""
    if extension < 0:
        raise ValueError(f"extension must be >= 0, got {extension}")
    budget = policy.amount + extension
    if policy.kind == "working_days":
        return workdays.working_day_deadline(received_at, budget, calendar, tz)
    if policy.kind == "working_hours":
        return workdays.working_hours_deadline(
            received_at, budget / 60, calendar, day_start=hours.start, day_end=hours.end, tz=tz
        )
    return workdays.natural_deadline(received_at, budget)


def working_minutes_between(
    start: datetime,
    end: datetime,
    calendar: WorkdayCalendar,
    *,
    hours: BusinessHours = DEFAULT_BUSINESS_HOURS,
    tz: str = workdays.DEFAULT_TZ,
) -> int:
    """Whole business minutes on working days in [start, end); 0 if end <= start."""
    for name, v in (("start", start), ("end", end)):
        if v.tzinfo is None or v.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware")
    if end <= start:
        return 0
    zone = workdays._zone(tz)
    a = start.astimezone(zone)
    b = end.astimezone(zone)

    def overlap(d: date, lo: datetime | None, hi: datetime | None) -> timedelta:
        if not calendar.is_workday(d):
            return timedelta(0)
        o = datetime.combine(d, hours.start, tzinfo=zone)
        c = datetime.combine(d, hours.end, tzinfo=zone)
        o = max(lo, o) if lo is not None else o
        c = min(hi, c) if hi is not None else c
        return max(c - o, timedelta(0))

    da, db = a.date(), b.date()
    if da == db:
        total = overlap(da, a, b)
    else:
        total = overlap(da, a, None) + overlap(db, None, b)
        middle = calendar.workdays_between(da, db) - (1 if calendar.is_workday(db) else 0)
        total += timedelta(minutes=hours.minutes_per_day * middle)
    return int(total.total_seconds() // 60)


def suspension_extension(
    kind: str,
    suspended_at: datetime,
    resumed_at: datetime,
    calendar: WorkdayCalendar,
    *,
    hours: BusinessHours = DEFAULT_BUSINESS_HOURS,
    tz: str = workdays.DEFAULT_TZ,
) -> int:
    """How much to extend a deadline for the time the order was suspended, in
    the policy's unit:

    - ``working_days``: the working days in (local suspend day, local resume
      day] — suspended and resumed on the same day costs nothing; suspended on
      Monday, resumed on Wednesday gives two more working days;
    - ``working_hours``: the business minutes on working days in between;
    - ``natural``: the elapsed minutes (rounded down).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown rule kind {kind!r}")
    if resumed_at <= suspended_at:
        return 0
    if kind == "working_days":
        zone = workdays._zone(tz)
        return calendar.workdays_between(
            suspended_at.astimezone(zone).date(), resumed_at.astimezone(zone).date()
        )
    if kind == "working_hours":
        return working_minutes_between(suspended_at, resumed_at, calendar, hours=hours, tz=tz)
    return int((resumed_at - suspended_at).total_seconds() // 60)


# ------------------------------------------------------------------ stage clock

#: Actions that end the fault-repair ``arrival`` stage. There is no "arrived"
#: action in the workflow: the first record of someone on site is the
#: station's findings; a submitted report implies the site was visited.
ARRIVAL_STOP_ACTIONS: Final[frozenset[str]] = frozenset({"station_findings", "submit_report"})
#: Order types whose intake starts the ``arrival`` stage (when a policy matches).
ARRIVAL_ORDER_TYPES: Final[frozenset[str]] = frozenset({"fault_repair"})

#: Sentinel of :func:`stage_after`: the current stage keeps running.
KEEP: Final = "=keep"


def stage_at_intake(order_type: str, has_arrival_policy: bool) -> str:
    """The stage whose clock starts at receipt: fault repair's ``arrival`` (when
    an arrival policy matches), else ``forward`` (the 95598 station forwards)."""
    if order_type in ARRIVAL_ORDER_TYPES and has_arrival_policy:
        return "arrival"
    return "forward"


def stage_after(current: str, action: str) -> str:
    """The stage whose clock runs after ``action`` on an order in stage
    ``current`` ("" = none): :data:`KEEP` (no change), "" (stage clock stops) or
    a new stage (its clock starts at the action's time).

    - ``forward`` → ``grade`` (the specialist now has to grade);
    - ``grade`` → none (the handling deadline alone runs);
    - ``arrival`` runs through forwarding and grading until one of
      :data:`ARRIVAL_STOP_ACTIONS`; with one stage slot per order, a fault
      repair's forward/grade limits are not watched (the arrival limit,
      minutes, is the tighter one).
    """
    if current == "arrival":
        return "" if action in ARRIVAL_STOP_ACTIONS else KEEP
    if current == "forward" and action == "forward":
        return "grade"
    if current in ("forward", "grade") and action == "grade":
        return ""
    return KEEP
