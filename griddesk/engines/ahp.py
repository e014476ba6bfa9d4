"""Analytic Hierarchy Process (AHP, Saaty): weights from pairwise-comparison matrices.

Pure numpy, no Django.

API
---
``ahp_weights(matrix, *, labels=None, method="eigen", max_cr=0.1) -> AhpResult``
    ``matrix`` is a positive reciprocal n x n matrix (``a_ij`` = how much more important
    i is than j on Saaty's 1-9 scale, ``a_ji = 1 / a_ij``, diagonal 1), n = 1..15.
    ``method="eigen"`` (default): the normalised principal right eigenvector, λmax its
    eigenvalue; ``method="geometric"``: normalised row geometric means (logarithmic least
    squares), λmax estimated as mean((A w)_i / w_i).  ``CI = (λmax - n) / (n - 1)``,
    ``CR = CI / RI(n)`` with Saaty's random index :data:`RANDOM_INDEX`.  A matrix with
    ``CR >= max_cr`` (0.10 by default) is refused with :class:`AhpError` (code
    ``inconsistent``; ``.cr`` holds the ratio); pass ``max_cr=None`` to only report it.
``matrix_from_judgements(labels, judgements) -> ndarray``
    builds the full reciprocal matrix from ``{(a, b): value}`` / ``[(a, b, value), ...]``
    (one judgement per pair; missing pairs are an error).
``ahp_synthesise(criteria: AhpResult, alternatives: Mapping[criterion, AhpResult]) -> dict``
    global priorities of the alternatives (distributive mode: Σ_c w_c x w_alt|c).
``AhpResult.to_json()`` -> ``{"labels", "weights", "lambda_max", "ci", "ri", "cr", "n",
"method", "consistent"}``.

Every user error raises :class:`AhpError` (a ``ValueError``) with a stable ``code``:
``not_square``, ``too_large``, ``not_positive``, ``not_reciprocal``, ``bad_diagonal``,
``inconsistent``, ``invalid``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "RANDOM_INDEX",
    "AhpError",
    "AhpResult",
    "ahp_synthesise",
    "ahp_weights",
    "matrix_from_judgements",
]

#: Saaty's random consistency index RI(n), n = 1..15 (mean CI of random reciprocal
#: matrices), as tabulated in T. L. Saaty, *The Analytic Hierarchy Process* (1980) and
#: reproduced in most AHP texts (n = 3: 0.58, 4: 0.90, 5: 1.12 ...).
RANDOM_INDEX: Final[Mapping[int, float]] = {
    1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49,
    11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59,
}
DEFAULT_MAX_CR: Final = 0.1
#: relative tolerance for a_ij * a_ji == 1 (judgements such as 0.333 for 1/3 are accepted)
RECIPROCAL_TOL: Final = 0.01


class AhpError(ValueError):
    def __init__(self, message: str, *, code: str = "invalid", cr: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.cr = cr


@dataclass(frozen=True)
class AhpResult:
    labels: tuple[str, ...]
    weights: tuple[float, ...]
    lambda_max: float
    ci: float
    ri: float
    cr: float
    method: str

    @property
    def n(self) -> int:
        return len(self.weights)

    @property
    def consistent(self) -> bool:
        return self.cr < DEFAULT_MAX_CR

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.labels, self.weights))

    def to_json(self) -> dict[str, Any]:
        return {"labels": list(self.labels), "weights": self.as_dict(), "lambda_max": self.lambda_max,
                "ci": self.ci, "ri": self.ri, "cr": self.cr, "n": self.n, "method": self.method,
                "consistent": self.consistent}


def _validate(matrix: Any) -> NDArray[np.float64]:
    try:
        a = np.array(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        raise AhpError("the comparison matrix must contain numbers only", code="not_positive") from None
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise AhpError(f"the comparison matrix must be square and non-empty, not {a.shape}", code="not_square")
    n = a.shape[0]
    if n > max(RANDOM_INDEX):
        raise AhpError(f"{n} elements: Saaty's random index is tabulated for at most {max(RANDOM_INDEX)}; "
                       "group the elements into a deeper hierarchy", code="too_large")
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise AhpError("every judgement must be a positive number (Saaty scale 1/9 ... 9)", code="not_positive")
    if not np.allclose(np.diag(a), 1.0, rtol=0, atol=1e-9):
        raise AhpError("the diagonal of the comparison matrix must be 1", code="bad_diagonal")
    prod = a * a.T
    bad = np.argwhere(np.abs(prod - 1.0) > RECIPROCAL_TOL)
    if len(bad):
        i, j = (int(v) for v in bad[0])
        raise AhpError(f"the matrix is not reciprocal: a[{i}][{j}] = {a[i, j]:g} but a[{j}][{i}] = {a[j, i]:g} "
                       f"(must be 1/{a[i, j]:g})", code="not_reciprocal")
    return a


def ahp_weights(matrix: Any, *, labels: Sequence[str] | None = None, method: str = "eigen",
                max_cr: float | None = DEFAULT_MAX_CR) -> AhpResult:
    """Priority weights and consistency of one pairwise-comparison matrix."""
    a = _validate(matrix)
    n = a.shape[0]
    names = tuple(labels) if labels is not None else tuple(f"C{i + 1}" for i in range(n))
    if len(names) != n or len(set(names)) != n:
        raise AhpError(f"{len(names)} labels (must be {n} distinct names) for a {n} x {n} matrix", code="invalid")
    if method == "eigen":
        vals, vecs = np.linalg.eig(a)
        k = int(np.argmax(vals.real))
        lam = float(vals[k].real)
        w = np.abs(vecs[:, k].real)  # Perron vector: one sign
        w = w / w.sum()
    elif method == "geometric":
        w = np.exp(np.log(a).mean(axis=1))
        w = w / w.sum()
        lam = float(np.mean((a @ w) / w))
    else:
        raise AhpError(f"method must be 'eigen' or 'geometric', not {method!r}", code="invalid")
    ci = max(0.0, (lam - n) / (n - 1)) if n > 2 else 0.0
    ri = RANDOM_INDEX[n]
    cr = ci / ri if ri > 0 else 0.0
    if max_cr is not None and cr >= max_cr:
        raise AhpError(f"consistency ratio CR = {cr:.3f} ≥ {max_cr:.2f} (λmax = {lam:.3f}, CI = {ci:.3f}, "
                       f"RI = {ri:.2f}): the judgements are too inconsistent and must be revised", code="inconsistent",
                       cr=cr)
    return AhpResult(labels=names, weights=tuple(float(x) for x in w), lambda_max=lam, ci=ci, ri=ri, cr=cr,
                     method=method)


def matrix_from_judgements(labels: Sequence[str],
                           judgements: Mapping[tuple[str, str], float] | Iterable[tuple[str, str, float]]
                           ) -> NDArray[np.float64]:
    """Full reciprocal matrix from one judgement per pair (a, b) -> how much a beats b."""
    pos = {name: i for i, name in enumerate(labels)}
    if len(pos) != len(labels):
        raise AhpError("labels must be distinct", code="invalid")
    items = list(judgements.items()) if isinstance(judgements, Mapping) else [((a, b), v) for a, b, v in judgements]
    n = len(labels)
    a = np.eye(n)
    seen: set[frozenset[str]] = set()
    for (x, y), v in items:
        if x not in pos or y not in pos:
            raise AhpError(f"judgement ({x}, {y}) names an unknown element", code="invalid")
        if x == y:
            raise AhpError(f"judgement ({x}, {y}) compares an element with itself", code="invalid")
        key = frozenset((x, y))
        if key in seen:
            raise AhpError(f"the pair ({x}, {y}) is judged twice", code="invalid")
        seen.add(key)
        val = float(v)
        if not np.isfinite(val) or val <= 0:
            raise AhpError(f"judgement ({x}, {y}) = {v!r} must be a positive number", code="not_positive")
        a[pos[x], pos[y]] = val
        a[pos[y], pos[x]] = 1.0 / val
    missing = n * (n - 1) // 2 - len(seen)
    if missing:
        raise AhpError(f"{missing} pair(s) have no judgement; every pair must be compared", code="invalid")
    return a


def ahp_synthesise(criteria: AhpResult, alternatives: Mapping[str, AhpResult]) -> dict[str, float]:
    """Global priorities: Σ over criteria of w(criterion) x w(alternative | criterion)."""
    missing = [c for c in criteria.labels if c not in alternatives]
    if missing:
        raise AhpError(f"no comparison of the alternatives under criteria {missing}", code="invalid")
    alts = alternatives[criteria.labels[0]].labels
    total = dict.fromkeys(alts, 0.0)
    for c, wc in zip(criteria.labels, criteria.weights):
        local = alternatives[c]
        if set(local.labels) != set(alts):
            raise AhpError(f"criterion {c!r} compares {list(local.labels)}, expected {list(alts)}", code="invalid")
        for alt, wa in zip(local.labels, local.weights):
            total[alt] += wc * wa
    return total
