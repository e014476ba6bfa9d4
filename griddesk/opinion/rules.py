"""Risk settings rows → engine configuration objects (one conversion, used by
intake and by the admin's validation)."""

from __future__ import annotations

from django.db.models import Model

from griddesk.engines import burst, dedupe, risk

from .models import RiskKeyword, RiskSettings, TopicSeverity


def settings_row() -> RiskSettings:
    row = RiskSettings.objects.filter(code="default").first()
    return row if row is not None else RiskSettings(code="default")


def risk_config_from(row: RiskSettings, severities: dict[str, float], keywords: list[tuple[str, str]]) -> risk.RiskConfig:
    """Raises ValueError for an inconsistent configuration (the admin shows it)."""
    return risk.RiskConfig(
        weights={
            "negativity": row.weight_negativity,
            "topic": row.weight_topic,
            "reach": row.weight_reach,
            "burst": row.weight_burst,
            "sensitive": row.weight_sensitive,
            "keywords": row.weight_keywords,
        },
        topic_severity=severities or dict(risk.DEFAULT_TOPIC_SEVERITY),
        medium_at=row.medium_at,
        high_at=row.high_at,
        critical_at=row.critical_at,
        keywords=tuple(w for w, k in keywords if k == RiskKeyword.Kind.RISK),
        sensitive_places=tuple(w for w, k in keywords if k == RiskKeyword.Kind.PLACE),
        keyword_saturation=row.keyword_saturation,
        reach_saturation=row.reach_saturation,
        repost_weight=row.repost_weight,
        comment_weight=row.comment_weight,
    )


def risk_config(row: RiskSettings | None = None) -> risk.RiskConfig:
    row = row or settings_row()
    severities = dict(TopicSeverity.objects.values_list("topic", "severity"))
    keywords = list(RiskKeyword.objects.filter(active=True).values_list("word", "kind"))
    return risk_config_from(row, severities, keywords)


def burst_config(row: RiskSettings | None = None) -> burst.BurstConfig:
    row = row or settings_row()
    return burst.BurstConfig(z_threshold=row.burst_z, min_count=row.burst_min_count)


def near_config(row: RiskSettings | None = None) -> dedupe.NearConfig:
    row = row or settings_row()
    return dedupe.NearConfig(max_distance=row.near_distance, min_jaccard=row.near_jaccard)


def validate_row(instance: Model) -> None:
    """The admin form's check: build the engine objects from the edited row."""
    if isinstance(instance, RiskSettings):
        risk_config_from(instance, {}, [])
        burst_config(instance)
    elif isinstance(instance, TopicSeverity):
        risk_config_from(RiskSettings(), {instance.topic: instance.severity}, [])
