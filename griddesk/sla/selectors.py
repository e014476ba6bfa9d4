"""Reads: the effective calendar, deadline look-ups, provisional years in use."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from griddesk.engines import workdays
from griddesk.engines.workflow import OPEN_STATES

from .models import CalendarOverride, ConfirmedYear

#: Years the calendar API and the override services accept.
MIN_YEAR = 2000
MAX_YEAR = 2100

_lock = threading.Lock()
_cached: tuple[tuple[Any, ...], workdays.WorkdayCalendar] | None = None


def _fingerprint() -> tuple[Any, ...]:
    """One small query that changes whenever either table changes: row count,
    newest change time and highest id of both tables."""
    o = connection.ops.quote_name(CalendarOverride._meta.db_table)
    y = connection.ops.quote_name(ConfirmedYear._meta.db_table)
    sql = (
        f"SELECT (SELECT COUNT(*) FROM {o}), (SELECT MAX(updated_at) FROM {o}), (SELECT MAX(id) FROM {o}), "
        f"(SELECT COUNT(*) FROM {y}), (SELECT MAX(confirmed_at) FROM {y}), (SELECT MAX(id) FROM {y})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return (connection.alias, *row)


def effective_calendar() -> workdays.WorkdayCalendar:
    """The engine calendar: chinesecalendar data + overrides + confirmed years.

    Cached per process; the cache is checked against a cheap fingerprint of the
    two tables on every call (one query), so a change made by another process
    is seen at once. Building a calendar takes ~50 ms; the engine additionally
    caches calendars by content.
    """
    global _cached
    fp = _fingerprint()
    cached = _cached
    if cached is not None and cached[0] == fp:
        return cached[1]
    overrides = dict(CalendarOverride.objects.values_list("day", "is_workday"))
    years = list(ConfirmedYear.objects.values_list("year", flat=True))
    cal = workdays.official_calendar(overrides=overrides, extra_confirmed_years=years)
    with _lock:
        _cached = (fp, cal)
    return cal


def clear_cache() -> None:
    global _cached
    with _lock:
        _cached = None


def official_years() -> frozenset[int]:
    return workdays.official_data()[1]


# ------------------------------------------------------------------ calendar view


@dataclass(frozen=True)
class YearView:
    year: int
    provisional: bool
    confirmation: ConfirmedYear | None
    days: list[workdays.DayInfo]
    overrides: list[CalendarOverride]


def calendar_year(year: int) -> YearView:
    cal = effective_calendar()
    return YearView(
        year=year,
        provisional=cal.is_provisional_year(year),
        confirmation=ConfirmedYear.objects.filter(year=year).select_related("confirmed_by").first(),
        days=cal.year_days(year),
        overrides=list(CalendarOverride.objects.filter(day__year=year).order_by("day")),
    )


# ------------------------------------------------------------------ deadlines


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
    from griddesk.engines import sla

    from . import policies

    complexity = complexity or default_complexity(grade)
    rules = policies.load()
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


# ------------------------------------------------------------------ banner


def provisional_years_in_use(*, today: date | None = None) -> list[int]:
    """Years not yet confirmed in which open orders have provisional deadlines.

    Only the few years around today can hold open deadlines; each candidate
    that the calendar marks provisional costs one EXISTS on the
    (state, deadline_at) index.
    """
    from griddesk.workorders.models import WorkOrder

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
