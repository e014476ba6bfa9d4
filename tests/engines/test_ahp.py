"""AHP engine, checked against the Wikipedia "Analytic hierarchy process – leader example"
(https://en.wikipedia.org/wiki/Analytic_hierarchy_process_–_leader_example): criteria weights
(printed to three decimals, compared to 1e-3) Experience .547, Charisma .270, Education .127, Age .056; global priorities Dick .493,
Tom .358, Harry .149; the judgements below are the ones given in that article."""

from __future__ import annotations

import numpy as np
import pytest

from griddesk.engines.ahp import (
    RANDOM_INDEX,
    AhpError,
    ahp_synthesise,
    ahp_weights,
    matrix_from_judgements,
)

CRITERIA = ["Experience", "Education", "Charisma", "Age"]
CRITERIA_JUDGEMENTS = {("Experience", "Education"): 4, ("Experience", "Charisma"): 3, ("Experience", "Age"): 7,
                       ("Education", "Charisma"): 1 / 3, ("Education", "Age"): 3, ("Charisma", "Age"): 5}
CANDIDATES = ["Tom", "Dick", "Harry"]
CANDIDATE_JUDGEMENTS = {
    "Experience": [("Tom", "Dick", 1 / 4), ("Tom", "Harry", 4), ("Dick", "Harry", 9)],
    "Education": [("Tom", "Dick", 3), ("Tom", "Harry", 1 / 5), ("Dick", "Harry", 1 / 7)],
    "Charisma": [("Tom", "Dick", 5), ("Tom", "Harry", 9), ("Dick", "Harry", 4)],
    "Age": [("Tom", "Dick", 1 / 3), ("Tom", "Harry", 5), ("Dick", "Harry", 9)],
}


def test_leader_example_criteria_weights() -> None:
    res = ahp_weights(matrix_from_judgements(CRITERIA, CRITERIA_JUDGEMENTS), labels=CRITERIA)
    w = res.as_dict()
    assert w["Experience"] == pytest.approx(0.547, abs=1e-3)
    assert w["Charisma"] == pytest.approx(0.270, abs=1e-3)
    assert w["Education"] == pytest.approx(0.127, abs=1e-3)
    assert w["Age"] == pytest.approx(0.056, abs=1e-3)
    assert res.ri == 0.90 and res.lambda_max > 4
    assert res.ci == pytest.approx((res.lambda_max - 4) / 3)
    assert res.cr == pytest.approx(res.ci / 0.90) and res.cr < 0.1 and res.consistent
    # A w = λmax w
    a = matrix_from_judgements(CRITERIA, CRITERIA_JUDGEMENTS)
    assert np.allclose(a @ np.array(res.weights), res.lambda_max * np.array(res.weights))


def test_leader_example_global_priorities() -> None:
    criteria = ahp_weights(matrix_from_judgements(CRITERIA, CRITERIA_JUDGEMENTS), labels=CRITERIA)
    local = {c: ahp_weights(matrix_from_judgements(CANDIDATES, j), labels=CANDIDATES)
             for c, j in CANDIDATE_JUDGEMENTS.items()}
    total = ahp_synthesise(criteria, local)
    # the article prints three decimals (it truncates rather than rounds in places): 1e-3
    assert total == pytest.approx({"Dick": 0.493, "Tom": 0.358, "Harry": 0.149}, abs=1e-3)
    assert sum(total.values()) == pytest.approx(1.0)


def test_consistent_matrix_recovers_weights_exactly() -> None:
    w = np.array([0.5, 0.25, 0.15, 0.1])
    a = w[:, None] / w[None, :]
    for method in ("eigen", "geometric"):
        res = ahp_weights(a, method=method)
        assert np.allclose(res.weights, w)
        assert res.lambda_max == pytest.approx(4.0) and res.cr == pytest.approx(0.0, abs=1e-12)


def test_geometric_mean_equals_eigenvector_for_three_elements() -> None:
    # for n = 3 the row-geometric-mean and the principal eigenvector coincide (Crawford & Williams 1985)
    a = matrix_from_judgements(["a", "b", "c"], [("a", "b", 3), ("a", "c", 5), ("b", "c", 3)])
    e = ahp_weights(a, method="eigen")
    g = ahp_weights(a, method="geometric")
    assert np.allclose(e.weights, g.weights)
    assert e.lambda_max == pytest.approx(g.lambda_max)


def test_inconsistent_judgements_are_refused() -> None:
    # a beats b, b beats c, c beats a — all strongly: a cycle
    a = matrix_from_judgements(["a", "b", "c"], [("a", "b", 9), ("b", "c", 9), ("a", "c", 1 / 9)])
    with pytest.raises(AhpError) as e:
        ahp_weights(a)
    assert e.value.code == "inconsistent" and e.value.cr is not None and e.value.cr >= 0.1
    assert "CR = " in str(e.value) and "revised" in str(e.value)
    res = ahp_weights(a, max_cr=None)  # report only
    assert res.cr == pytest.approx(e.value.cr) and not res.consistent


def test_random_index_table_and_small_matrices() -> None:
    assert [RANDOM_INDEX[n] for n in (3, 4, 5, 9, 15)] == [0.58, 0.90, 1.12, 1.45, 1.59]
    assert ahp_weights([[1.0]]).weights == (1.0,)
    two = ahp_weights([[1, 3], [1 / 3, 1]], labels=["x", "y"])
    assert two.as_dict() == pytest.approx({"x": 0.75, "y": 0.25}) and two.cr == 0.0
    assert ahp_weights([[1, 3], [0.333, 1]]).weights[0] == pytest.approx(0.75, abs=1e-3)  # rounded reciprocal


@pytest.mark.parametrize(("matrix", "code"), [
    ([[1, 2, 3]], "not_square"),
    ([[1, 2], [0.5]], "not_positive"),
    ([[1, -2], [-0.5, 1]], "not_positive"),
    ([[2, 2], [0.5, 1]], "bad_diagonal"),
    ([[1, 2], [2, 1]], "not_reciprocal"),
    (np.ones((16, 16)), "too_large"),
    ([[1, "x"], [1, 1]], "not_positive"),
])
def test_invalid_matrices(matrix: object, code: str) -> None:
    with pytest.raises(AhpError) as e:
        ahp_weights(matrix)
    assert e.value.code == code


def test_judgement_errors() -> None:
    with pytest.raises(AhpError, match="no judgement"):
        matrix_from_judgements(["a", "b", "c"], [("a", "b", 2)])
    with pytest.raises(AhpError, match="twice"):
        matrix_from_judgements(["a", "b"], [("a", "b", 2), ("b", "a", 0.5)])
    with pytest.raises(AhpError, match="unknown"):
        matrix_from_judgements(["a", "b"], [("a", "z", 2)])
    with pytest.raises(AhpError):
        ahp_weights([[1, 2], [0.5, 1]], labels=["a"])
    with pytest.raises(AhpError):
        ahp_weights([[1, 2], [0.5, 1]], method="lls")
