"""PLS path modelling (PLS-PM) for customer-satisfaction index models (ACSI / ECSI / CCSI).

Pure numpy, no Django.  Used by the ``satisfaction`` app and by the
``griddesk satisfaction pls`` command.

Public API (stable)
-------------------
``PlsModel(blocks, paths, modes={})``
    ``blocks``: LV name -> indicator column names, in order (an indicator may belong to
    one block only); ``paths``: ``(from LV, to LV)`` pairs, must form an acyclic graph in
    which every LV takes part in at least one path; ``modes``: LV -> ``"A"`` (reflective,
    default) or ``"B"`` (formative).  ``PlsModel.from_json({"blocks": {...}, "paths":
    [[F, T], ...], "modes": {...}})`` builds and validates one; ``model.indicators`` lists
    every indicator in block order; ``model.lvs`` the LVs; ``model.to_json()`` round-trips.
``pls_fit(data, columns, model, *, scheme="path", scale="standard", bootstrap=0, seed=0,
scale_range=None, max_iter=300, tol=1e-7, threads=1) -> PlsResult``
    ``data`` is an ``n x m`` float array whose columns are named by ``columns``; only the
    columns named in ``model.blocks`` are used (other columns are ignored).  The data must
    be complete: apply :func:`missing_policy` first.  ``scheme``: ``"path"``,
    ``"centroid"`` or ``"factorial"``; ``scale``: ``"standard"`` (mean 0, variance 1),
    ``"center"`` or ``"none"``; ``bootstrap``: number of resamples (0 = none);
    ``scale_range``: indicator -> (min, max) of its answer scale, to compute the 0-100
    index; every user error raises :class:`PlsError`.
``PlsResult``
    ``paths`` {(F, T): coef}, ``r2`` {endogenous LV: R²} (exogenous LVs have no entry),
    ``weights`` / ``loadings`` {indicator: value}, ``cross_loadings`` {indicator: {LV:
    corr}}, ``reliability`` {LV: Reliability(alpha, rho_c, ave)}, ``gof``,
    ``total_effects`` {(F, T): effect} (non-zero ones only), ``scores`` (n x LV,
    standardised, columns in ``lvs`` order), ``lvs``, ``index`` {LV: 0-100} or None,
    ``bootstrap`` (:class:`BootstrapResult`) or None, ``iterations``, ``n``, ``scheme``,
    ``scale``; ``to_json()`` gives a JSON-ready dict with ``"FROM->TO"`` keys.
``BootstrapResult``
    ``resamples`` (valid ones), ``requested``, ``seed``, and for ``paths``,
    ``total_effects``, ``weights``, ``loadings``, ``r2`` and ``index`` a
    :class:`BootStat` (original, mean, se, ci_low, ci_high — percentile 95 % CI — and t).
``missing_policy(data, policy, columns=None) -> (clean array, MissingReport)``
    ``"listwise"`` drops rows with any NaN, ``"mean"`` imputes column means;
    ``"error"`` raises PlsError if anything is missing.
``PlsError(ValueError)``
    ``.code`` is a stable machine-readable code (``invalid_model``, ``unknown_lv``,
    ``cyclic_model``, ``missing_column``, ``non_numeric``, ``missing_values``,
    ``constant_column``, ``too_few_rows``, ``singular``, ``not_converged``,
    ``invalid_option``), ``.field`` the offending LV / column / option when there is one.

Algorithm
---------
Lohmöller's formulation of Wold's PLS-PM.  Every step of the iteration only needs the
covariance matrix ``S`` of the scaled indicators, so the core works on a *batch* of
covariance matrices: the main fit is a batch of one, and the bootstrap computes all
resampled covariance matrices (vectorised gather + batched matmul, in memory-bounded
chunks) and then iterates all resamples at once.  There are no per-row Python loops.

1. Outer weights start at 1 and are normalised so that each LV score ``Y_j = X_j w_j``
   has variance 1.
2. Inner weights ``e_ij`` from the LV correlations: centroid = sign of the correlation,
   factorial = the correlation, path = for predecessors of ``j`` the coefficients of the
   regression of ``Y_j`` on them, for successors the correlation (only adjacent LVs).
3. Inner proxy ``Z_j = sum_i e_ij Y_i``.  Mode A: ``w_j = cov(X_j, Z_j)``; Mode B:
   ``w_j = S_jj^-1 cov(X_j, Z_j)``.  Normalise, repeat until ``max |Δw| < tol``.
4. Path coefficients by OLS of each endogenous LV on its predecessors, R², loadings =
   correlations of indicators with their LV, total effects ``(I - B)^-1 - I``.

Variances use the ``n - 1`` divisor (like R's ``scale()``).  With ``scale="standard"``
every reported figure is invariant to that choice (weights are normalised with the same
divisor as the data), which is why the SmartPLS 2 reference results for the ECSI
mobile-phone data are reproduced to 1e-6.  ``"center"`` and ``"none"`` give identical
coefficients (PLS-PM works on covariances); weights then apply to the raw units.

Reliability: Cronbach's alpha on the scaled block (standardised alpha for
``scale="standard"``), Dillon-Goldstein's rho (composite reliability
``(Σλ)² / ((Σλ)² + Σ(1-λ²))``) and AVE = mean λ².  GoF = sqrt(mean communality over the
indicators of blocks with more than one indicator x mean R² of the endogenous LVs) (as in
R plspm).

Index (ACSI, Fornell et al. 1996): the outer weights are un-standardised
(``w_k / sd_k``), rescaled to sum to 1 within the block (``w̃``), and
``index = (Σ w̃ x̄ - Σ w̃ min) / (Σ w̃ max - Σ w̃ min) x 100`` with each indicator's answer
scale (min, max) from ``scale_range``.  LVs with an indicator missing from
``scale_range`` get no index.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "SCALES",
    "SCHEMES",
    "BootStat",
    "BootstrapResult",
    "MissingReport",
    "PlsError",
    "PlsModel",
    "PlsResult",
    "Reliability",
    "missing_policy",
    "pls_fit",
]

FloatArray = NDArray[np.float64]

SCHEMES: Final = ("path", "centroid", "factorial")
SCALES: Final = ("standard", "center", "none")
MODES: Final = ("A", "B")
#: memory budget (bytes) for one chunk of bootstrap resamples
_CHUNK_BYTES: Final = 48 * 1024 * 1024


class PlsError(ValueError):
    """A user error in the model, the data or the options; ``code`` is stable."""

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class PlsModel:
    """Measurement model (blocks, modes) and structural model (paths)."""

    blocks: Mapping[str, Sequence[str]]
    paths: Sequence[tuple[str, str]]
    modes: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _validate_model(self)

    @property
    def lvs(self) -> tuple[str, ...]:
        return tuple(self.blocks)

    @property
    def indicators(self) -> tuple[str, ...]:
        return tuple(ind for lv in self.blocks for ind in self.blocks[lv])

    def mode(self, lv: str) -> str:
        return self.modes.get(lv, "A")

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> PlsModel:
        """Build from ``{"blocks": {LV: [ind, ...]}, "paths": [[F, T], ...], "modes": {LV: "A"|"B"}}``."""
        if not isinstance(obj, Mapping):
            raise PlsError("the model must be a JSON object with 'blocks' and 'paths'", code="invalid_model")
        unknown = set(obj) - {"blocks", "paths", "modes"}
        if unknown:
            raise PlsError(f"unknown model keys: {sorted(unknown)}", code="invalid_model")
        blocks_raw = obj.get("blocks")
        if not isinstance(blocks_raw, Mapping) or not blocks_raw:
            raise PlsError("'blocks' must be a non-empty object {LV: [indicator, ...]}", code="invalid_model",
                           field="blocks")
        blocks: dict[str, tuple[str, ...]] = {}
        for lv, inds in blocks_raw.items():
            if not isinstance(lv, str) or isinstance(inds, str) or not isinstance(inds, Sequence):
                raise PlsError(f"block {lv!r} must be a list of indicator names", code="invalid_model", field=str(lv))
            if not all(isinstance(i, str) for i in inds):
                raise PlsError(f"block {lv!r}: indicator names must be strings", code="invalid_model", field=lv)
            blocks[lv] = tuple(inds)
        paths_raw = obj.get("paths")
        if isinstance(paths_raw, str) or not isinstance(paths_raw, Sequence):
            raise PlsError("'paths' must be a list of [FROM, TO] pairs", code="invalid_model", field="paths")
        paths: list[tuple[str, str]] = []
        for p in paths_raw:
            if (isinstance(p, str) or not isinstance(p, Sequence) or len(p) != 2
                    or not all(isinstance(x, str) for x in p)):
                raise PlsError(f"path {p!r} must be a [FROM, TO] pair of LV names", code="invalid_model",
                               field="paths")
            paths.append((p[0], p[1]))
        modes_raw = obj.get("modes", {}) or {}
        if not isinstance(modes_raw, Mapping):
            raise PlsError("'modes' must be an object {LV: 'A'|'B'}", code="invalid_model", field="modes")
        modes: dict[str, str] = {}
        for lv, m in modes_raw.items():
            if not isinstance(m, str):
                raise PlsError(f"mode of {lv!r} must be 'A' or 'B'", code="invalid_model", field=str(lv))
            modes[str(lv)] = m.strip().upper()
        return cls(blocks=blocks, paths=tuple(paths), modes=modes)

    def to_json(self) -> dict[str, Any]:
        return {
            "blocks": {lv: list(inds) for lv, inds in self.blocks.items()},
            "paths": [[f, t] for f, t in self.paths],
            "modes": {lv: self.mode(lv) for lv in self.blocks},
        }


def _validate_model(model: PlsModel) -> None:
    if not model.blocks:
        raise PlsError("the model has no blocks", code="invalid_model", field="blocks")
    seen: dict[str, str] = {}
    for lv, inds in model.blocks.items():
        if not lv:
            raise PlsError("LV names must be non-empty", code="invalid_model", field="blocks")
        if isinstance(inds, str) or len(inds) == 0:
            raise PlsError(f"block {lv!r} has no indicators", code="invalid_model", field=lv)
        for ind in inds:
            if ind in seen:
                where = "twice in block" if seen[ind] == lv else f"in blocks {seen[ind]!r} and"
                raise PlsError(f"indicator {ind!r} appears {where} {lv!r}; each indicator belongs to one block",
                               code="invalid_model", field=ind)
            seen[ind] = lv
    for lv, m in model.modes.items():
        if lv not in model.blocks:
            raise PlsError(f"mode given for unknown LV {lv!r}", code="unknown_lv", field=lv)
        if m not in MODES:
            raise PlsError(f"mode of {lv!r} is {m!r}; must be 'A' or 'B'", code="invalid_model", field=lv)
    if not model.paths:
        raise PlsError("the model has no paths", code="invalid_model", field="paths")
    pairs: set[tuple[str, str]] = set()
    for f, t in model.paths:
        for lv in (f, t):
            if lv not in model.blocks:
                raise PlsError(f"path {f}->{t} names unknown LV {lv!r} (no block)", code="unknown_lv", field=lv)
        if f == t:
            raise PlsError(f"path {f}->{t} is a loop", code="cyclic_model", field=f)
        if (f, t) in pairs:
            raise PlsError(f"path {f}->{t} is given twice", code="invalid_model", field=f)
        if (t, f) in pairs:
            raise PlsError(f"paths {f}->{t} and {t}->{f} form a cycle", code="cyclic_model", field=f)
        pairs.add((f, t))
    connected = {x for p in pairs for x in p}
    for lv in model.blocks:
        if lv not in connected:
            raise PlsError(f"LV {lv!r} takes part in no path", code="invalid_model", field=lv)
    # Kahn's algorithm: the structural model must be recursive (acyclic)
    indeg = dict.fromkeys(model.blocks, 0)
    for _, t in pairs:
        indeg[t] += 1
    ready = [lv for lv, d in indeg.items() if d == 0]
    done = 0
    while ready:
        lv = ready.pop()
        done += 1
        for f, t in pairs:
            if f == lv:
                indeg[t] -= 1
                if indeg[t] == 0:
                    ready.append(t)
    if done != len(model.blocks):
        cyc = sorted(lv for lv, d in indeg.items() if d > 0)
        raise PlsError(f"the paths contain a cycle through {cyc}", code="cyclic_model", field=cyc[0])


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Reliability:
    alpha: float  # Cronbach's alpha
    rho_c: float  # composite reliability (Dillon-Goldstein's rho)
    ave: float  # average variance extracted

    def to_json(self) -> dict[str, float]:
        return {"alpha": self.alpha, "rho_c": self.rho_c, "ave": self.ave}


@dataclass(frozen=True)
class BootStat:
    original: float
    mean: float
    se: float
    ci_low: float  # 2.5 % percentile
    ci_high: float  # 97.5 % percentile

    @property
    def t(self) -> float:
        return self.original / self.se if self.se > 0 else math.inf

    def to_json(self) -> dict[str, float | None]:
        t = self.t
        return {"original": self.original, "mean": self.mean, "se": self.se,
                "ci_low": self.ci_low, "ci_high": self.ci_high, "t": t if math.isfinite(t) else None}


@dataclass(frozen=True)
class BootstrapResult:
    requested: int
    resamples: int  # valid (converged, non-degenerate) resamples used
    seed: int
    paths: dict[tuple[str, str], BootStat]
    total_effects: dict[tuple[str, str], BootStat]
    weights: dict[str, BootStat]
    loadings: dict[str, BootStat]
    r2: dict[str, BootStat]
    index: dict[str, BootStat] | None

    def to_json(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "resamples": self.resamples,
            "seed": self.seed,
            "paths": {_arrow(k): v.to_json() for k, v in self.paths.items()},
            "total_effects": {_arrow(k): v.to_json() for k, v in self.total_effects.items()},
            "weights": {k: v.to_json() for k, v in self.weights.items()},
            "loadings": {k: v.to_json() for k, v in self.loadings.items()},
            "r2": {k: v.to_json() for k, v in self.r2.items()},
            "index": None if self.index is None else {k: v.to_json() for k, v in self.index.items()},
        }


@dataclass(frozen=True)
class PlsResult:
    paths: dict[tuple[str, str], float]
    r2: dict[str, float]
    weights: dict[str, float]
    loadings: dict[str, float]
    cross_loadings: dict[str, dict[str, float]]
    reliability: dict[str, Reliability]
    gof: float
    total_effects: dict[tuple[str, str], float]
    scores: FloatArray
    lvs: tuple[str, ...]
    index: dict[str, float] | None
    bootstrap: BootstrapResult | None
    iterations: int
    n: int
    scheme: str = "path"
    scale: str = "standard"

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "scheme": self.scheme,
            "scale": self.scale,
            "iterations": self.iterations,
            "lvs": list(self.lvs),
            "paths": {_arrow(k): v for k, v in self.paths.items()},
            "r2": dict(self.r2),
            "weights": dict(self.weights),
            "loadings": dict(self.loadings),
            "cross_loadings": {k: dict(v) for k, v in self.cross_loadings.items()},
            "reliability": {k: v.to_json() for k, v in self.reliability.items()},
            "gof": self.gof,
            "total_effects": {_arrow(k): v for k, v in self.total_effects.items()},
            "index": None if self.index is None else dict(self.index),
            "bootstrap": None if self.bootstrap is None else self.bootstrap.to_json(),
        }


def _arrow(k: tuple[str, str]) -> str:
    return f"{k[0]}->{k[1]}"


@dataclass(frozen=True)
class MissingReport:
    policy: str
    rows_in: int
    rows_out: int
    dropped_rows: tuple[int, ...]  # 0-based row numbers dropped (listwise)
    imputed_cells: int
    missing_by_column: dict[str, int]  # column name (or "#i") -> missing cells

    def to_json(self) -> dict[str, Any]:
        return {"policy": self.policy, "rows_in": self.rows_in, "rows_out": self.rows_out,
                "dropped_rows": list(self.dropped_rows), "imputed_cells": self.imputed_cells,
                "missing_by_column": dict(self.missing_by_column)}


MISSING_POLICIES: Final = ("listwise", "mean", "error")


def missing_policy(data: NDArray[Any], policy: str,
                   columns: Sequence[str] | None = None) -> tuple[FloatArray, MissingReport]:
    """Apply an explicit missing-data policy to ``data`` (NaN = missing).

    ``listwise`` drops every row with a missing value; ``mean`` replaces each missing
    cell by its column mean (a column with no value at all is an error); ``error``
    raises :class:`PlsError` (code ``missing_values``) if anything is missing.
    """
    if policy not in MISSING_POLICIES:
        raise PlsError(f"missing-data policy must be one of {MISSING_POLICIES}, not {policy!r}",
                       code="invalid_option", field="policy")
    x = np.array(data, dtype=np.float64, copy=True)
    if x.ndim != 2:
        raise PlsError("data must be a 2-D array (rows x columns)", code="invalid_option", field="data")
    names = list(columns) if columns is not None else [f"#{i}" for i in range(x.shape[1])]
    if len(names) != x.shape[1]:
        raise PlsError(f"{len(names)} column names for {x.shape[1]} columns", code="invalid_option",
                       field="columns")
    miss = ~np.isfinite(x)
    per_col = miss.sum(axis=0)
    by_col = {names[i]: int(c) for i, c in enumerate(per_col) if c}
    n = x.shape[0]
    if policy == "error":
        if miss.any():
            raise PlsError(f"{int(miss.sum())} missing values (columns {sorted(by_col)}); choose a "
                           "missing-data policy (listwise or mean)", code="missing_values")
        return x, MissingReport(policy, n, n, (), 0, {})
    if policy == "listwise":
        bad = miss.any(axis=1)
        dropped = tuple(int(i) for i in np.flatnonzero(bad))
        return x[~bad], MissingReport(policy, n, n - len(dropped), dropped, 0, by_col)
    empty = [names[i] for i in np.flatnonzero(per_col == n)] if n else list(names)
    if empty:
        raise PlsError(f"column(s) {empty} have no values to impute a mean from", code="missing_values",
                       field=empty[0])
    means = np.nanmean(np.where(miss, np.nan, x), axis=0) if miss.any() else np.zeros(x.shape[1])
    rows, cols = np.nonzero(miss)
    x[rows, cols] = means[cols]
    return x, MissingReport(policy, n, n, (), int(miss.sum()), by_col)


# --------------------------------------------------------------------------- core


@dataclass(frozen=True)
class _Spec:
    lvs: tuple[str, ...]
    indicators: tuple[str, ...]
    block_of: NDArray[np.intp]  # (p,) LV index of each indicator
    mask: FloatArray  # (p, K) 1 where indicator k belongs to LV j
    block_idx: tuple[NDArray[np.intp], ...]  # indicator indices per LV
    mode_b: tuple[bool, ...]
    adj: NDArray[np.bool_]  # (K, K) adj[i, j] = path i -> j
    preds: tuple[NDArray[np.intp], ...]
    succs: tuple[NDArray[np.intp], ...]


def _spec(model: PlsModel) -> _Spec:
    lvs = model.lvs
    pos = {lv: j for j, lv in enumerate(lvs)}
    inds = model.indicators
    block_of = np.array([pos[lv] for lv in lvs for _ in model.blocks[lv]], dtype=np.intp)
    p, k = len(inds), len(lvs)
    mask = np.zeros((p, k))
    mask[np.arange(p), block_of] = 1.0
    adj = np.zeros((k, k), dtype=np.bool_)
    for f, t in model.paths:
        adj[pos[f], pos[t]] = True
    return _Spec(
        lvs=lvs, indicators=inds, block_of=block_of, mask=mask,
        block_idx=tuple(np.flatnonzero(block_of == j) for j in range(k)),
        mode_b=tuple(model.mode(lv) == "B" for lv in lvs),
        adj=adj,
        preds=tuple(np.flatnonzero(adj[:, j]) for j in range(k)),
        succs=tuple(np.flatnonzero(adj[j, :]) for j in range(k)),
    )


def _solve(a: FloatArray, b: FloatArray) -> FloatArray:
    """Batched ``a^-1 b`` for b of shape (B, q); pseudo-inverse on singular batches."""
    try:
        out: FloatArray = np.linalg.solve(a, b[..., None])[..., 0].astype(np.float64)
    except np.linalg.LinAlgError:
        out = np.einsum("bij,bj->bi", np.linalg.pinv(a), b).astype(np.float64)
    return out


def _normalise(w: FloatArray, s: FloatArray, spec: _Spec) -> FloatArray:
    wm = w[:, :, None] * spec.mask  # (B, p, K)
    var = np.einsum("bpk,bpq,bqk->bk", wm, s, wm)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = w / np.sqrt(var[:, spec.block_of])
    return out


def _inner(c: FloatArray, spec: _Spec, scheme: str) -> FloatArray:
    """Inner weights E (B, K, K): Z_j = sum_i E[i, j] Y_i."""
    nb, k, _ = c.shape
    if scheme == "centroid":
        e: FloatArray = np.sign(c) * (spec.adj | spec.adj.T)
        return e
    if scheme == "factorial":
        e = c * (spec.adj | spec.adj.T)
        return e
    e = np.zeros((nb, k, k))
    for j in range(k):
        pr, su = spec.preds[j], spec.succs[j]
        if len(pr):
            e[:, pr, j] = _solve(c[:, pr][:, :, pr], c[:, pr, j])
        if len(su):
            e[:, su, j] = c[:, su, j]
    return e


@dataclass(frozen=True)
class _Core:
    w: FloatArray  # (B, p) outer weights
    sw: FloatArray  # (B, p, K) cov(indicator, LV)
    c: FloatArray  # (B, K, K) LV correlations
    iterations: int
    converged: NDArray[np.bool_]  # (B,)


def _core(s: FloatArray, spec: _Spec, scheme: str, max_iter: int, tol: float) -> _Core:
    nb, p, _ = s.shape
    binv: dict[int, FloatArray] = {}
    for j, is_b in enumerate(spec.mode_b):
        if is_b:
            idx = spec.block_idx[j]
            sjj = s[:, idx][:, :, idx]
            try:
                binv[j] = np.linalg.inv(sjj).astype(np.float64)
            except np.linalg.LinAlgError:
                binv[j] = np.linalg.pinv(sjj).astype(np.float64)
    w = _normalise(np.ones((nb, p)), s, spec)
    converged = np.zeros(nb, dtype=np.bool_)
    it = 0
    pidx = np.arange(p)
    for it in range(1, max_iter + 1):  # noqa: B007 - the count survives the loop
        wm = w[:, :, None] * spec.mask
        sw = s @ wm
        c = np.swapaxes(wm, 1, 2) @ sw
        e = _inner(c, spec, scheme)
        t = sw @ e  # (B, p, K) cov(X_k, Z_j)
        w_new = t[:, pidx, spec.block_of].copy()
        for j, inv in binv.items():
            idx = spec.block_idx[j]
            w_new[:, idx] = np.einsum("bij,bj->bi", inv, t[:, idx, j])
        w_new = _normalise(w_new, s, spec)
        diff = np.max(np.abs(w_new - w), axis=1)
        w = w_new
        converged = diff < tol
        if converged.all():
            break
    wm = w[:, :, None] * spec.mask
    sw = s @ wm
    c = np.swapaxes(wm, 1, 2) @ sw
    return _Core(w=w, sw=sw, c=c, iterations=it, converged=converged)


@dataclass(frozen=True)
class _Derived:
    beta: FloatArray  # (B, K, K) path coefficients B[i, j] for i -> j
    r2: FloatArray  # (B, K) (0 for exogenous)
    total: FloatArray  # (B, K, K)
    loadings: FloatArray  # (B, p)
    cross: FloatArray  # (B, p, K)


def _derive(core: _Core, s: FloatArray, spec: _Spec) -> _Derived:
    nb, k, _ = core.c.shape
    c = core.c
    beta = np.zeros((nb, k, k))
    r2 = np.zeros((nb, k))
    for j in range(k):
        pr = spec.preds[j]
        if len(pr):
            b = _solve(c[:, pr][:, :, pr], c[:, pr, j])
            beta[:, pr, j] = b
            r2[:, j] = np.einsum("bi,bi->b", b, c[:, pr, j])
    eye = np.eye(k)
    total = np.linalg.inv(eye - beta) - eye
    sd = np.sqrt(np.einsum("bpp->bp", s))
    cross = core.sw / sd[:, :, None]
    loadings = cross[:, np.arange(len(spec.block_of)), spec.block_of]
    return _Derived(beta=beta, r2=r2, total=total, loadings=loadings, cross=cross)


def _index(w: FloatArray, sd: FloatArray, mean: FloatArray, spec: _Spec,
           lo: FloatArray, hi: FloatArray, has: NDArray[np.bool_]) -> FloatArray:
    """ACSI index (B, K); NaN for LVs without a full scale range."""
    raw = w / sd  # un-standardised weights, (B, p)
    num = (raw * (mean - lo)) @ spec.mask  # (B, K); rescaling by Σw cancels in the ratio
    den = (raw * (hi - lo)) @ spec.mask
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = 100.0 * num / den
    out[:, ~has] = np.nan
    return out


# --------------------------------------------------------------------------- fit


def _cov_standard(xc: FloatArray, n: int, scale: str) -> tuple[FloatArray, FloatArray]:
    """Covariance (B, p, p) of centred data (B, n, p) and the indicator sds (B, p)."""
    cov = np.swapaxes(xc, 1, 2) @ xc / (n - 1)
    sd = np.sqrt(np.einsum("bpp->bp", cov))
    if scale == "standard":
        with np.errstate(invalid="ignore", divide="ignore"):
            cov = cov / (sd[:, :, None] * sd[:, None, :])
    return cov, sd


@contextlib.contextmanager
def _blas_threads(threads: int | None) -> Iterator[None]:
    """Limit BLAS threads for the duration of a fit (threadpoolctl ships with scikit-learn)."""
    if threads is None:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - always installed with scikit-learn
        yield
        return
    with threadpool_limits(limits=threads, user_api="blas"):
        yield


def pls_fit(data: NDArray[Any], columns: Sequence[str], model: PlsModel, *, scheme: str = "path",
            scale: str = "standard", bootstrap: int = 0, seed: int = 0,
            scale_range: Mapping[str, tuple[float, float]] | None = None,
            max_iter: int = 300, tol: float = 1e-7, threads: int | None = 1) -> PlsResult:
    """Fit ``model`` to ``data`` by PLS-PM; see the module docstring.

    ``threads``: BLAS threads during the fit.  1 by default: the work is many small
    (p x p) matrix products, which gain nothing from threads, and multi-threaded OpenBLAS
    busy-waits — 10x slower on a loaded 2-core machine.  ``None`` leaves BLAS alone.
    """
    with _blas_threads(threads):
        return _pls_fit(data, columns, model, scheme=scheme, scale=scale, bootstrap=bootstrap, seed=seed,
                        scale_range=scale_range, max_iter=max_iter, tol=tol)


def _pls_fit(data: NDArray[Any], columns: Sequence[str], model: PlsModel, *, scheme: str, scale: str,
             bootstrap: int, seed: int, scale_range: Mapping[str, tuple[float, float]] | None,
             max_iter: int, tol: float) -> PlsResult:
    if scheme not in SCHEMES:
        raise PlsError(f"scheme must be one of {SCHEMES}, not {scheme!r}", code="invalid_option", field="scheme")
    if scale not in SCALES:
        raise PlsError(f"scale must be one of {SCALES}, not {scale!r}", code="invalid_option", field="scale")
    if bootstrap < 0 or max_iter < 1 or not tol > 0:
        raise PlsError("bootstrap must be >= 0, max_iter >= 1 and tol > 0", code="invalid_option",
                       field="bootstrap")
    arr = np.asarray(data)
    if arr.ndim != 2 or arr.shape[1] != len(columns):
        raise PlsError(f"data has shape {arr.shape} but {len(columns)} column names were given",
                       code="invalid_option", field="columns")
    colpos: dict[str, int] = {}
    for i, name in enumerate(columns):
        colpos.setdefault(name, i)
    spec = _spec(model)
    for ind in spec.indicators:
        if ind not in colpos:
            lv = spec.lvs[int(spec.block_of[spec.indicators.index(ind)])]
            raise PlsError(f"block {lv!r} names column {ind!r}, which is not in the data",
                           code="missing_column", field=ind)
    try:
        x = np.asarray(arr[:, [colpos[i] for i in spec.indicators]], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise PlsError(f"indicator columns must be numeric ({exc})", code="non_numeric") from None
    n, p = x.shape
    bad = ~np.isfinite(x)
    if bad.any():
        cols = [spec.indicators[i] for i in np.flatnonzero(bad.any(axis=0))]
        raise PlsError(f"{int(bad.sum())} missing or non-finite values in {cols}; apply missing_policy() "
                       "(listwise or mean) first", code="missing_values", field=cols[0])
    biggest_b = max([len(spec.block_idx[j]) for j, b in enumerate(spec.mode_b) if b], default=0)
    need = max(3, biggest_b + 2, max(len(pr) for pr in spec.preds) + 2)
    if n < need:
        raise PlsError(f"{n} complete rows; at least {need} are needed for this model", code="too_few_rows")
    mean = x.mean(axis=0)
    xc = x - mean
    s1, sd1 = _cov_standard(xc[None], n, scale)
    const = np.flatnonzero(sd1[0] <= 1e-12 * np.maximum(1.0, np.abs(mean)))
    if len(const):
        names = [spec.indicators[i] for i in const]
        raise PlsError(f"constant column(s) {names}: a constant indicator carries no information",
                       code="constant_column", field=names[0])
    for j, is_b in enumerate(spec.mode_b):
        idx = spec.block_idx[j]
        if is_b and np.linalg.matrix_rank(s1[0][np.ix_(idx, idx)]) < len(idx):
            raise PlsError(f"Mode B block {spec.lvs[j]!r} has collinear indicators", code="singular",
                           field=spec.lvs[j])

    core = _core(s1, spec, scheme, max_iter, tol)
    if not core.converged[0]:
        raise PlsError(f"PLS-PM did not converge in {max_iter} iterations", code="not_converged")
    d = _derive(core, s1, spec)
    if not np.all(np.isfinite(d.beta)) or not np.all(np.isfinite(core.w)):
        raise PlsError("the LV scores are collinear; the path model cannot be estimated", code="singular")

    lvs, inds = spec.lvs, spec.indicators
    k = len(lvs)
    w0, ld0 = core.w[0], d.loadings[0]
    paths = {(f, t): float(d.beta[0, lvs.index(f), lvs.index(t)]) for f, t in model.paths}
    r2 = {lvs[j]: float(d.r2[0, j]) for j in range(k) if len(spec.preds[j])}
    total = {(lvs[i], lvs[j]): float(d.total[0, i, j]) for i in range(k) for j in range(k)
             if abs(d.total[0, i, j]) > 1e-15}
    weights = {ind: float(w0[i]) for i, ind in enumerate(inds)}
    loadings = {ind: float(ld0[i]) for i, ind in enumerate(inds)}
    cross = {ind: {lv: float(d.cross[0, i, j]) for j, lv in enumerate(lvs)} for i, ind in enumerate(inds)}
    reliability: dict[str, Reliability] = {}
    comm_sum, comm_n = 0.0, 0
    for j, lv in enumerate(lvs):
        idx = spec.block_idx[j]
        q = len(idx)
        lam = ld0[idx]
        sub = s1[0][np.ix_(idx, idx)]
        if q == 1:
            alpha = rho = 1.0
        else:
            alpha = float(q / (q - 1) * (1.0 - np.trace(sub) / sub.sum()))
            sl = float(lam.sum()) ** 2
            rho = sl / (sl + float(np.sum(1.0 - lam**2)))
            comm_sum += float(np.sum(lam**2))
            comm_n += q
        reliability[lv] = Reliability(alpha=alpha, rho_c=rho, ave=float(np.mean(lam**2)))
    if comm_n == 0:
        comm_sum, comm_n = float(np.sum(ld0**2)), p
    gof = math.sqrt(comm_sum / comm_n * float(np.mean(list(r2.values()))))

    sd_scale = sd1 if scale == "standard" else np.ones_like(sd1)
    xs = xc / sd_scale[0] if scale != "none" else x
    wm = w0[:, None] * spec.mask
    y = xs @ wm
    y = (y - y.mean(axis=0)) / y.std(axis=0, ddof=1)

    index: dict[str, float] | None = None
    rng_lo = rng_hi = has = None
    if scale_range is not None:
        rng_lo, rng_hi, has = _ranges(scale_range, spec)
        idx0 = _index(core.w, sd_scale, mean[None], spec, rng_lo, rng_hi, has)
        index = {lv: float(idx0[0, j]) for j, lv in enumerate(lvs) if has[j]}

    boot: BootstrapResult | None = None
    if bootstrap > 0:
        boot = _bootstrap(x, spec, model, scheme, scale, bootstrap, seed, max_iter, tol,
                          rng_lo, rng_hi, has, paths, total, weights, loadings, r2, index)

    return PlsResult(paths=paths, r2=r2, weights=weights, loadings=loadings, cross_loadings=cross,
                     reliability=reliability, gof=gof, total_effects=total, scores=y, lvs=lvs,
                     index=index, bootstrap=boot, iterations=core.iterations, n=n, scheme=scheme, scale=scale)


def _ranges(scale_range: Mapping[str, tuple[float, float]],
            spec: _Spec) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    p = len(spec.indicators)
    lo, hi = np.zeros(p), np.ones(p)
    known = np.zeros(p, dtype=np.bool_)
    for i, ind in enumerate(spec.indicators):
        if ind in scale_range:
            a, b = scale_range[ind]
            if not (math.isfinite(a) and math.isfinite(b) and b > a):
                raise PlsError(f"scale range of {ind!r} must be (min, max) with max > min, not {(a, b)}",
                               code="invalid_option", field=ind)
            lo[i], hi[i], known[i] = a, b, True
    has = np.array([bool(known[idx].all()) for idx in spec.block_idx], dtype=np.bool_)
    return lo, hi, has


def _stat(orig: float, vals: FloatArray) -> BootStat:
    lo, hi = np.percentile(vals, [2.5, 97.5])
    return BootStat(original=orig, mean=float(vals.mean()),
                    se=float(vals.std(ddof=1)) if len(vals) > 1 else 0.0,
                    ci_low=float(lo), ci_high=float(hi))


def _bootstrap(x: FloatArray, spec: _Spec, model: PlsModel, scheme: str, scale: str, b: int, seed: int,
               max_iter: int, tol: float, lo: FloatArray | None, hi: FloatArray | None,
               has: NDArray[np.bool_] | None, paths: dict[tuple[str, str], float],
               total: dict[tuple[str, str], float], weights: dict[str, float], loadings: dict[str, float],
               r2: dict[str, float], index: dict[str, float] | None) -> BootstrapResult:
    n, p = x.shape
    rng = np.random.default_rng(seed)
    idx_all = rng.integers(0, n, size=(b, n))
    chunk = max(1, _CHUNK_BYTES // (16 * n * p))
    covs, sds, means = [], [], []
    for start in range(0, b, chunk):
        xb = x[idx_all[start:start + chunk]]  # (c, n, p)
        m = xb.mean(axis=1)
        xb -= m[:, None, :]
        cov, sd = _cov_standard(xb, n, scale)
        covs.append(cov)
        sds.append(sd)
        means.append(m)
    s = np.concatenate(covs)
    sd_all = np.concatenate(sds)
    mean_all = np.concatenate(means)
    ok = np.all(sd_all > 1e-12, axis=1)
    s, sd_all, mean_all = s[ok], sd_all[ok], mean_all[ok]
    if len(s) == 0:
        raise PlsError("every bootstrap resample had a constant indicator", code="constant_column")
    core = _core(s, spec, scheme, max_iter, tol)
    d = _derive(core, s, spec)
    good = core.converged & np.all(np.isfinite(d.beta.reshape(len(s), -1)), axis=1)
    # Sign indeterminacy: orient every resampled block like the original (sum of loadings).
    lvs, inds = spec.lvs, spec.indicators
    ld_orig = np.array([loadings[i] for i in inds])
    flip = np.sign((d.loadings * ld_orig) @ spec.mask)  # (B, K): +1 same orientation as the original
    flip[flip == 0] = 1.0
    w = core.w * flip[:, spec.block_of]
    ld = d.loadings * flip[:, spec.block_of]
    beta = d.beta * flip[:, :, None] * flip[:, None, :]
    tot = d.total * flip[:, :, None] * flip[:, None, :]
    sel = np.flatnonzero(good)
    pos = {lv: j for j, lv in enumerate(lvs)}
    boot_paths = {k: _stat(v, beta[sel, pos[k[0]], pos[k[1]]]) for k, v in paths.items()}
    boot_total = {k: _stat(v, tot[sel, pos[k[0]], pos[k[1]]]) for k, v in total.items()}
    boot_w = {ind: _stat(weights[ind], w[sel, i]) for i, ind in enumerate(inds)}
    boot_l = {ind: _stat(loadings[ind], ld[sel, i]) for i, ind in enumerate(inds)}
    boot_r2 = {lv: _stat(v, d.r2[sel, pos[lv]]) for lv, v in r2.items()}
    boot_index: dict[str, BootStat] | None = None
    if index is not None and lo is not None and hi is not None and has is not None:
        sd_scale = sd_all if scale == "standard" else np.ones_like(sd_all)
        ib = _index(w, sd_scale, mean_all, spec, lo, hi, has)
        boot_index = {lv: _stat(v, ib[sel, pos[lv]]) for lv, v in index.items()}
    return BootstrapResult(requested=b, resamples=len(sel), seed=seed, paths=boot_paths, total_effects=boot_total,
                           weights=boot_w, loadings=boot_l, r2=boot_r2, index=boot_index)
