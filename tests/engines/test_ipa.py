"""Importance-performance analysis and segment comparison."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from griddesk.engines.ipa import IpaError, ipa, ipa_from_pls, linear_trend, segment_means
from griddesk.engines.pls import PlsModel, pls_fit

ECSI = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "pls" / "ecsi_mobi"


def test_quadrants_with_mean_cuts() -> None:
    imp = {"quality": 0.6, "value": 0.2, "image": 0.4, "expect": 0.1}
    perf = {"quality": 60.0, "value": 80.0, "image": 75.0, "expect": 50.0}
    res = ipa(imp, perf)
    assert res.importance_cut == pytest.approx(0.325) and res.performance_cut == pytest.approx(66.25)
    q = {p.driver: p.quadrant for p in res.points}
    assert q == {"quality": "concentrate_here", "image": "keep_up", "value": "possible_overkill",
                 "expect": "low_priority"}
    assert [p.driver for p in res.priorities] == ["quality", "image", "expect", "value"]
    assert res.points[0].potential == pytest.approx(0.6 * 40 / 100)


def test_given_cuts_and_ranking_within_quadrant() -> None:
    imp = {"a": 0.5, "b": 0.4, "c": 0.45}
    perf = {"a": 70.0, "b": 40.0, "c": 69.0}
    res = ipa(imp, perf, importance_cut=0.3, performance_cut=75)
    assert {p.quadrant for p in res.points} == {"concentrate_here"}
    # potential: a .15, b .24, c .1395
    assert [p.driver for p in res.priorities] == ["b", "a", "c"]
    on_cut = ipa({"x": 0.3}, {"x": 75.0}, importance_cut=0.3, performance_cut=75)
    assert on_cut.points[0].quadrant == "keep_up"
    assert ipa(imp, perf, cut="median").importance_cut == pytest.approx(0.45)


def test_errors() -> None:
    with pytest.raises(IpaError):
        ipa({}, {})
    with pytest.raises(IpaError):
        ipa({"a": 1.0}, {"b": 50.0})
    with pytest.raises(IpaError):
        ipa({"a": 1.0}, {"a": 50.0}, cut="mode")


@pytest.mark.skipif(not (ECSI / "mobi_250.txt").exists(), reason="../shared data absent")
def test_ipa_from_ecsi_pls() -> None:
    with open(ECSI / "mobi_250.txt", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    blocks: dict[str, list[str]] = {}
    with open(ECSI / "ECSImeasuremod.csv", newline="") as f:
        for s, t in list(csv.reader(f))[1:]:
            blocks.setdefault(s, []).append(t)
    with open(ECSI / "ECSIstrucmod.csv", newline="") as f:
        paths = [(a, b) for a, b in list(csv.reader(f))[1:]]
    x = np.array(rows[1:], dtype=float)
    res = pls_fit(x, rows[0], PlsModel(blocks=blocks, paths=paths), scale_range=dict.fromkeys(rows[0], (1, 10)))
    out = ipa_from_pls(res, "Satisfaction")
    assert {p.driver for p in out.points} == {"Image", "Expectation", "Quality", "Value"}
    for p in out.points:
        assert p.importance == res.total_effects[(p.driver, "Satisfaction")]
        assert res.index is not None and p.performance == res.index[p.driver]
    # Quality has the largest total effect on satisfaction (0.621 in the SmartPLS reference)
    assert max(out.points, key=lambda p: p.importance).driver == "Quality"
    with pytest.raises(IpaError):
        ipa_from_pls(pls_fit(x, rows[0], PlsModel(blocks=blocks, paths=paths)), "Satisfaction")


def test_segment_means_t_interval() -> None:
    vals = [1.0, 2.0, 3.0, 4.0, 5.0, 10.0, 10.0, np.nan]
    segs = ["north", "north", "north", "north", "north", "south", "south", "south"]
    out = segment_means(vals, segs)
    assert [s.segment for s in out] == ["north", "south"]
    north = out[0]
    assert north.n == 5 and north.mean == 3.0 and north.sd == pytest.approx(np.sqrt(2.5))
    # t(0.975, 4) = 2.776445
    assert north.ci_high - north.mean == pytest.approx(2.776445 * np.sqrt(2.5) / np.sqrt(5), abs=1e-5)
    assert out[1].n == 2 and out[1].ci_low == out[1].ci_high == 10.0


def test_segment_means_bootstrap_reproducible_and_covers() -> None:
    rng = np.random.default_rng(0)
    vals = np.concatenate([rng.normal(70, 10, 400), rng.normal(80, 10, 400)])
    segs = ["a"] * 400 + ["b"] * 400
    b1 = segment_means(vals, segs, method="bootstrap", seed=3)
    b2 = segment_means(vals, segs, method="bootstrap", seed=3)
    t = segment_means(vals, segs)
    assert b1 == b2
    for bs, ts in zip(b1, t):
        assert bs.ci_low < bs.mean < bs.ci_high
        assert bs.ci_low == pytest.approx(ts.ci_low, abs=0.3) and bs.ci_high == pytest.approx(ts.ci_high, abs=0.3)
    assert b1[0].ci_high < b1[1].ci_low  # the segments differ
    with pytest.raises(IpaError):
        segment_means([1.0], ["a", "b"])


def test_linear_trend() -> None:
    x = np.arange(12, dtype=float)
    y = 70 + 0.5 * x + np.array([0.3, -0.2, 0.1, -0.4, 0.2, 0.0, -0.1, 0.3, -0.3, 0.2, 0.1, -0.2])
    tr = linear_trend(x, y)
    slope = np.polyfit(x, y, 1)[0]
    assert tr.slope == pytest.approx(slope) and tr.ci_low < 0.5 < tr.ci_high and tr.n == 12
    with pytest.raises(IpaError):
        linear_trend([1.0, 2.0], [3.0, 4.0])
