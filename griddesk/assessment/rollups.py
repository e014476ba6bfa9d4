"""Daily analytics rollups (ADR 0011): set-based recomputation of whole local
days, on SQLite and PostgreSQL.

Tables (see models.py): ``DailyRollup`` (additive counters per day × level ×
unit × company × category × order type), ``HandlingHistogram`` (handling-time
buckets per day × level × unit × company × order type, for p90),
``CustomerRollup`` (customers created per day × station × customer category),
``RollupDirtyDay`` (days to recompute) and ``RollupState`` (last refresh, event
watermark).

A day is always recomputed whole: ``DELETE`` its rows, then one
``INSERT … SELECT … GROUP BY`` per level and source (work orders for
``received``; the per-order assessment for everything else). The unit of each
level is the same column the drill-down list filters on
(griddesk.workorders.selectors._drilldown_filters), so a summed rollup equals
the count of the list — at the time of the refresh.

What makes a day dirty:

* the assess / adjust / archive services mark the order's received day in the
  same transaction (``rollup_days_mark``), *before* writing, holding the dirty
  row's lock until commit, so a refresh that takes the row waits for the
  change to commit and then sees it;
* every other change to an order (intake, invalidation, merge, dispatch, …)
  writes a ``WorkOrderEvent``: the refresh reads the events after its
  watermark (primary-key range, with an overlap of ``EVENT_OVERLAP`` ids for
  transactions that committed late) and recomputes the received days of their
  orders;
* customers (the 万户 denominators) are recounted whole on every refresh (one
  GROUP BY of the customer table).

Not seen until ``griddesk assessment rebuild-rollups``: edits of a customer's
station or category (no event), and rows written by bulk loaders that write
no events.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from .models import RollupDirtyDay, RollupState

TZ = ZoneInfo("Asia/Shanghai")
#: Handling-time histogram: bucket = floor(hours / BUCKET_HOURS), capped at MAX_BUCKET (≥ 1000 h).
BUCKET_HOURS = 0.5
MAX_BUCKET = 2000
#: Events re-read behind the watermark on every refresh (ids allocated by
#: transactions that committed after a later id was read).
EVENT_OVERLAP = 10_000

RECEIVED_LEVELS = ("company", "department", "station", "customer_category", "all")
ASSESSED_LEVELS = ("company", "department", "station", "staff", "customer_category", "all")
_COUNTERS = (
    "received", "assessed", "at_fault", "on_time", "visited", "satisfied", "repeat", "first_time", "escalated",
    "score_sum", "handling_count", "handling_sum", "handling_min", "handling_max",
)


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _day(col: str) -> str:
    """The local (Asia/Shanghai, UTC+8 without DST since 1991) date of a stored UTC timestamp."""
    if _pg():
        return f"CAST(({col} AT TIME ZONE 'Asia/Shanghai') AS date)"
    return f"date({col}, '+8 hours')"


def _bucket(col: str) -> str:
    if _pg():
        return f"LEAST(GREATEST(CAST(FLOOR({col} / {BUCKET_HOURS}) AS integer), 0), {MAX_BUCKET})"
    # CAST truncates towards zero: the same as FLOOR for the non-negative values kept by MAX(…, 0)
    return f"MIN(MAX(CAST({col} / {BUCKET_HOURS} AS INTEGER), 0), {MAX_BUCKET})"


def _grouped(unit: str) -> str:
    """The unit expression as a GROUP BY item (PostgreSQL refuses a constant there)."""
    return "" if unit.startswith("'") else f"{unit}, "


def _customer_join() -> str:
    if _pg():
        # a primary-key probe per order of the day (OFFSET 0 keeps the subquery from being
        # flattened into a join the planner may hash over the whole customer table)
        return (
            "JOIN LATERAL (SELECT y.station_id, y.category FROM customers_customer y "
            "WHERE y.id = o.customer_id OFFSET 0) c ON true"
        )
    return "JOIN customers_customer c ON c.id = o.customer_id"


def _received_sql(level: str) -> str:
    join, unit, where = "", "", ""
    if level == "company":
        unit = "CAST(o.company_id AS TEXT)"
    elif level == "department":
        if _pg():
            # LATERAL: one index probe per order of the day; a plain join lets the planner hash
            # the whole assignment table (a cost growing with the total volume, not the day's)
            join = (
                'JOIN LATERAL (SELECT DISTINCT x.department_id FROM workorders_leadassignment x '
                'WHERE x.order_id = o.id AND x."primary") la ON true'
            )
        else:
            join = 'JOIN workorders_leadassignment la ON la.order_id = o.id AND la."primary"'
        unit = "CAST(la.department_id AS TEXT)"
    elif level == "station":
        join = _customer_join()
        unit, where = "CAST(c.station_id AS TEXT)", "AND c.station_id IS NOT NULL"
    elif level == "customer_category":
        join = _customer_join()
        unit = "c.category"
    else:
        unit = "'all'"
    day = _day("o.received_at")
    # an order with two primary assignments to one department counts once there
    count = "COUNT(DISTINCT o.id)" if level == "department" else "COUNT(*)"
    return f"""
        INSERT INTO assessment_dailyrollup (day, level, unit, company_id, category_id, order_type, received,
            assessed, at_fault, on_time, visited, satisfied, "repeat", first_time, escalated, score_sum,
            handling_count, handling_sum)
        SELECT {day}, '{level}', {unit}, o.company_id, o.category_id, o.type, {count},
            0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0, 0.0
        FROM workorders_workorder o {join}
        WHERE o.received_at >= %s AND o.received_at < %s AND o.state NOT IN ('invalid', 'merged') {where}
        GROUP BY {day}, {_grouped(unit)}o.company_id, o.category_id, o.type
    """


def _assessed_unit(level: str) -> tuple[str, str]:
    if level == "customer_category":
        return "a.customer_category", "AND a.customer_category <> ''"
    if level == "all":
        return "'all'", ""
    col = {"company": "company_id", "department": "department_id", "station": "station_id", "staff": "staff_id"}[level]
    return f"CAST(a.{col} AS TEXT)", f"AND a.{col} IS NOT NULL"


def _flag(expr: str) -> str:
    return f"SUM(CASE WHEN {expr} THEN 1 ELSE 0 END)"


def _assessed_sql(level: str) -> str:
    unit, where = _assessed_unit(level)
    day = _day("a.received_at")
    return f"""
        INSERT INTO assessment_dailyrollup (day, level, unit, company_id, category_id, order_type, received,
            assessed, at_fault, on_time, visited, satisfied, "repeat", first_time, escalated, score_sum,
            handling_count, handling_sum, handling_min, handling_max)
        SELECT {day}, '{level}', {unit}, a.company_id, a.category_id, a.order_type, 0,
            COUNT(*), {_flag("a.at_fault")}, {_flag("a.on_time")}, {_flag("a.satisfied IS NOT NULL")},
            {_flag("a.satisfied")}, {_flag('a."repeat"')}, {_flag("a.first_time")}, {_flag("a.escalated")},
            SUM(a.final_score), COUNT(a.handling_hours), COALESCE(SUM(a.handling_hours), 0.0),
            MIN(a.handling_hours), MAX(a.handling_hours)
        FROM assessment_orderassessment a
        WHERE a.received_at >= %s AND a.received_at < %s {where}
        GROUP BY {day}, {_grouped(unit)}a.company_id, a.category_id, a.order_type
    """


def _histogram_sql(level: str) -> str:
    unit, where = _assessed_unit(level)
    day, bucket = _day("a.received_at"), _bucket("a.handling_hours")
    return f"""
        INSERT INTO assessment_handlinghistogram (day, level, unit, company_id, order_type, bucket, n)
        SELECT {day}, '{level}', {unit}, a.company_id, a.order_type, {bucket}, COUNT(*)
        FROM assessment_orderassessment a
        WHERE a.received_at >= %s AND a.received_at < %s AND a.handling_hours IS NOT NULL {where}
        GROUP BY {day}, {_grouped(unit)}a.company_id, a.order_type, {bucket}
    """


def _customers_sql() -> str:
    day = _day("c.created_at")
    return f"""
        INSERT INTO assessment_customerrollup (day, station_id, category, n)
        SELECT {day}, c.station_id, c.category, COUNT(*) FROM customers_customer c
        GROUP BY {day}, c.station_id, c.category
    """


def local_day(at: datetime) -> date:
    return at.astimezone(TZ).date()


def _bounds(first: date, last: date) -> tuple[Any, Any]:
    """UTC instants of [first 00:00, last+1 00:00) local, adapted for the backend."""
    ops = connection.ops
    start = datetime.combine(first, dtime(0), tzinfo=TZ)
    end = datetime.combine(last + timedelta(days=1), dtime(0), tzinfo=TZ)
    return ops.adapt_datetimefield_value(start), ops.adapt_datetimefield_value(end)


def _ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Contiguous runs of days, as inclusive (first, last) pairs."""
    out: list[tuple[date, date]] = []
    for d in sorted(set(days)):
        if out and out[-1][1] + timedelta(days=1) == d:
            out[-1] = (out[-1][0], d)
        else:
            out.append((d, d))
    return out


def _recompute_range(cur: Any, first: date, last: date) -> None:
    ops = connection.ops
    d1, d2 = ops.adapt_datefield_value(first), ops.adapt_datefield_value(last)
    cur.execute("DELETE FROM assessment_dailyrollup WHERE day >= %s AND day <= %s", [d1, d2])
    cur.execute("DELETE FROM assessment_handlinghistogram WHERE day >= %s AND day <= %s", [d1, d2])
    start, end = _bounds(first, last)
    for level in RECEIVED_LEVELS:
        cur.execute(_received_sql(level), [start, end])
    for level in ASSESSED_LEVELS:
        cur.execute(_assessed_sql(level), [start, end])
        cur.execute(_histogram_sql(level), [start, end])


def _recompute_customers(cur: Any) -> None:
    cur.execute("DELETE FROM assessment_customerrollup")
    cur.execute(_customers_sql())


def _as_date(v: Any) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v))


def _max_event_id(cur: Any) -> int:
    cur.execute("SELECT MAX(id) FROM workorders_workorderevent")
    return int(cur.fetchone()[0] or 0)


def _event_days(cur: Any, after: int, upto: int) -> set[date]:
    cur.execute(
        f"SELECT DISTINCT {_day('o.received_at')} FROM workorders_workorderevent e "
        "JOIN workorders_workorder o ON o.id = e.order_id WHERE e.id > %s AND e.id <= %s",
        [after, upto],
    )
    return {_as_date(r[0]) for r in cur.fetchall()}


@dataclass
class RefreshResult:
    kind: str  # "refresh" or "rebuild"
    days: int
    ranges: int
    seconds: float
    as_of: datetime | None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["as_of"] = self.as_of.isoformat() if self.as_of else None
        return d


def _state_locked() -> RollupState:
    RollupState.objects.get_or_create(pk=1)
    return RollupState.objects.select_for_update().get(pk=1)


# ------------------------------------------------------------------ services


def rollup_days_mark(*, days: Iterable[date]) -> None:
    """Mark local days for recomputation — call inside the transaction that
    changes them, before the change (an upsert: it holds the row's lock until
    commit, so a concurrent refresh waits and then sees the change)."""
    now = timezone.now()
    rows = [RollupDirtyDay(day=d, marked_at=now) for d in sorted(set(days))]
    if rows:
        RollupDirtyDay.objects.bulk_create(rows, update_conflicts=True, unique_fields=["day"], update_fields=["marked_at"])


def rollup_order_mark(*, received_at: datetime) -> None:
    rollup_days_mark(days=[local_day(received_at)])


def rollup_refresh(*, max_rebuild_orders: int | None = None) -> RefreshResult:
    """Recompute the dirty days and the days of orders with new events (the
    django-q2 schedule runs this every 10 minutes). The first run rebuilds —
    unless there are more than ``max_rebuild_orders`` orders (the scheduled
    task's limit: a big first build belongs to ``griddesk assessment
    rebuild-rollups``, not to a task with a timeout; until then the figures
    are counted live)."""
    with transaction.atomic():
        state = _state_locked()
        if state.event_watermark is not None:
            return _refresh_locked(state)
    if max_rebuild_orders is not None:
        from griddesk.workorders.models import WorkOrder

        if WorkOrder.objects.all()[max_rebuild_orders : max_rebuild_orders + 1].exists():
            return RefreshResult("skipped: run griddesk assessment rebuild-rollups", 0, 0, 0.0, None)
    return rollup_rebuild()


def _refresh_locked(state: RollupState) -> RefreshResult:
    started, t0 = timezone.now(), time.perf_counter()
    with connection.cursor() as cur:
        top = _max_event_id(cur)
        dirty = list(RollupDirtyDay.objects.select_for_update().values_list("day", flat=True))
        RollupDirtyDay.objects.filter(day__in=dirty).delete()
        days = {_as_date(d) for d in dirty}
        watermark = state.event_watermark or 0
        if top > max(0, watermark - EVENT_OVERLAP):
            days |= _event_days(cur, max(0, watermark - EVENT_OVERLAP), top)
        ranges = _ranges(days)
        for first, last in ranges:
            _recompute_range(cur, first, last)
        _recompute_customers(cur)
    seconds = time.perf_counter() - t0
    state.refreshed_at, state.event_watermark = started, max(top, watermark)
    state.last_duration_ms, state.last_days = int(seconds * 1000), len(days)
    state.save()
    return RefreshResult("refresh", len(days), len(ranges), round(seconds, 3), started)


def _order_days() -> tuple[date, date] | None:
    from griddesk.workorders.models import WorkOrder

    span = WorkOrder.objects.aggregate(lo=Min("received_at"), hi=Max("received_at"))
    if span["lo"] is None:
        return None
    return local_day(span["lo"]), local_day(span["hi"])


def rollup_rebuild(*, first: date | None = None, last: date | None = None, chunk_days: int = 31) -> RefreshResult:
    """Recompute every day from ``first`` to ``last`` (default: all received
    days), ``chunk_days`` per transaction. A full rebuild also resets the
    event watermark and the dirty days."""
    full = first is None and last is None
    started, t0 = timezone.now(), time.perf_counter()
    with connection.cursor() as cur:
        top = _max_event_id(cur)
    span = _order_days()
    if span is not None:
        first = first or span[0]
        last = last or span[1]
    n_days = n_ranges = 0
    if first is not None and last is not None and first <= last:
        d = first
        while d <= last:
            e = min(last, d + timedelta(days=chunk_days - 1))
            with transaction.atomic(), connection.cursor() as cur:
                _state_locked()  # one recomputation at a time (refresh, rebuild)
                RollupDirtyDay.objects.filter(day__gte=d, day__lte=e).delete()
                _recompute_range(cur, d, e)
            n_days += (e - d).days + 1
            n_ranges += 1
            d = e + timedelta(days=1)
    with transaction.atomic():
        state = _state_locked()
        with connection.cursor() as cur:
            _recompute_customers(cur)
        if full:
            # the days of events after ``top`` are picked up by the next refresh
            state.event_watermark = top
        if full or state.refreshed_at is None:
            state.refreshed_at = started
        seconds = time.perf_counter() - t0
        state.last_duration_ms, state.last_days = int(seconds * 1000), n_days
        state.save()
    return RefreshResult("rebuild", n_days, n_ranges, round(seconds, 3), state.refreshed_at)


def rollup_as_of() -> datetime | None:
    """When the figures were computed (None: the rollups were never built)."""
    return RollupState.objects.filter(pk=1).values_list("refreshed_at", flat=True).first()
