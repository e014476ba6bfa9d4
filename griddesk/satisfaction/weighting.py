"""AHP driver weights and the fuzzy comprehensive evaluation of survey results.

``ahp_weighting_save`` — an administrator's pairwise-comparison matrix for
some of the questionnaire's constructs (default: the direct drivers of the
index construct) → ``engines.ahp.ahp_weights`` (principal eigenvector or
geometric mean, Saaty's RI); CR ≥ 0.1 is refused with the engine's figures, a
consistent matrix is stored as a new active ``AhpWeighting`` (the previous one
is deactivated, every change audited in ``workorders.RuleChange``).

``fuzzy_evaluation`` — factors = the weighting's constructs, weights = its AHP
weights, grades 很满意 / 满意 / 一般 / 不满意 / 很不满意: each answer on the
1…max scale falls in one of five equal-width bands (``grade_of``; 1–10: 9–10,
7–8, 5–6, 3–4, 1–2), a construct's membership row = the share of its
indicators' answers in each band (``engines.fuzzy.membership_from_counts``),
B = W ∘ R with the chosen operator (``engines.fuzzy.fuzzy_evaluate``), score
with grade scores 100 / 80 / 60 / 40 / 20. Responses: a period (default: the
latest month with responses; ``all`` = every response), of the viewer's
company.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from django.db import transaction
from django.utils.translation import gettext as _

from griddesk.common.errors import Forbidden, InvalidInput
from griddesk.engines import ahp, fuzzy
from griddesk.engines.workflow import Role
from griddesk.organisation.access import Actor

from . import selectors
from .models import AhpWeighting, Questionnaire

GRADES = ("很满意", "满意", "一般", "不满意", "很不满意")
GRADE_SCORES = (100.0, 80.0, 60.0, 40.0, 20.0)
OPERATORS = fuzzy.OPERATORS
OPERATOR_LABELS = {"min_max": "M(∧,∨)", "product_max": "M(·,∨)", "min_bsum": "M(∧,⊕)", "product_bsum": "M(·,⊕)"}


def default_drivers(q: Questionnaire) -> list[str]:
    """Constructs with a path into the index construct, in construct order."""
    sources = set(q.paths.filter(target__code=q.index_construct).values_list("source__code", flat=True))
    return [c for c in q.constructs.order_by("sort", "code").values_list("code", flat=True) if c in sources]


def active_weighting(q: Questionnaire) -> AhpWeighting | None:
    return q.weightings.filter(active=True).first()


def parse_judgement(value: Any) -> float:
    """A Saaty judgement: a number or a fraction such as "1/3"."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().replace("／", "/")
    if not text:
        raise ValueError(value)
    return float(Fraction(text))


def matrix_from_upper(labels: list[str], upper: dict[tuple[int, int], Any]) -> list[list[float]]:
    """Full reciprocal matrix from the cells above the diagonal (the web form)."""
    n = len(labels)
    a = [[1.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            raw = upper.get((i, j))
            try:
                v = parse_judgement(raw)
            except (ValueError, ZeroDivisionError):
                raise InvalidInput(_("Judgement %(a)s : %(b)s must be a number such as 3 or 1/3 (Saaty scale 1/9 … 9).")
                                   % {"a": labels[i], "b": labels[j]}, code="not_positive", field=f"a_{i}_{j}") from None
            if v <= 0:
                raise InvalidInput(_("Judgement %(a)s : %(b)s must be positive (Saaty scale 1/9 … 9).")
                                   % {"a": labels[i], "b": labels[j]}, code="not_positive", field=f"a_{i}_{j}")
            a[i][j] = v
            a[j][i] = 1.0 / v
    return a


def _ahp_message(exc: ahp.AhpError) -> str:
    """The engine's error in the user's language (the engine speaks English)."""
    if exc.code == "inconsistent":
        return _("The judgements are too inconsistent: consistency ratio CR = %(cr).3f ≥ 0.10. "
                 "Revise the matrix and try again.") % {"cr": exc.cr or 0.0}
    if exc.code == "too_large":
        return _("At most %(n)d drivers can be compared in one matrix.") % {"n": max(ahp.RANDOM_INDEX)}
    if exc.code == "not_positive":
        return _("Every judgement must be a positive number (Saaty scale 1/9 … 9).")
    return _("The comparison matrix is not valid: it must be square, with 1 on the diagonal and the reciprocal "
             "of each judgement below it.")


@transaction.atomic
def ahp_weighting_save(*, actor: Actor, questionnaire: Questionnaire, labels: list[str], matrix: Any,
                       method: str = "eigen", note: str = "") -> AhpWeighting:
    """Validate with the engine, store as the active weighting, audit."""
    from griddesk.common.rule_audit import rule_save

    if actor.role != Role.ADMIN:
        raise Forbidden(_("Only an administrator may enter AHP judgements."))
    full, res = _checked(questionnaire, labels, matrix, method)
    previous = list(AhpWeighting.objects.select_for_update().filter(questionnaire=questionnaire, active=True))
    for old in previous:
        old.active = False
        rule_save(actor=actor.user, instance=old, created=False)
    row = AhpWeighting(questionnaire=questionnaire, labels=list(labels), matrix=full, method=method,
                       weights=res.as_dict(), lambda_max=res.lambda_max, ci=res.ci, cr=res.cr, note=note,
                       created_by=actor.user if getattr(actor.user, "pk", None) else None)
    rule_save(actor=actor.user, instance=row, created=True)
    return row


#: Who may try a matrix (see its weights and CR without saving them).
PREVIEW_ROLES = frozenset({Role.ADMIN, Role.MANAGER})


def ahp_weighting_preview(*, actor: Actor, questionnaire: Questionnaire, labels: list[str], matrix: Any,
                          method: str = "eigen") -> Any:
    """The weights and consistency of a matrix, validated as on saving, not stored."""
    if actor.role not in PREVIEW_ROLES:
        raise Forbidden(_("Only administrators and managers may try AHP judgements."))
    return _checked(questionnaire, labels, matrix, method)[1]


def _checked(questionnaire: Questionnaire, labels: Any, matrix: Any, method: str) -> tuple[list[list[float]], Any]:
    codes = set(questionnaire.constructs.values_list("code", flat=True))
    if not isinstance(labels, list) or len(labels) < 2 or not all(isinstance(c, str) for c in labels):
        raise InvalidInput(_("Choose at least two constructs to compare."), code="invalid", field="labels")
    unknown = [c for c in labels if c not in codes]
    if unknown:
        raise InvalidInput(_("Unknown construct(s): %(c)s.") % {"c": ", ".join(unknown)}, code="unknown_construct",
                           field="labels")
    if len(set(labels)) != len(labels):
        raise InvalidInput(_("Each construct may be compared once."), code="invalid", field="labels")
    if method not in AhpWeighting.Method.values:
        raise InvalidInput(_("Method must be eigen or geometric."), code="invalid_choice", field="method")
    try:
        full = [[parse_judgement(v) for v in row] for row in matrix]
    except (TypeError, ValueError, ZeroDivisionError):
        raise InvalidInput(_("The matrix must be a list of rows of numbers (fractions such as 1/3 allowed)."),
                           code="not_positive", field="matrix") from None
    if len(full) != len(labels) or any(len(row) != len(labels) for row in full):
        raise InvalidInput(_("The matrix must have %(n)d rows of %(n)d judgements, one per driver.") % {"n": len(labels)},
                           code="not_square", field="matrix")
    try:
        res = ahp.ahp_weights(full, labels=labels, method=method)
    except ahp.AhpError as exc:
        raise InvalidInput(_ahp_message(exc), code=exc.code, field="matrix",
                           **({"cr": exc.cr} if exc.cr is not None else {})) from None
    return full, res


def weighting_dict(w: AhpWeighting | None, q: Questionnaire) -> dict[str, Any]:
    names = dict(q.constructs.values_list("code", "name"))
    if w is None:
        return {"id": None, "drivers": [{"code": c, "name": names.get(c, c)} for c in default_drivers(q)]}
    return {"id": w.pk, "labels": w.labels, "names": {c: names.get(c, c) for c in w.labels}, "matrix": w.matrix,
            "method": w.method, "weights": w.weights, "lambda_max": w.lambda_max, "ci": w.ci, "cr": w.cr,
            "consistent": w.cr < ahp.DEFAULT_MAX_CR, "note": w.note, "created_at": w.created_at.isoformat(),
            "created_by": w.created_by.get_username() if w.created_by else None}


# ------------------------------------------------------------------ fuzzy evaluation


def grade_of(values: np.ndarray, top: int) -> np.ndarray:
    """Grade index 0 (很满意) … 4 (很不满意) of answers 1…top (five equal bands)."""
    band = np.floor((values - 1.0) * 5.0 / top).astype(np.int64)
    return 4 - np.clip(band, 0, 4)


def fuzzy_evaluation(*, actor: Actor, questionnaire: Questionnaire, operator: str = "product_bsum",
                     period: str | None = None) -> dict[str, Any]:
    from .index import load_responses

    q = questionnaire
    w = active_weighting(q)
    if w is None:
        raise InvalidInput(_("Enter the AHP comparison matrix of the drivers first."), code="no_weights",
                           field="questionnaire")
    if operator not in OPERATORS:
        raise InvalidInput(_("Operator must be one of: %(ops)s.") % {"ops": ", ".join(OPERATORS)},
                           code="invalid_operator", field="operator")
    if not period:
        months = selectors.response_periods(q)
        period = months[-1] if months else "all"
    label = "all" if period == "all" else None
    p = None if label else selectors.parse_period(period)
    qs = selectors.responses_for(q, period=p.label if p else None, actor=actor)
    blocks: dict[str, list[str]] = {c: [] for c in w.labels}
    for code, construct in q.indicators.filter(construct__code__in=w.labels).order_by("sort", "code") \
            .values_list("code", "construct__code"):
        blocks[construct].append(code)
    columns = [c for lv in w.labels for c in blocks[lv]]
    frame = load_responses(qs, columns)
    counts = np.zeros((len(w.labels), len(GRADES)), dtype=np.int64)
    col = 0
    for i, lv in enumerate(w.labels):
        k = len(blocks[lv])
        vals = frame.x[:, col:col + k].ravel()
        col += k
        vals = vals[np.isfinite(vals)]
        counts[i] = np.bincount(grade_of(vals, q.scale_max), minlength=len(GRADES))[: len(GRADES)]
    empty = [lv for i, lv in enumerate(w.labels) if counts[i].sum() == 0]
    if empty:
        raise InvalidInput(_("No answers for %(c)s in this period.") % {"c": ", ".join(empty)}, code="no_answers",
                           field="period")
    r = fuzzy.membership_from_counts(counts)
    weights = [float(w.weights[lv]) for lv in w.labels]
    res = fuzzy.fuzzy_evaluate(weights, r, operator=operator, grades=GRADES, grade_scores=GRADE_SCORES)
    names = dict(q.constructs.values_list("code", "name"))
    return {
        "questionnaire": q.code, "period": p.label if p else "all", "responses": len(frame), "operator": res.operator,
        "operator_label": OPERATOR_LABELS[res.operator], "weighting": w.pk, "grades": list(GRADES),
        "grade_scores": list(GRADE_SCORES),
        "factors": [{"code": lv, "name": names.get(lv, lv), "weight": weights[i],
                     "counts": dict(zip(GRADES, counts[i].tolist())), "membership": dict(zip(GRADES, r[i].tolist()))}
                    for i, lv in enumerate(w.labels)],
        "result": res.to_json(),
    }
