"""Fuzzy comprehensive evaluation (模糊综合评价, FCE).

Pure numpy, no Django.

Model: factors U = {u_1..u_m} with weights W (1 x m, Σ = 1), grades V = {v_1..v_n}
(e.g. 很满意 / 满意 / 一般 / 不满意), membership matrix R (m x n, r_ij = degree to which
factor i is judged to be of grade j; usually each row is the share of respondents who gave
that grade).  The evaluation vector is B = W ∘ R with a composition operator:

==================  =============  ==========================================
operator            notation       b_j
==================  =============  ==========================================
``"min_max"``       M(∧, ∨)        max_i min(w_i, r_ij)   (Zadeh, main factor decides)
``"product_max"``   M(·, ∨)        max_i w_i r_ij         (main factor prominent)
``"min_bsum"``      M(∧, ⊕)        min(1, Σ_i min(w_i, r_ij))
``"product_bsum"``  M(·, ⊕)        min(1, Σ_i w_i r_ij)   (weighted average; default)
==================  =============  ==========================================

API
---
``fuzzy_evaluate(weights, membership, *, operator="product_bsum", grades=None,
grade_scores=None, normalise=True) -> FuzzyResult``
    ``FuzzyResult.vector`` is B, ``.normalised`` B / ΣB, ``.grade`` / ``.grade_index`` the
    maximum-membership grade (first on ties), ``.score`` Σ normalised b_j x score_j when
    ``grade_scores`` is given (e.g. 100/80/60/40), else None.
``fuzzy_two_level(top_weights, groups, *, operator=..., top_operator=None, ...)``
    two-level evaluation: each group ``(weights, membership)`` is evaluated first; the
    (normalised) group vectors form the membership matrix of the top level.
``membership_from_counts(counts)``
    row-normalised answer counts (factors x grades) -> R.
Errors raise :class:`FuzzyError` (``ValueError``) with a stable ``code``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "OPERATORS",
    "FuzzyError",
    "FuzzyResult",
    "fuzzy_evaluate",
    "fuzzy_two_level",
    "membership_from_counts",
]

OPERATORS: Final = ("min_max", "product_max", "min_bsum", "product_bsum")
_ALIASES: Final = {
    "zadeh": "min_max", "M(∧,∨)": "min_max", "M(^,v)": "min_max",
    "M(·,∨)": "product_max", "M(*,v)": "product_max",
    "M(∧,⊕)": "min_bsum", "M(^,+)": "min_bsum",
    "weighted_average": "product_bsum", "M(·,⊕)": "product_bsum", "M(*,+)": "product_bsum",
}
WEIGHT_SUM_TOL: Final = 1e-3

FloatArray = NDArray[np.float64]


class FuzzyError(ValueError):
    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class FuzzyResult:
    operator: str
    vector: tuple[float, ...]
    normalised: tuple[float, ...]
    grade_index: int
    grades: tuple[str, ...]
    score: float | None

    @property
    def grade(self) -> str:
        return self.grades[self.grade_index]

    def to_json(self) -> dict[str, Any]:
        return {"operator": self.operator, "vector": dict(zip(self.grades, self.vector)),
                "normalised": dict(zip(self.grades, self.normalised)), "grade": self.grade,
                "score": self.score}


def _operator(name: str) -> str:
    op = _ALIASES.get(name, name)
    if op not in OPERATORS:
        raise FuzzyError(f"operator must be one of {OPERATORS}, not {name!r}", code="invalid_operator")
    return op


def _compose(w: FloatArray, r: FloatArray, op: str) -> FloatArray:
    if op == "min_max":
        out: FloatArray = np.minimum(w[:, None], r).max(axis=0)
    elif op == "product_max":
        out = (w[:, None] * r).max(axis=0)
    elif op == "min_bsum":
        out = np.minimum(1.0, np.minimum(w[:, None], r).sum(axis=0))
    else:
        out = np.minimum(1.0, w @ r)
    return out


def _check(weights: Any, membership: Any) -> tuple[FloatArray, FloatArray]:
    try:
        w = np.array(weights, dtype=np.float64).ravel()
        r = np.array(membership, dtype=np.float64)
    except (TypeError, ValueError):
        raise FuzzyError("weights and membership must be numbers", code="invalid") from None
    if r.ndim != 2 or r.size == 0:
        raise FuzzyError("the membership matrix must be a non-empty factors x grades table", code="shape")
    if len(w) != r.shape[0]:
        raise FuzzyError(f"{len(w)} weights for {r.shape[0]} factors (rows of the membership matrix)",
                         code="shape")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise FuzzyError("weights must be non-negative numbers", code="weights")
    if abs(w.sum() - 1.0) > WEIGHT_SUM_TOL:
        raise FuzzyError(f"weights must sum to 1 (they sum to {w.sum():.4f})", code="weights")
    if not np.all(np.isfinite(r)) or np.any(r < 0) or np.any(r > 1):
        raise FuzzyError("membership degrees must lie in [0, 1]", code="membership")
    return w, r


def fuzzy_evaluate(weights: Sequence[float] | FloatArray, membership: Sequence[Sequence[float]] | FloatArray, *,
                   operator: str = "product_bsum", grades: Sequence[str] | None = None,
                   grade_scores: Sequence[float] | None = None, normalise: bool = True) -> FuzzyResult:
    """B = W ∘ R; see the module docstring."""
    op = _operator(operator)
    w, r = _check(weights, membership)
    n = r.shape[1]
    names = tuple(grades) if grades is not None else tuple(f"V{j + 1}" for j in range(n))
    if len(names) != n:
        raise FuzzyError(f"{len(names)} grade names for {n} grades", code="shape")
    b = _compose(w, r, op)
    total = float(b.sum())
    if normalise:
        if total <= 0:
            raise FuzzyError("the evaluation vector is all zero; check weights and memberships", code="membership")
        bn = b / total
    else:
        bn = b
    score: float | None = None
    if grade_scores is not None:
        s = np.array(grade_scores, dtype=np.float64)
        if s.shape != (n,) or not np.all(np.isfinite(s)):
            raise FuzzyError(f"grade_scores needs {n} numbers", code="shape")
        score = float(bn @ s)
    return FuzzyResult(operator=op, vector=tuple(float(x) for x in b), normalised=tuple(float(x) for x in bn),
                       grade_index=int(np.argmax(b)), grades=names, score=score)


def fuzzy_two_level(top_weights: Sequence[float], groups: Sequence[tuple[Sequence[float], Any]], *,
                    operator: str = "product_bsum", top_operator: str | None = None,
                    grades: Sequence[str] | None = None,
                    grade_scores: Sequence[float] | None = None) -> tuple[FuzzyResult, list[FuzzyResult]]:
    """Two-level FCE: evaluate each factor group, then the groups; returns (top, per group)."""
    if len(groups) != len(top_weights):
        raise FuzzyError(f"{len(top_weights)} top-level weights for {len(groups)} factor groups", code="shape")
    first = [fuzzy_evaluate(w, r, operator=operator, grades=grades, grade_scores=grade_scores) for w, r in groups]
    widths = {len(g.vector) for g in first}
    if len(widths) != 1:
        raise FuzzyError("every factor group must use the same grades", code="shape")
    r_top = np.array([g.normalised for g in first])
    top = fuzzy_evaluate(top_weights, r_top, operator=top_operator or operator, grades=grades,
                         grade_scores=grade_scores)
    return top, first


def membership_from_counts(counts: Any) -> FloatArray:
    """Answer counts (factors x grades) -> membership matrix (each row sums to 1)."""
    c = np.array(counts, dtype=np.float64)
    if c.ndim != 2 or c.size == 0 or np.any(c < 0) or not np.all(np.isfinite(c)):
        raise FuzzyError("counts must be a non-empty factors x grades table of non-negative numbers", code="shape")
    rows = c.sum(axis=1)
    if np.any(rows == 0):
        raise FuzzyError(f"factor(s) {np.flatnonzero(rows == 0).tolist()} have no answers", code="membership")
    out: FloatArray = c / rows[:, None]
    return out
