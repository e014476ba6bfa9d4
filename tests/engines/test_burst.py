from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from griddesk.engines.burst import DEFAULT_BURST, BurstConfig, bucket_counts, detect, latest_by_key


def poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method; fine for small rates.
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


@pytest.mark.parametrize("rate", [0.2, 1.0, 3.0, 8.0, 15.0])
@pytest.mark.parametrize("seed", range(5))
def test_two_weeks_of_steady_noise_raise_no_burst(rate: float, seed: int) -> None:
    rng = random.Random(seed * 1000 + int(rate * 10))
    counts = [poisson(rng, rate) for _ in range(24 * 14)]
    assert not any(p.burst for p in detect(counts))


def test_a_storm_outage_hour_after_quiet_days_is_flagged() -> None:
    rng = random.Random(7)
    counts = [poisson(rng, 1.0) for _ in range(24 * 5)] + [60, 45]
    points = detect(counts)
    assert points[-2].burst and points[-2].z > DEFAULT_BURST.z_threshold
    assert points[-2].strength == 1.0
    # the storm's second hour is still a burst: the baseline absorbed it only partly
    assert points[-1].burst
    assert not any(p.burst for p in points[:-2])


def test_min_count_keeps_a_handful_of_posts_from_being_a_surge() -> None:
    points = detect([0] * 48 + [5])
    assert points[-1].z > DEFAULT_BURST.z_threshold
    assert not points[-1].burst
    assert detect([0] * 48 + [DEFAULT_BURST.min_count])[-1].burst


def test_a_busy_area_needs_a_bigger_surge_than_a_quiet_one() -> None:
    quiet = detect([1] * 72 + [12])[-1]
    busy = detect([10] * 72 + [12])[-1]
    assert quiet.burst and not busy.burst


def test_strength_grows_with_surprise() -> None:
    weak = detect([2] * 72 + [11])[-1]
    strong = detect([2] * 72 + [40])[-1]
    assert weak.burst and strong.burst
    assert 0.5 <= weak.strength < strong.strength <= 1.0
    assert detect([2] * 73)[-1].strength == 0.0


def test_bucket_counts_and_latest_by_key() -> None:
    end = datetime(2026, 7, 1, 14, 30, tzinfo=UTC)
    hour = timedelta(hours=1)
    times = [end - timedelta(minutes=5)] * 3 + [end - 2 * hour] + [end - 1000 * hour]
    counts = bucket_counts(times, end=end, buckets=4, bucket=hour)
    assert counts == [0, 1, 0, 3]
    events = [(("outage", "东湖县"), end - timedelta(minutes=m)) for m in range(30)]
    events += [(("outage", "东湖县"), end - timedelta(hours=h)) for h in range(5, 100, 7)]
    events += [(("billing_tariff", "西山县"), end - timedelta(hours=h)) for h in range(0, 100, 3)]
    latest = latest_by_key(events, end=end)
    assert latest[("outage", "东湖县")].burst and latest[("outage", "东湖县")].count == 30
    assert bucket_counts([end - hour + timedelta(seconds=1), end - hour], end=end, buckets=2, bucket=hour) == [1, 1]
    assert not latest[("billing_tariff", "西山县")].burst


def test_invalid_input_is_refused() -> None:
    with pytest.raises(ValueError):
        BurstConfig(alpha=0)
    with pytest.raises(ValueError):
        detect([1, -1])


# ---------------------------------------------------------------- judged at their own time


def test_hour_end_is_the_end_of_the_clock_bucket() -> None:
    from griddesk.engines.burst import hour_end

    h = timedelta(hours=1)
    t = datetime(2026, 11, 28, 14, 25, 7, tzinfo=UTC)
    assert hour_end(t, h) == datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
    assert hour_end(datetime(2026, 11, 28, 15, 0, tzinfo=UTC), h) == datetime(2026, 11, 28, 15, 0, tzinfo=UTC)


def test_points_at_judges_a_backfilled_storm_at_its_own_hour() -> None:
    from griddesk.engines.burst import points_at

    now = datetime(2026, 11, 28, 12, 30, tzinfo=UTC)
    rng = random.Random(3)
    quiet = [now - timedelta(hours=h, minutes=rng.randint(0, 59)) for h in range(5, 24 * 9, 7)]
    storm_hour = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
    storm = [storm_hour + timedelta(minutes=3 * i + 1) for i in range(15)]
    later = [datetime(2026, 11, 27, 9, 10, tzinfo=UTC)]
    times = quiet + storm + later
    pts = points_at(times, storm + later + quiet[:3])
    assert all(pts[t].burst and pts[t].count == 15 for t in storm)
    assert not pts[later[0]].burst and not any(pts[t].burst for t in quiet[:3])
    # Judged at "now" (the old behaviour) the same storm is quiet history.
    assert not latest_by_key([("k", t) for t in times], end=now)["k"].burst
    # Identical to a direct series ending at the storm's hour.
    direct = detect(bucket_counts(times, end=storm_hour + timedelta(hours=1), buckets=DEFAULT_BURST.history,
                                  bucket=DEFAULT_BURST.bucket))[-1]
    assert pts[storm[0]].count == direct.count and pts[storm[0]].burst == direct.burst
    assert points_at(times, []) == {}
