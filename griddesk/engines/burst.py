"""Burst detection: a surge of items for one topic × area against its own baseline.

Pure Python, no Django. Items are counted per bucket (one hour by default).
For each bucket the baseline is an exponentially weighted moving average
(EWMA) of the *earlier* buckets' counts, with an EWMA of the squared deviation
for over-dispersion. The surprise of a count ``x`` is the z-score

    expected  = max(ewma_mean, min_baseline)
    variance  = max(ewma_var, expected)        # never below Poisson
    z         = (x − expected) / sqrt(variance)

and a bucket is a burst when ``x ≥ min_count`` and ``z ≥ z_threshold``. The
minimum count keeps three posts in a quiet county from being "a surge"; the
variance floor keeps an hour of steady noise from being one. After a burst the
baseline is updated with the count capped at the threshold, so a long storm
stays flagged for a few hours instead of becoming the new normal at once.

``strength`` (0–1) feeds the risk score: 0 below the threshold, 0.5 at the
threshold, rising linearly to 1 at twice the threshold.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, TypeVar

__all__ = [
    "DEFAULT_BURST",
    "BurstConfig",
    "BurstPoint",
    "bucket_counts",
    "detect",
    "hour_end",
    "latest_by_key",
    "points_at",
    "strength",
]

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class BurstConfig:
    bucket: timedelta = timedelta(hours=1)
    #: EWMA smoothing (weight of the newest bucket).
    alpha: float = 0.05
    z_threshold: float = 5.0
    min_count: int = 8
    #: Floor of the expected count, so an area with no history is not infinitely surprised.
    min_baseline: float = 0.5
    #: Buckets of history the baseline is built from (``latest_by_key``).
    history: int = 24 * 7
    #: Buckets at the start of a series that are never flagged (no baseline yet).
    #: ``latest_by_key`` pads every key with zeros for the whole history, so a
    #: brand-new topic × area is judged against an empty (quiet) past.
    warmup: int = 12

    def __post_init__(self) -> None:
        if not 0 < self.alpha <= 1:
            raise ValueError("alpha must lie in (0, 1]")
        if self.z_threshold <= 0 or self.min_count < 1 or self.min_baseline <= 0:
            raise ValueError("z_threshold, min_count and min_baseline must be positive")
        if self.bucket <= timedelta(0) or self.history < 1 or self.warmup < 0:
            raise ValueError("bucket and history must be positive")


DEFAULT_BURST: Final = BurstConfig()


@dataclass(frozen=True, slots=True)
class BurstPoint:
    index: int
    count: int
    expected: float
    z: float
    burst: bool
    #: 0–1 for the risk score (see the module docstring).
    strength: float


def strength(z: float, burst: bool, config: BurstConfig = DEFAULT_BURST) -> float:
    if not burst:
        return 0.0
    t = config.z_threshold
    return min(1.0, 0.5 + 0.5 * (z - t) / t)


def detect(counts: Sequence[int], config: BurstConfig = DEFAULT_BURST) -> list[BurstPoint]:
    """One point per bucket of a contiguous series (zeros included)."""
    out: list[BurstPoint] = []
    mean = 0.0
    var = 0.0
    seeded = False
    for i, x in enumerate(counts):
        if x < 0:
            raise ValueError("counts must not be negative")
        expected = max(mean, config.min_baseline)
        variance = max(var, expected)
        z = (x - expected) / math.sqrt(variance)
        burst = i >= config.warmup and x >= config.min_count and z >= config.z_threshold
        out.append(BurstPoint(i, x, expected, z, burst, strength(z, burst, config)))
        # Update the baseline; a burst enters only up to the threshold level.
        update = min(float(x), expected + config.z_threshold * math.sqrt(variance)) if burst else float(x)
        if not seeded:
            mean, var, seeded = update, 0.0, True
        else:
            diff = update - mean
            mean += config.alpha * diff
            var = (1 - config.alpha) * (var + config.alpha * diff * diff)
    return out


def bucket_counts(times: Iterable[datetime], *, end: datetime, buckets: int, bucket: timedelta) -> list[int]:
    """Counts for ``buckets`` buckets ending at ``end`` (oldest first): the last
    bucket is the sliding window ``(end − bucket, end]`` (ages ``[0, bucket)``), so "the last hour" is
    judged whole, whatever the clock says. Times outside the window are ignored."""
    counts = [0] * buckets
    span = bucket.total_seconds()
    end_ts = end.timestamp()
    for t in times:
        age = end_ts - t.timestamp()
        if age < 0:
            continue
        idx = buckets - 1 - int(age // span)  # bucket k back covers ages [k, k+1) buckets
        if 0 <= idx < buckets:
            counts[idx] += 1
    return counts


def latest_by_key(
    events: Iterable[tuple[K, datetime]], *, end: datetime, config: BurstConfig = DEFAULT_BURST
) -> dict[K, BurstPoint]:
    """The bucket containing ``end`` for each key (e.g. ``(topic, area)``), judged
    against that key's own history of ``config.history`` buckets."""
    by_key: dict[K, list[datetime]] = defaultdict(list)
    for key, t in events:
        by_key[key].append(t)
    result: dict[K, BurstPoint] = {}
    for key, times in by_key.items():
        series = bucket_counts(times, end=end, buckets=config.history, bucket=config.bucket)
        result[key] = detect(series, config)[-1]
    return result


def hour_end(t: datetime, bucket: timedelta) -> datetime:
    """The end of the clock bucket holding ``t`` (buckets aligned on the Unix
    epoch, so whole hours in UTC and in Asia/Shanghai alike): ``t`` itself when
    it lies exactly on a boundary, so the bucket is ``(end − bucket, end]``."""
    span = bucket.total_seconds()
    ts = t.timestamp()
    k = math.ceil(ts / span)
    return t + timedelta(seconds=k * span - ts)


def points_at(
    times: Sequence[datetime], at: Iterable[datetime], *, config: BurstConfig = DEFAULT_BURST
) -> dict[datetime, BurstPoint]:
    """Each time in ``at`` judged *at its own time*: the point of the clock
    bucket holding it, against the ``config.history`` buckets before that one.

    For back-filled items (published hours or days ago): one series of clock
    buckets from the earliest bucket's history to the latest bucket, detected
    once, so a batch spread over many hours costs one pass per key."""
    wanted = list(at)
    if not wanted:
        return {}
    ends = {a: hour_end(a, config.bucket) for a in wanted}
    last = max(ends.values())
    first = min(ends.values())
    span = config.bucket.total_seconds()
    n = int(round((last - first).total_seconds() / span)) + config.history
    points = detect(bucket_counts(times, end=last, buckets=n, bucket=config.bucket), config)
    return {a: points[n - 1 - int(round((last - e).total_seconds() / span))] for a, e in ends.items()}
