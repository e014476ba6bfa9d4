"""Importance-performance analysis (IPA) and segment comparison for satisfaction results.

Pure numpy (scipy only for Student-t quantiles), no Django.

IPA
---
``ipa(importance, performance, *, importance_cut=None, performance_cut=None, cut="mean") -> IpaResult``
    ``importance``: driver -> importance (in a CSI model: the total effect of the driver on
    the target LV, e.g. satisfaction or loyalty); ``performance``: driver -> performance
    (the 0-100 index).  The cut-offs default to the mean (``cut="median"``: median) of the
    drivers' values; explicit cut-offs override them.  A value equal to a cut-off counts as
    high.  Quadrants (Martilla & James 1977):

    ========================  ===========  ============  =====================
    quadrant                  importance   performance   meaning
    ========================  ===========  ============  =====================
    ``concentrate_here``      high         low           improve first
    ``keep_up``               high         high          keep up the good work
    ``low_priority``          low          low           low priority
    ``possible_overkill``     low          high          possible overkill
    ========================  ===========  ============  =====================

    ``IpaResult.priorities`` lists the drivers "what to improve first": quadrant order as
    above, then by improvement potential ``importance x (100 - performance) / 100`` (the
    gain in the target's index if the driver's performance reached 100), descending.
``ipa_from_pls(result, target, **kw)``
    IPA of every LV with a non-zero total effect on ``target`` in a
    :class:`~griddesk.engines.pls.PlsResult` fitted with ``scale_range`` (needs the index).

Segments
--------
``segment_means(values, segments, *, method="t"|"bootstrap", level=0.95, resamples=2000,
seed=0) -> list[SegmentStat]``: per segment n, mean, sd and a confidence interval for
the mean (Student t, or percentile bootstrap — vectorised, reproducible with ``seed``).
Segments keep their first-appearance order.  ``linear_trend(x, y, level=0.95) ->
Trend``: least-squares slope per unit of x with a t-based CI (e.g. index by period).
Errors raise :class:`IpaError` (``ValueError``).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from griddesk.engines.pls import PlsResult

__all__ = [
    "QUADRANTS",
    "IpaError",
    "IpaPoint",
    "IpaResult",
    "SegmentStat",
    "Trend",
    "ipa",
    "ipa_from_pls",
    "linear_trend",
    "segment_means",
]

QUADRANTS: Final = ("concentrate_here", "keep_up", "low_priority", "possible_overkill")


class IpaError(ValueError):
    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class IpaPoint:
    driver: str
    importance: float
    performance: float
    quadrant: str
    potential: float  # importance x (100 - performance) / 100

    def to_json(self) -> dict[str, Any]:
        return {"driver": self.driver, "importance": self.importance, "performance": self.performance,
                "quadrant": self.quadrant, "potential": self.potential}


@dataclass(frozen=True)
class IpaResult:
    points: tuple[IpaPoint, ...]  # in input order
    importance_cut: float
    performance_cut: float

    @property
    def priorities(self) -> tuple[IpaPoint, ...]:
        order = {q: i for i, q in enumerate(QUADRANTS)}
        return tuple(sorted(self.points, key=lambda p: (order[p.quadrant], -p.potential, p.driver)))

    def to_json(self) -> dict[str, Any]:
        return {"importance_cut": self.importance_cut, "performance_cut": self.performance_cut,
                "points": [p.to_json() for p in self.points],
                "priorities": [p.driver for p in self.priorities]}


def ipa(importance: Mapping[str, float], performance: Mapping[str, float], *,
        importance_cut: float | None = None, performance_cut: float | None = None, cut: str = "mean") -> IpaResult:
    if cut not in ("mean", "median"):
        raise IpaError(f"cut must be 'mean' or 'median', not {cut!r}", code="invalid_option")
    drivers = list(importance)
    if not drivers:
        raise IpaError("no drivers to analyse", code="empty")
    missing = [d for d in drivers if d not in performance]
    if missing:
        raise IpaError(f"no performance for {missing}", code="missing_performance")
    imp = np.array([float(importance[d]) for d in drivers])
    perf = np.array([float(performance[d]) for d in drivers])
    if not (np.all(np.isfinite(imp)) and np.all(np.isfinite(perf))):
        raise IpaError("importance and performance must be finite numbers", code="invalid")
    agg = np.mean if cut == "mean" else np.median
    ic = float(agg(imp)) if importance_cut is None else float(importance_cut)
    pc = float(agg(perf)) if performance_cut is None else float(performance_cut)
    points = []
    for d, i, p in zip(drivers, imp, perf):
        hi_i, hi_p = i >= ic, p >= pc
        quadrant = ("keep_up" if hi_p else "concentrate_here") if hi_i else (
            "possible_overkill" if hi_p else "low_priority")
        points.append(IpaPoint(driver=d, importance=float(i), performance=float(p), quadrant=quadrant,
                               potential=float(i * (100.0 - p) / 100.0)))
    return IpaResult(points=tuple(points), importance_cut=ic, performance_cut=pc)


def ipa_from_pls(result: PlsResult, target: str, *, importance_cut: float | None = None,
                 performance_cut: float | None = None, cut: str = "mean") -> IpaResult:
    if target not in result.lvs:
        raise IpaError(f"unknown target LV {target!r}", code="unknown_lv")
    if result.index is None:
        raise IpaError("the PLS result has no index; fit with scale_range to get performances", code="no_index")
    imp = {f: v for (f, t), v in result.total_effects.items() if t == target and f in result.index}
    if not imp:
        raise IpaError(f"no LV has an effect on {target!r}", code="empty")
    return ipa(imp, result.index, importance_cut=importance_cut, performance_cut=performance_cut, cut=cut)


# --------------------------------------------------------------------------- segments


def _t_quantile(p: float, df: int) -> float:
    from scipy import stats

    return float(stats.t.ppf(p, df))


@dataclass(frozen=True)
class SegmentStat:
    segment: Hashable
    n: int
    mean: float
    sd: float
    ci_low: float
    ci_high: float

    def to_json(self) -> dict[str, Any]:
        return {"segment": self.segment, "n": self.n, "mean": self.mean, "sd": self.sd,
                "ci_low": self.ci_low, "ci_high": self.ci_high}


def segment_means(values: Sequence[float] | NDArray[Any], segments: Sequence[Hashable] | NDArray[Any], *,
                  method: str = "t", level: float = 0.95, resamples: int = 2000,
                  seed: int = 0) -> list[SegmentStat]:
    """Mean and CI per segment; NaN values are skipped (not counted in n)."""
    if method not in ("t", "bootstrap"):
        raise IpaError(f"method must be 't' or 'bootstrap', not {method!r}", code="invalid_option")
    if not 0 < level < 1:
        raise IpaError("level must be between 0 and 1", code="invalid_option")
    v = np.asarray(values, dtype=np.float64)
    seg = list(segments)
    if v.ndim != 1 or len(v) != len(seg):
        raise IpaError(f"{len(v)} values for {len(seg)} segment labels", code="shape")
    if method == "bootstrap" and resamples < 10:
        raise IpaError("use at least 10 bootstrap resamples", code="invalid_option")
    order: dict[Hashable, list[int]] = {}
    for i, s in enumerate(seg):
        order.setdefault(s, []).append(i)
    rng = np.random.default_rng(seed)
    alpha = 1 - level
    out = []
    for s, idx in order.items():
        x = v[idx]
        x = x[np.isfinite(x)]
        n = len(x)
        if n == 0:
            out.append(SegmentStat(s, 0, math.nan, math.nan, math.nan, math.nan))
            continue
        mean = float(x.mean())
        sd = float(x.std(ddof=1)) if n > 1 else math.nan
        if n < 2:
            lo = hi = math.nan
        elif method == "t":
            half = _t_quantile(1 - alpha / 2, n - 1) * sd / math.sqrt(n)
            lo, hi = mean - half, mean + half
        else:
            means = x[rng.integers(0, n, size=(resamples, n))].mean(axis=1)
            lo, hi = (float(q) for q in np.percentile(means, [100 * alpha / 2, 100 * (1 - alpha / 2)]))
        out.append(SegmentStat(s, n, mean, sd, float(lo), float(hi)))
    return out


@dataclass(frozen=True)
class Trend:
    slope: float
    intercept: float
    ci_low: float
    ci_high: float
    n: int

    def to_json(self) -> dict[str, float | int]:
        return {"slope": self.slope, "intercept": self.intercept, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "n": self.n}


def linear_trend(x: Sequence[float] | NDArray[Any], y: Sequence[float] | NDArray[Any], *,
                 level: float = 0.95) -> Trend:
    """OLS slope of y on x with a t-based confidence interval (needs >= 3 points)."""
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    if xa.shape != ya.shape or xa.ndim != 1:
        raise IpaError("x and y must be 1-D and of equal length", code="shape")
    ok = np.isfinite(xa) & np.isfinite(ya)
    xa, ya = xa[ok], ya[ok]
    n = len(xa)
    if n < 3 or np.ptp(xa) == 0:
        raise IpaError("a trend needs at least 3 points at different x", code="too_few_points")
    xm, ym = xa.mean(), ya.mean()
    sxx = float(np.sum((xa - xm) ** 2))
    slope = float(np.sum((xa - xm) * (ya - ym)) / sxx)
    intercept = float(ym - slope * xm)
    resid = ya - (intercept + slope * xa)
    se = math.sqrt(float(np.sum(resid**2)) / (n - 2) / sxx)
    half = _t_quantile(1 - (1 - level) / 2, n - 2) * se
    return Trend(slope=slope, intercept=intercept, ci_low=slope - half, ci_high=slope + half, n=n)
