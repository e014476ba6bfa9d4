"""Per-order assessment (考核) scoring: facts about a handled order + editable
rules → item points and a score. Pure Python, no Django.

The rules are data (a JSON document stored per version by the assessment app);
:func:`rules_from_dict` validates one and :func:`score_order` applies it.
Working hours (for "overdue by how much" and handling time) are counted on the
official working-day calendar between ``day_start`` and ``day_end`` local time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .workdays import WorkdayCalendar

DEFAULT_TZ = "Asia/Shanghai"

#: Item codes, in display order.
ITEMS: tuple[str, ...] = ("overdue", "overdue_hours", "at_fault", "unsatisfied", "repeat", "escalated", "urged", "reopened")

SATISFIED_OUTCOMES = frozenset({"satisfied", "basically_satisfied"})


class RulesError(ValueError):
    """The rules document is not valid (field → message)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class ItemRule:
    """Points for one item: ``points`` once (flag items) or per unit (count /
    hour items), capped in absolute value by ``cap`` (``None``: no cap)."""

    points: float
    cap: float | None = None


@dataclass(frozen=True)
class ScoringRules:
    base: float = 100.0
    floor: float = 0.0
    items: Mapping[str, ItemRule] = field(default_factory=dict)
    #: department type → weight applied to the sum of item points
    weights: Mapping[str, float] = field(default_factory=dict)
    repeat_window_days: int = 30
    training_threshold: int = 3
    day_start: time = time(8, 30)
    day_end: time = time(17, 30)


DEFAULT_RULES: dict[str, Any] = {
    "base": 100,
    "floor": 0,
    "items": {
        "overdue": {"points": -10},
        "overdue_hours": {"points": -1, "cap": 20},
        "at_fault": {"points": -20},
        "unsatisfied": {"points": -15},
        "repeat": {"points": -10},
        "escalated": {"points": -10},
        "urged": {"points": -2, "cap": 10},
        "reopened": {"points": -5, "cap": 15},
    },
    "weights": {
        "marketing": 1.0,
        "audit": 1.0,
        "customer_center": 1.0,
        "power_station": 1.0,
        "county_company": 1.0,
        "company": 1.0,
    },
    "repeat_window_days": 30,
    "training_threshold": 3,
    "day_start": "08:30",
    "day_end": "17:30",
}


def _num(doc: Mapping[str, Any], key: str, name: str, default: float) -> float:
    v = doc.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise RulesError(name, "must be a number")
    return float(v)


def _time(v: Any, name: str) -> time:
    if not isinstance(v, str):
        raise RulesError(name, "must be HH:MM")
    try:
        return time.fromisoformat(v)
    except ValueError:
        raise RulesError(name, "must be HH:MM") from None


def rules_from_dict(doc: Mapping[str, Any]) -> ScoringRules:
    """Validate a rules document (unknown items refused, caps ≥ 0, weights ≥ 0,
    window 1..366 days, threshold ≥ 1, day_start < day_end)."""
    if not isinstance(doc, Mapping):
        raise RulesError("rules", "must be an object")
    items_doc = doc.get("items", {})
    if not isinstance(items_doc, Mapping):
        raise RulesError("items", "must be an object")
    items: dict[str, ItemRule] = {}
    for code, spec in items_doc.items():
        if code not in ITEMS:
            raise RulesError(f"items.{code}", "unknown item")
        if not isinstance(spec, Mapping):
            raise RulesError(f"items.{code}", "must be an object")
        points = _num(spec, "points", f"items.{code}.points", 0.0)
        cap_raw = spec.get("cap")
        cap = None if cap_raw is None else _num(spec, "cap", f"items.{code}.cap", 0.0)
        if cap is not None and cap < 0:
            raise RulesError(f"items.{code}.cap", "must be ≥ 0")
        items[code] = ItemRule(points=points, cap=cap)
    weights_doc = doc.get("weights", {})
    if not isinstance(weights_doc, Mapping):
        raise RulesError("weights", "must be an object")
    weights: dict[str, float] = {}
    for k, _v in weights_doc.items():
        w = _num(weights_doc, k, f"weights.{k}", 1.0)
        if w < 0:
            raise RulesError(f"weights.{k}", "must be ≥ 0")
        weights[str(k)] = w
    window = doc.get("repeat_window_days", 30)
    if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= 366:
        raise RulesError("repeat_window_days", "must be a whole number of days between 1 and 366")
    threshold = doc.get("training_threshold", 3)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise RulesError("training_threshold", "must be a whole number ≥ 1")
    start = _time(doc.get("day_start", "08:30"), "day_start")
    end = _time(doc.get("day_end", "17:30"), "day_end")
    if end <= start:
        raise RulesError("day_end", "must be after day_start")
    base = _num(doc, "base", "base", 100.0)
    floor = _num(doc, "floor", "floor", 0.0)
    if floor > base:
        raise RulesError("floor", "must not exceed base")
    return ScoringRules(
        base=base, floor=floor, items=items, weights=weights, repeat_window_days=window,
        training_threshold=threshold, day_start=start, day_end=end,
    )


@dataclass(frozen=True)
class OrderFacts:
    on_time: bool
    overdue_hours: float
    at_fault: bool | None
    visit_outcome: str
    repeat: bool
    escalated: bool
    urge_count: int
    reopen_count: int
    department_type: str = ""


@dataclass(frozen=True)
class ScoreResult:
    items: Mapping[str, float]
    weight: float
    score: float


def _units(code: str, facts: OrderFacts) -> float:
    match code:
        case "overdue":
            return 0.0 if facts.on_time else 1.0
        case "overdue_hours":
            return 0.0 if facts.on_time else max(0.0, facts.overdue_hours)
        case "at_fault":
            return 1.0 if facts.at_fault else 0.0
        case "unsatisfied":
            return 1.0 if facts.visit_outcome == "unsatisfied" else 0.0
        case "repeat":
            return 1.0 if facts.repeat else 0.0
        case "escalated":
            return 1.0 if facts.escalated else 0.0
        case "urged":
            return float(facts.urge_count)
        case "reopened":
            return float(facts.reopen_count)
    raise KeyError(code)  # pragma: no cover - ITEMS is closed


def score_order(facts: OrderFacts, rules: ScoringRules) -> ScoreResult:
    """Item points (each capped), weighted by the department type, added to the
    base and clamped to [floor, base + positive items]."""
    items: dict[str, float] = {}
    for code in ITEMS:
        rule = rules.items.get(code)
        if rule is None:
            continue
        pts = rule.points * _units(code, facts)
        if rule.cap is not None:
            pts = max(-rule.cap, min(rule.cap, pts))
        items[code] = round(pts, 2)
    weight = rules.weights.get(facts.department_type, 1.0)
    total = rules.base + weight * sum(items.values())
    return ScoreResult(items=items, weight=weight, score=round(max(rules.floor, total), 2))


# ------------------------------------------------------------------ working hours


def working_hours_between(
    start: datetime,
    end: datetime,
    calendar: WorkdayCalendar,
    *,
    day_start: time = time(8, 30),
    day_end: time = time(17, 30),
    tz: str = DEFAULT_TZ,
) -> float:
    """Business hours (``day_start``..``day_end`` on working days, wall clock in
    ``tz``) between two aware datetimes; negative when ``end < start``."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if end < start:
        return -working_hours_between(end, start, calendar, day_start=day_start, day_end=day_end, tz=tz)
    zone = ZoneInfo(tz)
    a = start.astimezone(zone)
    b = end.astimezone(zone)

    def clip(d: date, lo: datetime, hi: datetime) -> float:
        if not calendar.is_workday(d):
            return 0.0
        o = datetime.combine(d, day_start, tzinfo=zone)
        c = datetime.combine(d, day_end, tzinfo=zone)
        s, e = max(o, lo), min(c, hi)
        return max(0.0, (e - s).total_seconds() / 3600.0)

    da, db = a.date(), b.date()
    if da == db:
        return round(clip(da, a, b), 4)
    per_day = (datetime.combine(da, day_end) - datetime.combine(da, day_start)).total_seconds() / 3600.0
    first = clip(da, a, datetime.combine(da, time(23, 59, 59, 999999), tzinfo=zone))
    last = clip(db, datetime.combine(db, time(0), tzinfo=zone), b)
    # working days strictly between the two dates: (da, db - 1]
    middle = calendar.workdays_between(da, db - timedelta(days=1))
    return round(first + last + middle * per_day, 4)
