from __future__ import annotations

import dataclasses

import pytest

from griddesk.engines.risk import DEFAULT_CONFIG, LEVELS, SIGNALS, RiskConfig, RiskInput, assess, level_for, reach_value


def test_praise_with_no_reach_is_low() -> None:
    r = assess(RiskInput(text="感谢城关供电所师傅冒雨抢修，服务很好", topic="outage", negativity=0.05))
    assert r.level == "low"
    assert r.score < DEFAULT_CONFIG.medium_at


def test_media_exposure_of_a_long_outage_with_reach_and_burst_is_critical() -> None:
    r = assess(
        RiskInput(
            text="记者曝光：东湖县停电两天无人管，医院靠发电机，居民投诉无门",
            topic="outage",
            negativity=0.95,
            views=200_000,
            reposts=3_000,
            comments=1_500,
            burst=1.0,
        )
    )
    assert r.level == "critical"
    by_name = {s.name: s for s in r.signals}
    assert by_name["keywords"].value == 1.0
    assert "曝光" in by_name["keywords"].evidence and "投诉无门" in by_name["keywords"].evidence
    assert by_name["sensitive"].evidence == "医院"
    assert by_name["reach"].value == 1.0


def test_score_is_the_sum_of_the_signal_points_and_explanation_lists_every_signal() -> None:
    r = assess(RiskInput(text="电费太高了 12345", topic="billing_tariff", negativity=0.6, views=500, reposts=3))
    assert r.score == pytest.approx(sum(s.points for s in r.signals), abs=0.01)
    expl = r.explanation()
    assert [e["signal"] for e in expl] != [] and {e["signal"] for e in expl} == set(SIGNALS)
    points = [float(str(e["points"])) for e in expl]
    assert points == sorted(points, reverse=True)
    neg = next(e for e in expl if e["signal"] == "negativity")
    assert neg["points"] == pytest.approx(0.6 * DEFAULT_CONFIG.weights["negativity"])


@pytest.mark.parametrize(
    ("score", "level"), [(0, "low"), (29.99, "low"), (30, "medium"), (49.9, "medium"), (50, "high"), (70, "critical")]
)
def test_levels_follow_thresholds(score: float, level: str) -> None:
    assert level_for(score) == level


def test_each_signal_raises_the_score_monotonically() -> None:
    base = RiskInput(text="停电", topic="other", negativity=0.2)
    s0 = assess(base).score
    for change in (
        {"negativity": 0.9},
        {"topic": "outage"},
        {"views": 10_000},
        {"burst": 0.7},
        {"sensitive_customer": True},
        {"text": "停电 曝光"},
    ):
        assert assess(dataclasses.replace(base, **change)).score > s0, change


def test_reach_is_log_scaled_and_capped() -> None:
    _, small = reach_value(10, 0, 0)
    _, mid = reach_value(1_000, 0, 0)
    _, big = reach_value(10_000_000, 0, 0)
    assert 0 < small < mid < big == 1.0
    # log scale: 100× more views is far less than 100× the signal
    assert mid < small * 4
    reach, _ = reach_value(100, 2, 3)
    assert reach == 100 + 2 * DEFAULT_CONFIG.repost_weight + 3 * DEFAULT_CONFIG.comment_weight


def test_config_is_data_weights_and_keywords_change_the_result() -> None:
    item = RiskInput(text="我要找律师", topic="metering", negativity=0.5)
    assert next(s for s in assess(item).signals if s.name == "keywords").value > 0
    cfg = RiskConfig(keywords=("曝光",), weights={**DEFAULT_CONFIG.weights, "negativity": 80.0})
    r = assess(item, cfg)
    assert next(s for s in r.signals if s.name == "keywords").value == 0
    assert next(s for s in r.signals if s.name == "negativity").points == pytest.approx(40.0)


def test_unknown_topic_uses_other_and_values_are_clamped() -> None:
    r = assess(RiskInput(text="x", topic="nonsense", negativity=7.0, burst=-3))
    by_name = {s.name: s for s in r.signals}
    assert by_name["topic"].value == DEFAULT_CONFIG.topic_severity["other"]
    assert by_name["negativity"].value == 1.0 and by_name["burst"].value == 0.0
    assert r.level in LEVELS


@pytest.mark.parametrize(
    "bad",
    [
        {"weights": {"nope": 1.0}},
        {"weights": {"negativity": -1.0}},
        {"topic_severity": {"outage": 2.0}},
        {"medium_at": 60.0, "high_at": 50.0},
        {"keyword_saturation": 0},
        {"reach_saturation": 0},
    ],
)
def test_invalid_config_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        RiskConfig(**bad)  # type: ignore[arg-type]


def test_keywords_found_by_the_text_engine_count_only_if_configured() -> None:
    cfg = RiskConfig(keywords=("曝光", "12345"))
    r = assess(RiskInput(text="ignored", found_keywords=("曝光", "律师", "曝光")), cfg)
    kw = next(s for s in r.signals if s.name == "keywords")
    assert kw.evidence == "曝光" and kw.value == 0.5
