"""Reads: scorecards, rankings, dashboard tables, archive search.

Every KPI is counted with the same conditions as the work-order list filters
its ``drilldown`` URL uses (griddesk.workorders.selectors._drilldown_filters),
inside the same visibility, so the list's ``count`` equals the KPI's order count.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, time
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Aggregate, Count, FloatField, Max, Min, Q, QuerySet, Sum
from django.utils import timezone

from griddesk.customers.models import Customer, CustomerCategory
from griddesk.engines import kpi
from griddesk.engines.workflow import OPEN_STATES, Role
from griddesk.organisation.access import Actor
from griddesk.organisation.models import COMPANY_TYPES, Department
from griddesk.workorders import selectors as wo_selectors
from griddesk.workorders.models import Category, LeadAssignment, OrderType, StateChoice, WorkOrder

from . import rollups
from .models import ArchiveEntry, CustomerRollup, DailyRollup, HandlingHistogram, OrderAssessment, ScoringRuleSet

TZ = ZoneInfo("Asia/Shanghai")
LEVELS = ("company", "department", "station", "staff", "customer_category")
ALL = "all"  # internal level: the viewer's whole scope (dashboard tiles)
LIST_URL = "/api/v1/work-orders/"
VIEW_ROLES = frozenset({Role.MANAGER, Role.LEADER, Role.ADMIN, Role.SERVICE_SPECIALIST})

#: KPI code → the assessment flag filter of its numerator (None: no extra flag).
_FLAG_OF = {
    "at_fault_rate": ("at_fault", "at_fault"),
    "on_time_rate": ("on_time", "on_time"),
    "satisfaction_rate": ("satisfied", "satisfied"),
    "repeat_rate": ("repeat", "repeat"),
    "first_time_rate": ("first_time", "first_time"),
    "escalation_rate": ("escalated", "escalated"),
}


class PercentileCont(Aggregate):
    """PostgreSQL ``percentile_cont(p) WITHIN GROUP (ORDER BY expr)``."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


def period_bounds(period: kpi.Period) -> tuple[datetime, datetime]:
    return (
        datetime.combine(period.start, time(0), tzinfo=TZ),
        datetime.combine(period.end, time(0), tzinfo=TZ),
    )


def _from_stations(by_station: dict[Any, int], level: str) -> dict[Any, int]:
    """Customer counts by station summed up to ``level``: station as is, company
    (each station's nearest company), department (its company's count)."""
    if level == "station":
        return by_station
    nearest = _nearest_company()
    by_company: dict[int, int] = defaultdict(int)
    for station_id, n in by_station.items():
        by_company[nearest.get(station_id, station_id)] += n
    if level == "company":
        return dict(by_company)
    if level == "department":
        return {dept: by_company.get(company, 0) for dept, company in nearest.items()}
    return {}


def _nearest_company() -> dict[int, int]:
    """department id → id of its nearest company (one query; the org table is small)."""
    rows = list(Department.objects.values_list("pk", "path", "type"))
    companies = {pk for pk, _p, t in rows if t in COMPANY_TYPES}
    out: dict[int, int] = {}
    for pk, path, _t in rows:
        ids = [int(x) for x in path.strip("/").split("/") if x]
        out[pk] = next((i for i in reversed(ids) if i in companies), pk)
    return out


@dataclass
class _Unit:
    key: str  # filter value (code / username / category)
    name: str
    counts: dict[str, Any]


def _scoped(actor: Actor, qs: QuerySet[OrderAssessment]) -> QuerySet[OrderAssessment]:
    """Fact rows of the orders ``actor`` sees. Every viewer role is company-wide
    (the order's company in the viewer's company subtree) or the administrator,
    so the copied ``company`` column answers it without a join to the orders."""
    if actor.role == Role.ADMIN:
        return qs
    if actor.role in VIEW_ROLES and actor.company is not None:
        return qs.filter(company__path__startswith=actor.company.path)
    return qs.filter(order__in=wo_selectors.work_orders_visible_to(actor).values("pk"))


def _base_orders(actor: Actor, start: datetime, end: datetime) -> QuerySet[WorkOrder]:
    return wo_selectors.work_orders_visible_to(actor).filter(
        type=OrderType.COMPLAINT, received_at__gte=start, received_at__lt=end
    )


def _received_by_unit(actor: Actor, level: str, start: datetime, end: datetime) -> dict[Any, int]:
    base = _base_orders(actor, start, end).exclude(state__in=[StateChoice.INVALID, StateChoice.MERGED])
    rows: QuerySet[Any, Any]  # (unit, n) rows, of orders or of lead assignments
    if level == "company":
        rows = base.values_list("company_id").annotate(n=Count("pk"))
    elif level == "station":
        rows = base.filter(customer__station__isnull=False).values_list("customer__station_id").annotate(n=Count("pk"))
    elif level == "department":
        rows = (
            LeadAssignment.objects.filter(primary=True, order__in=base.values("pk"))
            .values_list("department_id")
            .annotate(n=Count("order_id", distinct=True))
        )
    elif level == "customer_category":
        rows = base.filter(customer__isnull=False).values_list("customer__category").annotate(n=Count("pk"))
    elif level == ALL:
        return {ALL: base.count()}
    else:
        return {}
    return {k: n for k, n in rows}


_ASSESSED_KEY = {
    "company": "company_id",
    "department": "department_id",
    "station": "station_id",
    "staff": "staff_id",
    "customer_category": "customer_category",
}


def _assessed_by_unit(actor: Actor, level: str, start: datetime, end: datetime) -> tuple[dict[Any, dict[str, Any]], dict[Any, list[float]]]:
    qs = OrderAssessment.objects.filter(
        order_type=OrderType.COMPLAINT, received_at__gte=start, received_at__lt=end
    )
    qs = _scoped(actor, qs)
    agg = dict(
        assessed=Count("pk"),
        at_fault=Count("pk", filter=Q(at_fault=True)),
        on_time=Count("pk", filter=Q(on_time=True)),
        visited=Count("pk", filter=Q(satisfied__isnull=False)),
        satisfied=Count("pk", filter=Q(satisfied=True)),
        repeat=Count("pk", filter=Q(repeat=True)),
        first_time=Count("pk", filter=Q(first_time=True)),
        escalated=Count("pk", filter=Q(escalated=True)),
        score_sum=Sum("final_score"),
    )
    in_db = connection.vendor == "postgresql"
    if in_db:  # the database computes the handling-time aggregates too
        agg.update(
            handling_sum=Sum("handling_hours"),
            handling_count=Count("handling_hours"),
            handling_p90=PercentileCont("handling_hours", 0.9),
        )
    hours: dict[Any, list[float]] = defaultdict(list)
    if level == ALL:
        counts = {ALL: qs.aggregate(**agg)}
        if not in_db:
            hours[ALL] = [h for (h,) in qs.exclude(handling_hours__isnull=True).values_list("handling_hours") if h is not None]
        return counts, hours
    key = _ASSESSED_KEY[level]
    qs = qs.exclude(**{f"{key}__isnull": True}) if key != "customer_category" else qs.exclude(customer_category="")
    rows = qs.values(key).annotate(**agg)
    counts = {r[key]: r for r in rows}
    if in_db:
        return counts, hours
    for k, h in qs.exclude(handling_hours__isnull=True).values_list(key, "handling_hours").iterator(chunk_size=20000):
        hours[k].append(h)
    return counts, hours


#: The levels whose units have customers of their own, so that 万户投诉率
#: (valid complaints received ÷ customers registered before the period's end ×
#: 10,000) means something: a company (its stations' customers), a station, a
#: customer category and the whole scope. A department or a member of staff has
#: no customers of its own: no 万户投诉率 there (a unit with no customers shows —).
CUSTOMER_LEVELS = frozenset({"company", "station", "customer_category", ALL})


def _customers_of(customers: dict[Any, int], key: Any, level: str) -> int | None:
    if level not in CUSTOMER_LEVELS:
        return None
    return customers.get(key, 0)


def _customers_by_unit(actor: Actor, level: str, end: datetime) -> dict[Any, int]:
    qs = Customer.objects.filter(created_at__lt=end)
    if actor.role != Role.ADMIN and actor.company is not None:
        qs = qs.filter(station__path__startswith=actor.company.path)
    if level == "customer_category":
        return dict(qs.values_list("category").annotate(n=Count("pk")))
    if level == ALL:
        return {ALL: qs.count()}
    by_station = dict(qs.filter(station__isnull=False).values_list("station_id").annotate(n=Count("pk")))
    return _from_stations(by_station, level)


def _unit_labels(level: str, keys: set[Any]) -> dict[Any, tuple[str, str]]:
    """key → (filter value, display name)."""
    if level == ALL:
        return {ALL: (ALL, "")}
    if level == "staff":
        users = get_user_model().objects.filter(pk__in=keys)
        return {u.pk: (u.get_username(), u.get_full_name() or u.get_username()) for u in users}
    if level == "customer_category":
        labels = dict(CustomerCategory.choices)
        return {k: (k, str(labels.get(k, k))) for k in keys}
    return {d.pk: (d.code, d.name) for d in Department.objects.filter(pk__in=keys)}


def _unit_filter(level: str, value: str, *, assessed: bool) -> dict[str, str]:
    if level == ALL:
        return {}
    if level == "company":
        return {"company": value}
    if level == "department":
        return {"assessed_department" if assessed else "lead_department": value}
    if level == "station":
        return {"assessed_station" if assessed else "station": value}
    if level == "staff":
        return {"handler": value}
    return {"customer_category": value}


def _url(params: dict[str, str]) -> str:
    # count=exact: the list's count must equal the figure at any size (lists
    # otherwise count exactly only up to 10,000 rows, griddesk.common.pagination).
    # ordering=-received: every drill-down selects a period of receipt; walked
    # in deadline order a recent month is reached only after all older orders.
    return f"{LIST_URL}?{urlencode({**params, 'ordering': '-received', 'count': 'exact'})}"


def _counts_for(actor: Actor, level: str, period: kpi.Period, source: str = "live") -> dict[Any, kpi.UnitCounts]:
    if source == "rollup":
        return _counts_rollup(actor, level, period)
    start, end = period_bounds(period)
    received = _received_by_unit(actor, level, start, end)
    assessed, hours = _assessed_by_unit(actor, level, start, end)
    customers = _customers_by_unit(actor, level, end) if level in CUSTOMER_LEVELS else {}
    keys = set(received) | set(assessed) | ({ALL} if level == ALL else set())
    out: dict[Any, kpi.UnitCounts] = {}
    for k in keys:
        a = assessed.get(k, {})
        out[k] = kpi.UnitCounts(
            unit=str(k),
            customers=_customers_of(customers, k, level),
            received=received.get(k, 0),
            assessed=a.get("assessed", 0),
            at_fault=a.get("at_fault", 0),
            on_time=a.get("on_time", 0),
            visited=a.get("visited", 0),
            satisfied=a.get("satisfied", 0),
            repeat=a.get("repeat", 0),
            first_time=a.get("first_time", 0),
            escalated=a.get("escalated", 0),
            handling_hours=tuple(hours.get(k, ())),
            score_sum=float(a.get("score_sum") or 0.0),
            handling_sum=a.get("handling_sum"),
            handling_count=a.get("handling_count"),
            handling_p90=a.get("handling_p90"),
        )
    return out


# ------------------------------------------------------------------ rollup path (ADR 0011)


def _rollup_scope_ok(actor: Actor) -> bool:
    """The rollups carry the company: they answer the administrator and the
    company-wide viewer roles (the same scope as work_orders_visible_to)."""
    return actor.role == Role.ADMIN or (actor.role in VIEW_ROLES and actor.company is not None)


def _source(actor: Actor, source: str | None) -> tuple[str, datetime | None]:
    if source == "live":
        return "live", None
    as_of = rollups.rollup_as_of()
    if source == "rollup":
        if not _rollup_scope_ok(actor):
            raise ValueError("the rollups answer company-wide viewers only")
        return "rollup", as_of
    if as_of is not None and _rollup_scope_ok(actor):
        return "rollup", as_of
    return "live", None


def _company_ids(actor: Actor) -> list[int] | None:
    """Companies in the viewer's scope (None: all)."""
    if actor.role == Role.ADMIN or actor.company is None:
        return None
    return list(Department.objects.filter(path__startswith=actor.company.path).values_list("pk", flat=True))


def _rollup_rows(actor: Actor, model: Any, level: str, first: Any, end: Any, order_type: str | None = OrderType.COMPLAINT) -> Any:
    qs = model.objects.filter(level=level, day__gte=first, day__lt=end)
    if order_type is not None:
        qs = qs.filter(order_type=order_type)
    ids = _company_ids(actor)
    return qs if ids is None else qs.filter(company_id__in=ids)


def _unit_key(level: str, unit: str) -> Any:
    return int(unit) if level in ("company", "department", "station", "staff") else unit


def _customers_rollup(actor: Actor, level: str, end: Any) -> dict[Any, int]:
    qs = CustomerRollup.objects.filter(day__lt=end)
    if actor.role != Role.ADMIN and actor.company is not None:
        qs = qs.filter(station_id__in=Department.objects.filter(path__startswith=actor.company.path).values("pk"))
    if level == "customer_category":
        return {k: int(n) for k, n in qs.values_list("category").annotate(n=Sum("n"))}
    if level == ALL:
        return {ALL: int(qs.aggregate(n=Sum("n"))["n"] or 0)}
    by_station = {k: int(n) for k, n in qs.filter(station__isnull=False).values_list("station_id").annotate(n=Sum("n"))}
    return _from_stations(by_station, level)


_ROLLUP_SUMS = ("received", "assessed", "at_fault", "on_time", "visited", "satisfied", "repeat", "first_time", "escalated")


def _counts_rollup(actor: Actor, level: str, period: kpi.Period) -> dict[Any, kpi.UnitCounts]:
    """The live path's figures, summed from the daily rollups: one grouped
    range scan of the rollup and one of the histogram per period."""
    rows = (
        _rollup_rows(actor, DailyRollup, level, period.start, period.end)
        .values("unit")
        .annotate(
            **{c: Sum(c) for c in _ROLLUP_SUMS},
            score_sum=Sum("score_sum"),
            handling_count=Sum("handling_count"),
            handling_sum=Sum("handling_sum"),
            handling_min=Min("handling_min"),
            handling_max=Max("handling_max"),
        )
    )
    hist: dict[str, dict[int, int]] = defaultdict(dict)
    for unit, bucket, n in (
        _rollup_rows(actor, HandlingHistogram, level, period.start, period.end)
        .values_list("unit", "bucket")
        .annotate(n=Sum("n"))
    ):
        hist[unit][bucket] = int(n)
    customers = _customers_rollup(actor, level, period.end) if level in CUSTOMER_LEVELS else {}
    out: dict[Any, kpi.UnitCounts] = {}
    for r in rows:
        key = _unit_key(level, r["unit"])
        n_hours = int(r["handling_count"] or 0)
        p90 = (
            kpi.percentile_from_histogram(
                hist.get(r["unit"], {}), 0.9, width=rollups.BUCKET_HOURS, low=r["handling_min"], high=r["handling_max"]
            )
            if n_hours
            else None
        )
        sums: dict[str, Any] = {c: int(r[c] or 0) for c in _ROLLUP_SUMS}  # the counting fields of UnitCounts
        out[key] = kpi.UnitCounts(
            unit=str(key),
            customers=_customers_of(customers, key, level),
            **sums,
            score_sum=float(r["score_sum"] or 0.0),
            handling_sum=float(r["handling_sum"] or 0.0) if n_hours else None,
            handling_count=n_hours,
            handling_p90=p90,
        )
    if level == ALL and ALL not in out:
        out[ALL] = kpi.UnitCounts(unit=ALL, customers=customers.get(ALL, 0), handling_count=0)
    return out


def scorecards(
    actor: Actor, *, period: kpi.Period, level: str, compare: bool = True, source: str | None = None
) -> dict[str, Any]:
    """``source``: "rollup" (the daily rollups, as of their last refresh),
    "live" (a direct recount of the orders) or None: the rollups when they
    have been built and the viewer's scope is company-wide."""
    start, end = period_bounds(period)
    source, as_of = _source(actor, source)
    current = _counts_for(actor, level, period, source)
    prev = _counts_for(actor, level, period.previous(), source) if compare else {}
    last_year = _counts_for(actor, level, period.same_last_year(), source) if compare else {}
    labels = _unit_labels(level, set(current))
    common = {"type": OrderType.COMPLAINT.value, "received_from": start.isoformat(), "received_to": end.isoformat()}
    units: list[dict[str, Any]] = []
    values_by_kpi: dict[str, dict[str, float | None]] = defaultdict(dict)

    def kpi_values(c: kpi.UnitCounts | None) -> dict[str, float | None]:
        return {k.code: k.value for k in kpi.unit_kpis(c)} if c else {}

    for key, counts in current.items():
        value, name = labels.get(key, (str(key), str(key)))
        p_vals, y_vals = kpi_values(prev.get(key)), kpi_values(last_year.get(key))
        rows = []
        for k in kpi.unit_kpis(counts):
            if k.code == "complaints_per_10k":
                params = {**common, "valid": "true", **_unit_filter(level, value, assessed=False)}
            else:
                params = {**common, "assessed": "true", **_unit_filter(level, value, assessed=True)}
                flag = _FLAG_OF.get(k.code)
                if flag is not None:
                    params[flag[0]] = "true"
            values_by_kpi[k.code][value] = k.value
            rows.append(
                {
                    "code": k.code,
                    "value": k.value,
                    "numerator": k.numerator,
                    "denominator": k.denominator,
                    "counts": k.counts,
                    "drilldown": _url(params),
                    "previous": kpi.compare(k.value, p_vals.get(k.code)).__dict__ if compare else None,
                    "same_period_last_year": kpi.compare(k.value, y_vals.get(k.code)).__dict__ if compare else None,
                }
            )
        units.append({"unit": value, "name": name, "kpis": rows})
    ranks = {code: kpi.rank(vals, higher_is_better=kpi.KPI_DEFS[code][0]) for code, vals in values_by_kpi.items()}
    for u in units:
        for row in u["kpis"]:
            row["rank"] = ranks[row["code"]].get(u["unit"])
    units.sort(key=lambda u: (_rank_of(u, "avg_score"), u["unit"]))
    return {
        "period": period.label,
        "level": level,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "previous_period": period.previous().label,
        "same_period_last_year": period.same_last_year().label,
        "source": source,
        "as_of": as_of.isoformat() if as_of else None,
        "units": units,
    }


def _rank_of(unit: dict[str, Any], code: str) -> int:
    for row in unit["kpis"]:
        if row["code"] == code and row.get("rank") is not None:
            return int(row["rank"])
    return 10**9


# ------------------------------------------------------------------ training flags


def training_flags(actor: Actor, *, period: kpi.Period, source: str | None = None) -> dict[str, Any]:
    start, end = period_bounds(period)
    rule_set = ScoringRuleSet.objects.order_by("-version").first()
    threshold = int((rule_set.rules if rule_set else {}).get("training_threshold", 3))
    source, as_of = _source(actor, source)
    if source == "rollup":  # every order type, like the live count
        rows = (
            _rollup_rows(actor, DailyRollup, "staff", period.start, period.end, order_type=None)
            .values_list("unit").annotate(n=Sum("at_fault")).filter(n__gt=0)
        )
        counts = {int(k): int(n) for k, n in rows}
    else:
        qs = _scoped(actor, OrderAssessment.objects.filter(received_at__gte=start, received_at__lt=end, at_fault=True, staff__isnull=False))
        counts = dict(qs.values_list("staff_id").annotate(n=Count("pk")))
    labels = _unit_labels("staff", set(counts))
    by_name = {labels[k][0]: n for k, n in counts.items() if k in labels}
    flagged = kpi.flag_for_training(by_name, threshold)
    common = {"received_from": start.isoformat(), "received_to": end.isoformat(), "assessed": "true", "at_fault": "true"}
    names = {labels[k][0]: labels[k][1] for k in labels}
    return {
        "period": period.label,
        "threshold": threshold,
        "as_of": as_of.isoformat() if as_of else None,
        "staff": [
            {"username": u, "name": names[u], "at_fault": by_name[u], "drilldown": _url({**common, "handler": u})}
            for u in flagged
        ],
    }


# ------------------------------------------------------------------ dashboard tables


def category_pareto(actor: Actor, *, period: kpi.Period, source: str | None = None) -> list[dict[str, Any]]:
    start, end = period_bounds(period)
    if _source(actor, source)[0] == "rollup":
        rows = (
            _rollup_rows(actor, DailyRollup, "company", period.start, period.end)
            .filter(category__isnull=False).values_list("category__code").annotate(n=Sum("received")).filter(n__gt=0)
        )
        counts = {k: int(n) for k, n in rows}
    else:
        base = _base_orders(actor, start, end).exclude(state__in=[StateChoice.INVALID, StateChoice.MERGED])
        counts = dict(base.filter(category__isnull=False).values_list("category__code").annotate(n=Count("pk")))
    names = dict(Category.objects.filter(code__in=counts).values_list("code", "name"))
    common = {"type": "complaint", "valid": "true", "received_from": start.isoformat(), "received_to": end.isoformat()}
    return [
        {**asdict(r), "name": names.get(r.key, r.key), "drilldown": _url({**common, "category": r.key})}
        for r in kpi.pareto(counts)
    ]


def heat_table(actor: Actor, *, period: kpi.Period, source: str | None = None) -> dict[str, Any]:
    """Company (area) × top-level category counts of valid complaints."""
    start, end = period_bounds(period)
    rows: list[tuple[str, str, str, int]]
    if _source(actor, source)[0] == "rollup":
        rows = list(
            _rollup_rows(actor, DailyRollup, "company", period.start, period.end)
            .filter(category__isnull=False)
            .values_list("company__code", "company__name", "category__code").annotate(n=Sum("received")).filter(n__gt=0)
        )
    else:
        base = _base_orders(actor, start, end).exclude(state__in=[StateChoice.INVALID, StateChoice.MERGED])
        rows = list(base.filter(category__isnull=False).values_list("company__code", "company__name", "category__code").annotate(n=Count("pk")))
    tops = {c.code: c.name for c in Category.objects.filter(parent__isnull=True)}
    cells: dict[tuple[str, str], int] = defaultdict(int)
    areas: dict[str, str] = {}
    for code, name, cat, n in rows:
        top = cat.split(".", 1)[0]
        cells[(code, top)] += n
        areas[code] = name
    columns = sorted({t for _a, t in cells})
    common = {"type": "complaint", "valid": "true", "received_from": start.isoformat(), "received_to": end.isoformat()}
    return {
        "columns": [{"code": c, "name": tops.get(c, c)} for c in columns],
        "rows": [
            {
                "area": a,
                "name": areas[a],
                "cells": [
                    {"count": cells.get((a, c), 0), "drilldown": _url({**common, "company": a, "category": c})} for c in columns
                ],
            }
            for a in sorted(areas)
        ],
    }


def trend(actor: Actor, *, period: kpi.Period, months: int = 12, source: str | None = None) -> list[dict[str, Any]]:
    """Valid complaints received per month for the ``months`` ending with ``period``'s last month."""
    last = kpi.Period(kpi.PeriodKind.MONTH, period.end.year if period.end.month > 1 else period.end.year - 1,
                      period.end.month - 1 if period.end.month > 1 else 12)
    by_month: dict[str, int] | None = None
    if _source(actor, source)[0] == "rollup":  # one grouped scan for all the months
        by_month = defaultdict(int)
        first = last.shift(-(months - 1))
        for day, n in (
            _rollup_rows(actor, DailyRollup, ALL, first.start, last.end).values_list("day").annotate(n=Sum("received"))
        ):
            day = day if not isinstance(day, str) else datetime.fromisoformat(day).date()
            by_month[f"{day.year}-{day.month:02d}"] += int(n)
    out = []
    for i in range(months - 1, -1, -1):
        p = last.shift(-i)
        start, end = period_bounds(p)
        if by_month is not None:
            n = by_month.get(p.label, 0)
        else:
            n = _base_orders(actor, start, end).exclude(state__in=[StateChoice.INVALID, StateChoice.MERGED]).count()
        out.append({"period": p.label, "count": n, "drilldown": _url({"type": "complaint", "valid": "true",
                                                                        "received_from": start.isoformat(), "received_to": end.isoformat()})})
    return out


def overdue_and_at_risk(actor: Actor, *, limit: int = 50, risk_hours: int = 8) -> dict[str, list[WorkOrder]]:
    now = timezone.now()
    open_states = [s.value for s in OPEN_STATES]
    visible = wo_selectors.work_orders_visible_to(actor).filter(state__in=open_states, deadline_at__isnull=False)
    visible = visible.select_related("company", "category")
    from datetime import timedelta

    def earliest(qs: QuerySet[WorkOrder]) -> list[WorkOrder]:
        # One (state, deadline_at) index range per open state, merged here: a single
        # ORDER BY deadline_at walks the deadline index through every closed order
        # (1.4M rows, 2 s at 2M orders).
        rows = [o for state in open_states for o in qs.filter(state=state).order_by("deadline_at", "id")[:limit]]
        return sorted(rows, key=lambda o: (o.deadline_at, o.pk))[:limit]

    overdue = earliest(visible.filter(deadline_at__lt=now))
    at_risk = earliest(visible.filter(deadline_at__gte=now, deadline_at__lt=now + timedelta(hours=risk_hours)))
    return {"overdue": overdue, "at_risk": at_risk}


# ------------------------------------------------------------------ archive


def archive_search(actor: Actor, q: str) -> QuerySet[WorkOrder]:
    """Archived orders whose text contains ``q`` (substring; Chinese works from
    two characters). SQLite: FTS5 trigram table (LIKE uses the index from 3
    characters, scans the FTS table below); PostgreSQL: ILIKE on the body
    with the pg_trgm GIN index."""
    q = q.strip()
    visible = wo_selectors.work_orders_visible_to(actor).filter(state=StateChoice.ARCHIVED)
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if connection.vendor == "sqlite":
        with connection.cursor() as c:
            c.execute("SELECT rowid FROM assessment_archive_fts WHERE body LIKE %s ESCAPE '\\'", [f"%{escaped}%"])
            ids = [r[0] for r in c.fetchall()]
        entries = ArchiveEntry.objects.filter(pk__in=ids)
    else:
        entries = ArchiveEntry.objects.filter(body__icontains=q)
    return visible.filter(pk__in=entries.values("order_id")).select_related("company", "category").order_by("-received_at", "-id")


def archived_in(actor: Actor, start: datetime, end: datetime) -> QuerySet[WorkOrder]:
    return (
        wo_selectors.work_orders_visible_to(actor)
        .filter(state=StateChoice.ARCHIVED, archive_entry__archived_at__gte=start, archive_entry__archived_at__lt=end)
        .select_related("company", "category", "customer", "archive_entry")
        .order_by("archive_entry__archived_at", "id")
    )


def may_view(actor: Actor) -> bool:
    return actor.role in VIEW_ROLES



def tiles(actor: Actor, *, period: kpi.Period, source: str | None = None) -> list[dict[str, Any]]:
    """The dashboard tiles: every KPI over the viewer's whole scope, with comparisons."""
    card = scorecards(actor, period=period, level=ALL, source=source)
    return card["units"][0]["kpis"] if card["units"] else []


# ------------------------------------------------------------------ the monthly report

#: The rankings of the monthly report, in this order: companies (the city and
#: its county companies), the departments that lead complaints, stations.
REPORT_LEVELS = ("company", "department", "station")


def _report_company(actor: Actor) -> Department | None:
    """Whose report it is: the viewer's company; for an administrator without
    one, the top company of the organisation."""
    if actor.company is not None:
        return actor.company
    return Department.objects.filter(parent__isnull=True, type__in=COMPANY_TYPES).order_by("pk").first()


def monthly_report(actor: Actor, *, period: kpi.Period, level: str = "department", source: str | None = None) -> dict[str, Any]:
    """Everything the monthly PDF report shows, read once: the whole scope's
    KPIs against the previous period and the same period last year, the
    rankings of companies, departments and stations (plus ``level`` when it is
    another one), the complaint trend, the category Pareto and the orders
    overdue now."""
    source, as_of = _source(actor, source)
    whole = scorecards(actor, period=period, level=ALL, source=source)
    received_prev = _counts_for(actor, ALL, period.previous(), source).get(ALL)
    levels = REPORT_LEVELS + ((level,) if level not in REPORT_LEVELS else ())
    user = actor.user
    company = _report_company(actor)
    return {
        "company": company.name if company else "",
        "period": period,
        "from": period.start,
        "to": period.end,
        "generated_at": timezone.localtime(timezone.now(), TZ),
        "generated_by": user.get_full_name() or user.get_username(),
        "role": actor.role.value if actor.role else "",
        "source": source,
        "as_of": timezone.localtime(as_of, TZ) if as_of else None,
        "kpis": whole["units"][0]["kpis"] if whole["units"] else [],
        "received_previous": received_prev.received if received_prev else 0,
        "rankings": [(lv, scorecards(actor, period=period, level=lv, compare=False, source=source)["units"]) for lv in levels],
        "trend": trend(actor, period=period, source=source),
        "pareto": category_pareto(actor, period=period, source=source),
        "overdue": overdue_and_at_risk(actor)["overdue"],
    }
