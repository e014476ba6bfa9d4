"""Fuzzy comprehensive evaluation.

Worked example (服装评判, clothing evaluation, the textbook example also shipped as
"Example8_4" with MATLAB code, reproduced e.g. at https://e-com-net.com/article/1276296104417181696.htm):
factors 花色/式样/耐穿程度/价格, grades 很欢迎/较欢迎/不太欢迎/不欢迎,
R = [[.2,.5,.2,.1],[.7,.2,.1,0],[0,.4,.5,.1],[.2,.3,.5,0]]; with M(∧,∨)
customer type 1, A1 = (.1,.2,.3,.4): B = (.2,.3,.4,.1) -> 不太欢迎;
customer type 2, A2 = (.4,.35,.15,.1): B = (.35,.4,.2,.1) -> 较欢迎.
"""

from __future__ import annotations

import numpy as np
import pytest

from griddesk.engines.fuzzy import FuzzyError, fuzzy_evaluate, fuzzy_two_level, membership_from_counts

GRADES = ["很欢迎", "较欢迎", "不太欢迎", "不欢迎"]
R = [[0.2, 0.5, 0.2, 0.1], [0.7, 0.2, 0.1, 0.0], [0.0, 0.4, 0.5, 0.1], [0.2, 0.3, 0.5, 0.0]]
A1 = [0.1, 0.2, 0.3, 0.4]
A2 = [0.4, 0.35, 0.15, 0.1]


def test_clothing_example_zadeh_operator() -> None:
    b1 = fuzzy_evaluate(A1, R, operator="min_max", grades=GRADES)
    assert b1.vector == pytest.approx((0.2, 0.3, 0.4, 0.1))
    assert b1.grade == "不太欢迎"
    b2 = fuzzy_evaluate(A2, R, operator="zadeh", grades=GRADES)
    assert b2.vector == pytest.approx((0.35, 0.4, 0.2, 0.1))
    assert b2.grade == "较欢迎"


def test_clothing_example_other_operators_by_definition() -> None:
    w, r = np.array(A1), np.array(R)
    pm = fuzzy_evaluate(A1, R, operator="product_max")
    assert pm.vector == pytest.approx(tuple((w[:, None] * r).max(0)))
    # b1 = max(.02,.14,0,.08) = .14; b3 = max(.02,.02,.15,.20) = .20
    assert pm.vector[0] == pytest.approx(0.14) and pm.vector[2] == pytest.approx(0.20)
    mb = fuzzy_evaluate(A1, R, operator="min_bsum")
    # b2 = min(1, .1+.2+.3+.3) = .9 ; b3 = min(1, .1+.1+.3+.4) = .9
    assert mb.vector[1] == pytest.approx(0.9) and mb.vector[2] == pytest.approx(0.9)
    wa = fuzzy_evaluate(A1, R, operator="product_bsum", grades=GRADES, grade_scores=[100, 80, 60, 40])
    # b = A1 · R = (.02+.14+0+.08, .05+.04+.12+.12, .02+.02+.15+.20, .01+0+.03+0)
    assert wa.vector == pytest.approx((0.24, 0.33, 0.39, 0.04))
    assert wa.grade == "不太欢迎" and sum(wa.normalised) == pytest.approx(1.0)
    assert wa.score == pytest.approx(0.24 * 100 + 0.33 * 80 + 0.39 * 60 + 0.04 * 40)


def test_normalisation() -> None:
    res = fuzzy_evaluate(A1, R, operator="min_bsum")
    assert sum(res.normalised) == pytest.approx(1.0)
    assert np.allclose(np.array(res.normalised) * sum(res.vector), res.vector)
    raw = fuzzy_evaluate(A1, R, operator="min_bsum", normalise=False)
    assert raw.normalised == raw.vector


def test_two_level_is_composition_of_levels() -> None:
    g1 = ([0.6, 0.4], [[0.5, 0.3, 0.2, 0.0], [0.2, 0.4, 0.3, 0.1]])
    g2 = ([0.3, 0.3, 0.4], [[0.1, 0.3, 0.5, 0.1], [0.0, 0.2, 0.4, 0.4], [0.3, 0.3, 0.3, 0.1]])
    top, first = fuzzy_two_level([0.7, 0.3], [g1, g2], grades=GRADES, grade_scores=[100, 80, 60, 40])
    e1 = np.array([0.6, 0.4]) @ np.array(g1[1])
    e2 = np.array([0.3, 0.3, 0.4]) @ np.array(g2[1])
    assert first[0].vector == pytest.approx(tuple(e1))
    assert top.vector == pytest.approx(tuple(0.7 * e1 / e1.sum() + 0.3 * e2 / e2.sum()))
    assert top.score is not None and 40 < top.score < 100
    assert top.to_json()["grade"] == top.grade


def test_membership_from_counts() -> None:
    r = membership_from_counts([[10, 30, 40, 20], [0, 5, 5, 0]])
    assert r.tolist() == [[0.1, 0.3, 0.4, 0.2], [0.0, 0.5, 0.5, 0.0]]
    with pytest.raises(FuzzyError):
        membership_from_counts([[0, 0], [1, 1]])


@pytest.mark.parametrize(("w", "r", "kw"), [
    ([0.5, 0.5], R, {}),  # shape
    ([0.5, 0.6, 0.0, 0.0], R, {}),  # weights do not sum to 1
    ([1.1, -0.1, 0.0, 0.0], R, {}),  # negative
    (A1, [[1.2, 0, 0, 0]] * 4, {}),  # membership > 1
    (A1, R, {"operator": "max_min_max"}),
    (A1, R, {"grades": ["a"]}),
    (A1, R, {"grade_scores": [1, 2]}),
])
def test_errors(w: list[float], r: list[list[float]], kw: dict[str, object]) -> None:
    with pytest.raises(FuzzyError):
        fuzzy_evaluate(w, r, **kw)  # type: ignore[arg-type]
