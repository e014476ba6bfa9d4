"""Reads: the effective calendar and a year's days. (A deadline look-up and the
provisional years open orders use are the order clock's: ``workorders.clock``.)"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.db import connection

from griddesk.engines import workdays

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
