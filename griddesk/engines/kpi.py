"""Management KPIs from per-unit counts. Pure Python, no Django.

Every KPI is a value with the numerator and denominator it is made of, so a
figure can always be reconciled with the orders behind it. The assessment app
counts (one GROUP BY per level) and this module turns counts into KPIs,
rankings, period comparisons, Pareto shares and percentiles.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum


class PeriodKind(str, Enum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


@dataclass(frozen=True)
class Period:
    """A calendar period [start, end) in local dates."""

    kind: PeriodKind
    year: int
    index: int  # month 1..12, quarter 1..4, or 1 for a year

    @property
    def start(self) -> date:
        if self.kind is PeriodKind.MONTH:
            return date(self.year, self.index, 1)
        if self.kind is PeriodKind.QUARTER:
            return date(self.year, 3 * (self.index - 1) + 1, 1)
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        """Exclusive end."""
        return self.shift(1).start

    @property
    def label(self) -> str:
        if self.kind is PeriodKind.MONTH:
            return f"{self.year}-{self.index:02d}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.year}-Q{self.index}"
        return str(self.year)

    def shift(self, n: int) -> Period:
        """The period ``n`` steps later (negative: earlier)."""
        per_year = {PeriodKind.MONTH: 12, PeriodKind.QUARTER: 4, PeriodKind.YEAR: 1}[self.kind]
        if self.kind is PeriodKind.YEAR:
            return Period(self.kind, self.year + n, 1)
        k = self.year * per_year + (self.index - 1) + n
        return Period(self.kind, k // per_year, k % per_year + 1)

    def previous(self) -> Period:
        return self.shift(-1)

    def same_last_year(self) -> Period:
        return Period(self.kind, self.year - 1, self.index)


_PERIOD = re.compile(r"^(\d{4})(?:-(?:(\d{2})|Q([1-4])))?$")


def parse_period(text: str) -> Period:
    """``2026-10`` (month), ``2026-Q4`` (quarter) or ``2026`` (year)."""
    m = _PERIOD.match(text.strip())
    if not m:
        raise ValueError("period must look like 2026-10, 2026-Q4 or 2026")
    year = int(m.group(1))
    if not 2000 <= year <= 2100:
        raise ValueError("year out of range")
    if m.group(2):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise ValueError("month must be 01..12")
        return Period(PeriodKind.MONTH, year, month)
    if m.group(3):
        return Period(PeriodKind.QUARTER, year, int(m.group(3)))
    return Period(PeriodKind.YEAR, year, 1)


# ------------------------------------------------------------------ KPIs


@dataclass(frozen=True)
class UnitCounts:
    """What the database counted for one unit and one period.

    ``received``: valid complaints received; ``assessed``: of them, assessed;
    the flags count assessed orders; ``visited``: assessed orders with a
    reachable return visit (the satisfaction denominator)."""

    unit: str
    name: str = ""
    customers: int | None = None
    received: int = 0
    assessed: int = 0
    at_fault: int = 0
    on_time: int = 0
    visited: int = 0
    satisfied: int = 0
    repeat: int = 0
    first_time: int = 0
    escalated: int = 0
    handling_hours: Sequence[float] = field(default_factory=tuple)
    score_sum: float = 0.0
    #: the database's own aggregates, when it computed them (PostgreSQL:
    #: SUM, COUNT and percentile_cont(0.9)); else taken from ``handling_hours``
    handling_sum: float | None = None
    handling_count: int | None = None
    handling_p90: float | None = None


@dataclass(frozen=True)
class Kpi:
    code: str
    value: float | None
    numerator: float
    denominator: float
    #: which of numerator / denominator is an order count the drill-down lists
    counts: str = "numerator"


#: code → (higher is better, unit) — for rankings and display.
KPI_DEFS: dict[str, tuple[bool, str]] = {
    "complaints_per_10k": (False, "‱"),
    "at_fault_rate": (False, "%"),
    "on_time_rate": (True, "%"),
    "satisfaction_rate": (True, "%"),
    "repeat_rate": (False, "%"),
    "first_time_rate": (True, "%"),
    "escalation_rate": (False, "%"),
    "avg_handling_hours": (False, "h"),
    "p90_handling_hours": (False, "h"),
    "avg_score": (True, ""),
}


def ratio(numerator: float, denominator: float, scale: float = 100.0) -> float | None:
    if not denominator:
        return None
    return round(numerator * scale / denominator, 4)


def percentile(values: Iterable[float], q: float) -> float | None:
    """Linear-interpolated percentile (PostgreSQL percentile_cont), ``q`` in [0, 1]."""
    if not 0.0 <= q <= 1.0:
        raise ValueError("q must be in [0, 1]")
    xs = sorted(values)
    if not xs:
        return None
    pos = (len(xs) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return round(xs[lo] + (xs[hi] - xs[lo]) * (pos - lo), 4)


def percentile_from_histogram(
    buckets: Mapping[int, int],
    q: float,
    *,
    width: float,
    low: float | None = None,
    high: float | None = None,
) -> float | None:
    """Percentile (the ``percentile`` definition, linear between order
    statistics) of values known only by bucket counts: bucket ``b`` holds
    values in [b·width, (b+1)·width). Within a bucket its ``n`` values are
    taken as evenly spread (the k-th at (k + ½)/n of the width); the result is
    clamped to [low, high] (the true minimum and maximum, when known). Error:
    at most one bucket width."""
    if not 0.0 <= q <= 1.0:
        raise ValueError("q must be in [0, 1]")
    if width <= 0:
        raise ValueError("width must be > 0")
    items = sorted((b, n) for b, n in buckets.items() if n > 0)
    total = sum(n for _b, n in items)
    if not total:
        return None

    def value_at(rank: int) -> float:
        seen = 0
        for b, n in items:
            if rank < seen + n:
                return (b + (rank - seen + 0.5) / n) * width
            seen += n
        b, _n = items[-1]
        return (b + 1) * width

    pos = (total - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    v = value_at(lo) + (value_at(hi) - value_at(lo)) * (pos - lo)
    if low is not None:
        v = max(v, low)
    if high is not None:
        v = min(v, high)
    return round(v, 4)


def unit_kpis(c: UnitCounts) -> list[Kpi]:
    hours = list(c.handling_hours)
    if c.handling_count is not None:
        total_hours = round(c.handling_sum or 0.0, 4)
        n_hours = c.handling_count
        p90 = None if c.handling_p90 is None else round(c.handling_p90, 4)
    else:
        total_hours, n_hours, p90 = round(sum(hours), 4), len(hours), percentile(hours, 0.9)
    kpis: list[Kpi] = []
    if c.customers is not None:
        kpis.append(Kpi("complaints_per_10k", ratio(c.received, c.customers, 10000.0), c.received, c.customers))
    kpis += [
        Kpi("at_fault_rate", ratio(c.at_fault, c.assessed), c.at_fault, c.assessed),
        Kpi("on_time_rate", ratio(c.on_time, c.assessed), c.on_time, c.assessed),
        Kpi("satisfaction_rate", ratio(c.satisfied, c.visited), c.satisfied, c.visited),
        Kpi("repeat_rate", ratio(c.repeat, c.assessed), c.repeat, c.assessed),
        Kpi("first_time_rate", ratio(c.first_time, c.assessed), c.first_time, c.assessed),
        Kpi("escalation_rate", ratio(c.escalated, c.assessed), c.escalated, c.assessed),
        Kpi("avg_handling_hours", ratio(total_hours, n_hours, 1.0), total_hours, n_hours, counts="denominator"),
        Kpi("p90_handling_hours", p90, n_hours, n_hours, counts="denominator"),
        Kpi("avg_score", ratio(c.score_sum, c.assessed, 1.0), round(c.score_sum, 2), c.assessed, counts="denominator"),
    ]
    return kpis


@dataclass(frozen=True)
class Comparison:
    current: float | None
    previous: float | None
    change: float | None  # current − previous
    change_pct: float | None  # relative change in %


def compare(current: float | None, previous: float | None) -> Comparison:
    if current is None or previous is None:
        return Comparison(current, previous, None, None)
    change = round(current - previous, 4)
    pct = round(change * 100.0 / previous, 2) if previous else None
    return Comparison(current, previous, change, pct)


def rank(values: Mapping[str, float | None], *, higher_is_better: bool) -> dict[str, int | None]:
    """Competition ranking (1, 2, 2, 4); units without a value are unranked."""
    present = [(u, v) for u, v in values.items() if v is not None]
    ordered = sorted(present, key=lambda uv: (-uv[1] if higher_is_better else uv[1], uv[0]))
    ranks: dict[str, int | None] = dict.fromkeys(values)
    prev: float | None = None
    position = 0
    for i, (u, v) in enumerate(ordered, start=1):
        if v != prev:
            position = i
            prev = v
        ranks[u] = position
    return ranks


@dataclass(frozen=True)
class ParetoRow:
    key: str
    count: int
    share: float  # % of total
    cumulative: float  # cumulative %
    vital: bool  # within the first 80 %


def pareto(counts: Mapping[str, int], *, cut: float = 80.0) -> list[ParetoRow]:
    total = sum(counts.values())
    rows: list[ParetoRow] = []
    cum = 0
    for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        before = cum * 100.0 / total if total else 0.0
        cum += n
        rows.append(
            ParetoRow(
                key=key,
                count=n,
                share=round(n * 100.0 / total, 2) if total else 0.0,
                cumulative=round(cum * 100.0 / total, 2) if total else 0.0,
                vital=before < cut,
            )
        )
    return rows


def flag_for_training(at_fault_by_staff: Mapping[str, int], threshold: int) -> list[str]:
    """Staff whose orders were found at fault ``threshold`` times or more."""
    if threshold < 1:
        raise ValueError("threshold must be ≥ 1")
    return sorted(s for s, n in at_fault_by_staff.items() if n >= threshold)
