from datetime import date

import pytest

from griddesk.engines.kpi import (
    UnitCounts,
    compare,
    flag_for_training,
    pareto,
    parse_period,
    percentile,
    rank,
    unit_kpis,
)


def test_periods_parse_and_shift():
    m = parse_period("2026-10")
    assert (m.start, m.end, m.label) == (date(2026, 10, 1), date(2026, 11, 1), "2026-10")
    assert parse_period("2026-12").end == date(2027, 1, 1)
    assert m.previous().label == "2026-09" and m.same_last_year().label == "2025-10"
    assert parse_period("2026-01").previous().label == "2025-12"
    q = parse_period("2026-Q4")
    assert (q.start, q.end) == (date(2026, 10, 1), date(2027, 1, 1))
    assert q.previous().label == "2026-Q3" and parse_period("2026-Q1").previous().label == "2025-Q4"
    y = parse_period("2026")
    assert (y.start, y.end, y.previous().label) == (date(2026, 1, 1), date(2027, 1, 1), "2025")


@pytest.mark.parametrize("bad", ["2026-13", "2026-Q5", "26-10", "2026-1", "", "1999"])
def test_bad_periods(bad):
    with pytest.raises(ValueError):
        parse_period(bad)


def test_percentile_matches_percentile_cont():
    assert percentile([], 0.9) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == pytest.approx(9.1)
    assert percentile([10, 0], 0.5) == 5.0


def test_unit_kpis_carry_numerator_and_denominator():
    c = UnitCounts(unit="x", customers=20000, received=7, assessed=4, at_fault=1, on_time=3, visited=2, satisfied=1,
                   repeat=1, first_time=4, escalated=2, handling_hours=(1.0, 2.0, 3.0, 10.0), score_sum=340.0)
    k = {x.code: x for x in unit_kpis(c)}
    assert (k["complaints_per_10k"].value, k["complaints_per_10k"].numerator, k["complaints_per_10k"].denominator) == (3.5, 7, 20000)
    assert k["on_time_rate"].value == 75.0 and k["on_time_rate"].denominator == 4
    assert k["satisfaction_rate"].value == 50.0
    assert k["avg_handling_hours"].value == 4.0 and k["avg_handling_hours"].counts == "denominator"
    assert k["avg_score"].value == 85.0


def test_empty_unit_has_no_values_and_no_customer_kpi_without_customers():
    k = {x.code: x for x in unit_kpis(UnitCounts(unit="s"))}
    assert "complaints_per_10k" not in k
    assert all(x.value is None for x in k.values())


def test_rank_competition_and_direction():
    assert rank({"a": 1.0, "b": 3.0, "c": 3.0, "d": None}, higher_is_better=True) == {"b": 1, "c": 1, "a": 3, "d": None}
    assert rank({"a": 1.0, "b": 3.0}, higher_is_better=False) == {"a": 1, "b": 2}


def test_compare():
    c = compare(90.0, 80.0)
    assert (c.change, c.change_pct) == (10.0, 12.5)
    assert compare(None, 1.0).change is None and compare(1.0, 0.0).change_pct is None


def test_pareto_marks_the_vital_few():
    rows = pareto({"a": 50, "b": 30, "c": 15, "d": 5})
    assert [r.key for r in rows] == ["a", "b", "c", "d"]
    assert [r.cumulative for r in rows] == [50.0, 80.0, 95.0, 100.0]
    assert [r.vital for r in rows] == [True, True, False, False]
    assert pareto({}) == []


def test_training_flags():
    assert flag_for_training({"u1": 3, "u2": 2, "u3": 5}, 3) == ["u1", "u3"]
    with pytest.raises(ValueError):
        flag_for_training({}, 0)


def test_database_aggregates_take_precedence_over_the_list():
    c = UnitCounts(unit="x", assessed=3, handling_sum=30.0, handling_count=3, handling_p90=18.0)
    k = {x.code: x for x in unit_kpis(c)}
    assert (k["avg_handling_hours"].value, k["avg_handling_hours"].denominator) == (10.0, 3)
    assert k["p90_handling_hours"].value == 18.0


def test_percentile_from_histogram_is_within_one_bucket_of_the_exact_value():
    import random

    from griddesk.engines.kpi import percentile, percentile_from_histogram

    rng = random.Random(6)
    for trial in range(200):
        xs = [round(rng.expovariate(1 / 20), 2) for _ in range(rng.randint(1, 300))]
        buckets: dict[int, int] = {}
        for x in xs:
            b = int(x // 0.5)
            buckets[b] = buckets.get(b, 0) + 1
        exact = percentile(xs, 0.9)
        approx = percentile_from_histogram(buckets, 0.9, width=0.5, low=min(xs), high=max(xs))
        assert exact is not None and approx is not None
        assert abs(approx - exact) <= 0.5 + 1e-9, (trial, exact, approx)
        assert min(xs) <= approx <= max(xs)


def test_percentile_from_histogram_edges():
    from griddesk.engines.kpi import percentile_from_histogram

    assert percentile_from_histogram({}, 0.9, width=0.5) is None
    assert percentile_from_histogram({3: 0}, 0.9, width=0.5) is None
    # one value: the clamp gives it back exactly
    assert percentile_from_histogram({4: 1}, 0.9, width=0.5, low=2.2, high=2.2) == 2.2
    # ten values evenly in [0, 5): p90 between the 9th and 10th
    assert percentile_from_histogram(dict.fromkeys(range(10), 1), 0.9, width=0.5) == pytest.approx(4.3)  # ranks at 0.25, 0.75, … 4.75; pos 8.1
    with pytest.raises(ValueError):
        percentile_from_histogram({1: 1}, 1.5, width=0.5)
    with pytest.raises(ValueError):
        percentile_from_histogram({1: 1}, 0.5, width=0)
