"""Public-opinion (舆情) risk level as a transparent weighted sum of signals.

Pure Python, no Django. Each signal is a value in 0–1; its points are
``value × weight``; the score is the sum of the points (0–100 with the default
weights, which add up to 100). The level follows from the score and three
thresholds (medium / high / critical). Everything — weights, topic severities,
thresholds, keyword lists — is an input (:class:`RiskConfig`), stored as
editable data by the Django app; :data:`DEFAULT_CONFIG` holds the seeded values.

Signals (seed paper §2.4 key points 1–3: watch media, the web and inspections,
judge whether an item may cause bad impact or a complaint):

``negativity``  the text engine's calibrated negativity (0 = praise, 1 = anger).
``topic``       the topic's severity (outage and safety weigh more than "other").
``reach``       views + reposts × w + comments × w, log-scaled: reach R gives
                ``log10(1 + R) / log10(1 + saturation)``, capped at 1.
``burst``       the burst detector's strength for this topic × area (0–1).
``sensitive``   1 if a sensitive customer (hospital, school, …) is involved or
                the text names a sensitive place from the list.
``keywords``    risk keywords found (曝光, 媒体, 信访, 12345, 投诉无门 …):
                ``min(1, hits / keyword_saturation)``.

Every result carries its explanation: each signal, the value, the evidence and
the points it contributed, so the board can show why an item scored as it did.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_KEYWORDS",
    "DEFAULT_SENSITIVE_PLACES",
    "DEFAULT_TOPIC_SEVERITY",
    "LEVELS",
    "SIGNALS",
    "RiskConfig",
    "RiskInput",
    "RiskResult",
    "Signal",
    "assess",
    "level_for",
    "reach_value",
]

LEVELS: Final[tuple[str, ...]] = ("low", "medium", "high", "critical")
SIGNALS: Final[tuple[str, ...]] = ("negativity", "topic", "reach", "burst", "sensitive", "keywords")

DEFAULT_WEIGHTS: Final[Mapping[str, float]] = {
    "negativity": 25.0,
    "topic": 15.0,
    "reach": 20.0,
    "burst": 15.0,
    "sensitive": 10.0,
    "keywords": 15.0,
}

DEFAULT_TOPIC_SEVERITY: Final[Mapping[str, float]] = {
    "outage": 1.0,
    "construction_safety": 1.0,
    "power_quality": 0.7,
    "staff_conduct": 0.8,
    "billing_tariff": 0.6,
    "metering": 0.6,
    "business_handling": 0.5,
    "payment_channels": 0.4,
    "other": 0.1,
}

DEFAULT_KEYWORDS: Final[tuple[str, ...]] = (
    "曝光",
    "媒体",
    "记者",
    "信访",
    "上访",
    "12345",
    "市长热线",
    "投诉无门",
    "维权",
    "律师",
    "起诉",
    "报警",
    "集体",
    "联名",
    "热搜",
    "人命",
    "伤亡",
    "触电",
    "火灾",
)

DEFAULT_SENSITIVE_PLACES: Final[tuple[str, ...]] = (
    "医院",
    "学校",
    "幼儿园",
    "养老院",
    "敬老院",
    "政府",
    "考场",
    "高考",
    "中考",
    "自来水厂",
    "水厂",
    "监狱",
)


@dataclass(frozen=True, slots=True)
class RiskConfig:
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    topic_severity: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TOPIC_SEVERITY))
    #: Score thresholds for medium, high and critical (ascending).
    medium_at: float = 30.0
    high_at: float = 50.0
    critical_at: float = 70.0
    keywords: tuple[str, ...] = DEFAULT_KEYWORDS
    sensitive_places: tuple[str, ...] = DEFAULT_SENSITIVE_PLACES
    #: This many distinct keywords give the full keyword signal.
    keyword_saturation: int = 2
    #: Reach (weighted views + reposts + comments) that gives the full reach signal.
    reach_saturation: float = 100_000.0
    repost_weight: float = 10.0
    comment_weight: float = 5.0

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(SIGNALS)
        if unknown:
            raise ValueError(f"unknown signals in weights: {sorted(unknown)}")
        if any(w < 0 for w in self.weights.values()):
            raise ValueError("weights must not be negative")
        if any(not 0 <= s <= 1 for s in self.topic_severity.values()):
            raise ValueError("topic severities must lie in 0–1")
        if not 0 <= self.medium_at <= self.high_at <= self.critical_at:
            raise ValueError("thresholds must satisfy 0 ≤ medium ≤ high ≤ critical")
        if self.keyword_saturation < 1:
            raise ValueError("keyword_saturation must be at least 1")
        if self.reach_saturation <= 0:
            raise ValueError("reach_saturation must be positive")


DEFAULT_CONFIG: Final = RiskConfig()


@dataclass(frozen=True, slots=True)
class RiskInput:
    text: str
    topic: str = "other"
    negativity: float = 0.0
    views: int = 0
    reposts: int = 0
    comments: int = 0
    #: Burst strength 0–1 from :mod:`griddesk.engines.burst` for this topic × area.
    burst: float = 0.0
    sensitive_customer: bool = False
    #: Places the text engine recognised (organisation directory); matched
    #: against ``sensitive_places`` together with the text itself.
    places: tuple[str, ...] = ()
    #: Risk keywords already found by the text engine (which matches on word
    #: boundaries for Latin/digit keywords such as "12345"); only those in
    #: ``config.keywords`` count. None: search ``text`` here.
    found_keywords: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    value: float
    weight: float
    points: float
    evidence: str

    def as_dict(self) -> dict[str, object]:
        return {
            "signal": self.name,
            "value": round(self.value, 4),
            "weight": self.weight,
            "points": round(self.points, 2),
            "evidence": self.evidence,
        }


@dataclass(frozen=True, slots=True)
class RiskResult:
    score: float
    level: str
    signals: tuple[Signal, ...]

    def explanation(self) -> list[dict[str, object]]:
        """Signals as plain dicts, largest contribution first (stored as JSON)."""
        return [s.as_dict() for s in sorted(self.signals, key=lambda s: (-s.points, SIGNALS.index(s.name)))]


def _clamp(x: float) -> float:
    if math.isnan(x):
        return 0.0
    return 0.0 if x < 0 else 1.0 if x > 1 else x


def reach_value(views: int, reposts: int, comments: int, config: RiskConfig = DEFAULT_CONFIG) -> tuple[float, float]:
    """(weighted reach, signal value 0–1)."""
    reach = max(0, views) + max(0, reposts) * config.repost_weight + max(0, comments) * config.comment_weight
    return reach, _clamp(math.log10(1 + reach) / math.log10(1 + config.reach_saturation))


def level_for(score: float, config: RiskConfig = DEFAULT_CONFIG) -> str:
    if score >= config.critical_at:
        return "critical"
    if score >= config.high_at:
        return "high"
    if score >= config.medium_at:
        return "medium"
    return "low"


def assess(item: RiskInput, config: RiskConfig = DEFAULT_CONFIG) -> RiskResult:
    text = item.text
    negativity = _clamp(item.negativity)
    severity = _clamp(config.topic_severity.get(item.topic, config.topic_severity.get("other", 0.0)))
    reach, reach_v = reach_value(item.views, item.reposts, item.comments, config)
    burst = _clamp(item.burst)
    haystack = text + "\n" + "\n".join(item.places)
    places = [p for p in config.sensitive_places if p and p in haystack]
    sensitive = 1.0 if (item.sensitive_customer or places) else 0.0
    if item.found_keywords is None:
        hits = [k for k in config.keywords if k and k in text]
    else:
        wanted = {k.lower() for k in config.keywords}
        hits = list(dict.fromkeys(k for k in item.found_keywords if k.lower() in wanted))
    keywords_v = _clamp(len(hits) / config.keyword_saturation)

    sens_evidence = "、".join([*(["sensitive customer"] if item.sensitive_customer else []), *places])
    values: list[tuple[str, float, str]] = [
        ("negativity", negativity, f"{negativity:.2f}"),
        ("topic", severity, f"{item.topic} × {severity:.2f}"),
        ("reach", reach_v, f"{reach:.0f}"),
        ("burst", burst, f"{burst:.2f}"),
        ("sensitive", sensitive, sens_evidence),
        ("keywords", keywords_v, "、".join(hits)),
    ]
    signals = tuple(
        Signal(name, value, config.weights.get(name, 0.0), value * config.weights.get(name, 0.0), evidence)
        for name, value, evidence in values
    )
    score = round(sum(s.points for s in signals), 2)
    return RiskResult(score=score, level=level_for(score, config), signals=signals)
