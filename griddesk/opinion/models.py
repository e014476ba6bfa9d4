"""Public-opinion (舆情) monitoring: sources, items, stories (clusters of copies),
their append-only event log, service emergency responses, and the risk settings
as editable data (prevention stage 防范, seed paper §2.4 key points 1–3 and 7)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SourceKind(models.TextChoices):
    NEWS = "news", _("News media")
    FORUM = "forum", _("Web forum")
    SOCIAL = "social", _("Social post")
    VIDEO = "video", _("Short video")
    GOV_12345 = "12345", _("12345 transfer")
    INSPECTION = "inspection", _("Inspection finding (open or covert)")
    INTERNAL = "internal", _("Internal")


class Topic(models.TextChoices):
    OUTAGE = "outage", _("Outage")
    POWER_QUALITY = "power_quality", _("Power quality")
    BILLING_TARIFF = "billing_tariff", _("Billing and tariff")
    METERING = "metering", _("Metering")
    STAFF_CONDUCT = "staff_conduct", _("Staff conduct")
    BUSINESS_HANDLING = "business_handling", _("Business handling")
    CONSTRUCTION_SAFETY = "construction_safety", _("Construction and safety")
    PAYMENT_CHANNELS = "payment_channels", _("Payment channels")
    OTHER = "other", _("Other")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


RISK_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


class StoryState(models.TextChoices):
    NEW = "new", _("New")
    JUDGED = "judged", _("Judged")
    TRANSFERRED = "transferred", _("Transferred to a work order")
    DISMISSED = "dismissed", _("Dismissed")
    FED_BACK = "fed_back", _("Result fed back")
    ARCHIVED = "archived", _("Archived")


def story_event_action_choices() -> list[tuple[str, str]]:
    """The choices of ``StoryEvent.action``: the declared story actions
    (``griddesk.opinion.actions``), first seen and re-scored. A callable, so
    that a new action needs no migration."""
    from .actions import StoryAction

    return list(StoryAction.choices)


def __getattr__(name: str) -> Any:
    # ``StoryAction`` is built from the action declarations (which import the
    # serializers): it is read from there on first use.
    if name == "StoryAction":
        from .actions import StoryAction

        return StoryAction
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class OpinionSource(models.Model):
    """A configured feed or channel; RSS/Atom feeds with a URL are polled."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("source kind"), max_length=16, choices=SourceKind.choices)
    url = models.URLField(_("RSS/Atom URL"), max_length=500, blank=True)
    active = models.BooleanField(_("active"), default=True)
    poll_minutes = models.PositiveIntegerField(_("poll interval (minutes)"), default=30)
    area = models.ForeignKey(
        "organisation.Department", verbose_name=_("default area"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_status = models.CharField(_("last poll result"), max_length=300, blank=True)
    # Conditional requests: the validators of the last 200 response, sent back
    # as If-None-Match / If-Modified-Since (a 304 costs no parsing, no intake).
    etag = models.CharField(_("ETag"), max_length=300, blank=True, editable=False)
    last_modified = models.CharField(_("Last-Modified"), max_length=100, blank=True, editable=False)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    #: Not polled before this time (the interval, doubled per consecutive failure).
    next_poll_at = models.DateTimeField(_("next poll"), null=True, blank=True)

    class Meta:
        verbose_name = _("opinion source")
        verbose_name_plural = _("opinion sources")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Story(models.Model):
    """One story: an item and its reposts / near-duplicates (a cluster)."""

    title = models.CharField(_("title"), max_length=200, blank=True)
    representative = models.ForeignKey(
        "OpinionItem", verbose_name=_("representative item"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    simhash = models.BigIntegerField(default=0)
    topic = models.CharField(_("topic"), max_length=24, choices=Topic.choices, default=Topic.OTHER)
    area = models.ForeignKey(
        "organisation.Department", verbose_name=_("area"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="opinion_stories",
    )
    area_text = models.CharField(_("area (free text)"), max_length=50, blank=True)
    copies = models.PositiveIntegerField(_("copies"), default=0)
    total_views = models.PositiveBigIntegerField(_("views"), default=0)
    total_reposts = models.PositiveBigIntegerField(_("reposts"), default=0)
    total_comments = models.PositiveBigIntegerField(_("comments"), default=0)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))
    negativity = models.FloatField(_("negativity (highest)"), default=0.0)
    burst = models.FloatField(_("burst strength (highest)"), default=0.0)
    sensitive = models.BooleanField(_("sensitive customers or places"), default=False)
    risk_score = models.FloatField(_("risk score"), default=0.0)
    risk_level = models.CharField(_("computed risk"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.LOW)
    risk_explanation = models.JSONField(_("risk explanation"), default=list, blank=True)
    judged_level = models.CharField(_("judged risk"), max_length=10, choices=RiskLevel.choices, blank=True)
    #: Effective level (judged, else computed) as 0–3, for sorting the board.
    risk_rank = models.PositiveSmallIntegerField(default=0)
    may_cause_impact = models.BooleanField(_("may cause bad impact or a complaint"), null=True, blank=True)
    needs_transfer = models.BooleanField(_("needs transfer for handling"), null=True, blank=True)
    judged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    judged_department = models.ForeignKey(
        "organisation.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    judged_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=StoryState.choices, default=StoryState.NEW)
    work_order = models.OneToOneField(
        "workorders.WorkOrder", verbose_name=_("prevention work order"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="opinion_story",
    )
    dismiss_reason = models.TextField(_("dismissal reason"), blank=True)
    result = models.TextField(_("handling result"), blank=True)
    investigation_result = models.TextField(_("investigation result"), blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("story")
        verbose_name_plural = _("stories")
        indexes = [
            models.Index(fields=["risk_rank", "risk_score"], name="story_risk"),
            models.Index(fields=["last_seen"], name="story_last_seen"),
            models.Index(fields=["state", "risk_rank"], name="story_state_risk"),
        ]

    def __str__(self) -> str:
        return self.title or f"#{self.pk}"

    @property
    def level(self) -> str:
        return self.judged_level or self.risk_level

    def get_level_display(self) -> str:
        return str(RiskLevel(self.level).label)

    @property
    def total_reach(self) -> int:
        return int(self.total_views + self.total_reposts + self.total_comments)


class OpinionItem(models.Model):
    class Via(models.TextChoices):
        API = "api", _("API")
        FILE = "file", _("File import")
        FEED = "feed", _("Feed")
        FORM = "form", _("Web form")
        DEMO = "demo", _("Demo")

    source = models.ForeignKey(OpinionSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="items")
    source_kind = models.CharField(_("source kind"), max_length=16, choices=SourceKind.choices)
    source_name = models.CharField(_("source name"), max_length=100, blank=True)
    url = models.CharField(_("URL"), max_length=1000, blank=True)
    title = models.CharField(_("title"), max_length=300, blank=True)
    text = models.TextField(_("text"))
    author = models.CharField(_("author"), max_length=100, blank=True)
    published_at = models.DateTimeField(_("published at"))
    received_at = models.DateTimeField(pgettext_lazy("opinion item", "received at"))
    area = models.ForeignKey(
        "organisation.Department", verbose_name=_("area"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="opinion_items",
    )
    area_text = models.CharField(_("area (free text)"), max_length=50, blank=True)
    views = models.PositiveBigIntegerField(_("views"), default=0)
    reposts = models.PositiveBigIntegerField(_("reposts"), default=0)
    comments = models.PositiveBigIntegerField(_("comments"), default=0)
    sensitive_customer = models.BooleanField(_("sensitive customer involved"), default=False)
    dedupe_key = models.CharField(max_length=42, unique=True)
    text_hash = models.CharField(max_length=40, db_index=True)
    simhash = models.BigIntegerField(default=0)
    story = models.ForeignKey(Story, on_delete=models.PROTECT, related_name="items")
    # Analysis (griddesk.engines.text) and risk (griddesk.engines.risk).
    relevant = models.BooleanField(_("relevant"), default=True)
    relevance = models.FloatField(_("relevance"), default=0.0)
    topic = models.CharField(_("topic"), max_length=24, choices=Topic.choices, default=Topic.OTHER)
    negativity = models.FloatField(_("negativity"), default=0.0)
    entities = models.JSONField(_("entities"), default=list, blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    burst = models.FloatField(_("burst strength"), default=0.0)
    risk_score = models.FloatField(_("risk score"), default=0.0)
    risk_level = models.CharField(_("risk"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.LOW)
    risk_explanation = models.JSONField(_("risk explanation"), default=list, blank=True)
    via = models.CharField(max_length=8, choices=Via.choices, default=Via.API)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("opinion item")
        verbose_name_plural = _("opinion items")
        indexes = [
            models.Index(fields=["published_at"], name="opitem_published"),
            models.Index(fields=["topic", "published_at"], name="opitem_topic_published"),
            models.Index(fields=["story", "published_at"], name="opitem_story_published"),
        ]

    def __str__(self) -> str:
        return self.title or self.text[:30]

    @property
    def reach(self) -> int:
        return int(self.views + self.reposts + self.comments)


class _AppendOnly(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: object, **kwargs: object) -> None:
        # Integrity guard, not business logic: history rows are never rewritten.
        if self.pk is not None:
            raise RuntimeError("events are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise RuntimeError("events are append-only")


class StoryEvent(_AppendOnly):
    """Append-only history of a story: who judged, transferred, dismissed … what."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=16, choices=story_event_action_choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    department = models.ForeignKey("organisation.Department", null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["story_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["story", "seq"], name="story_event_seq")]


class EmergencyLevel(models.TextChoices):
    I = "1", _("Level I (especially serious)")
    II = "2", _("Level II (serious)")
    III = "3", _("Level III (relatively serious)")
    IV = "4", _("Level IV (ordinary)")


class EmergencyResponse(models.Model):
    """A service emergency response (服务应急预案) started for a critical story."""

    class State(models.TextChoices):
        # Contexts: the bare words are other things elsewhere (待反馈, 办结时间).
        OPEN = "open", pgettext_lazy("emergency state", "Open")
        CLOSED = "closed", pgettext_lazy("emergency state", "Closed")

    story = models.ForeignKey(Story, on_delete=models.PROTECT, related_name="emergencies")
    level = models.CharField(_("response level"), max_length=2, choices=EmergencyLevel.choices)
    leader = models.CharField(_("leader"), max_length=100)
    members = models.TextField(_("members"))
    actions = models.TextField(_("actions"))
    notices = models.TextField(_("notices"), blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    summary = models.TextField(_("closing summary"), blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("service emergency response")
        verbose_name_plural = _("service emergency responses")
        constraints = [
            # At most one open response per story.
            models.UniqueConstraint(fields=["story"], condition=models.Q(state="open"), name="one_open_emergency"),
        ]


class EmergencyEvent(_AppendOnly):
    response = models.ForeignKey(EmergencyResponse, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=16)  # start / notice / close
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    department = models.ForeignKey("organisation.Department", null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    from_state = models.CharField(max_length=8, blank=True)
    to_state = models.CharField(max_length=8)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["response_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["response", "seq"], name="emergency_event_seq")]


# ---------------------------------------------------------------- risk settings as data


class RiskSettings(models.Model):
    """Weights (points at full signal), thresholds and scales of the risk score;
    one active row (code ``default``). Audited like the work-order rules."""

    code = models.SlugField(_("code"), max_length=32, unique=True, default="default")
    weight_negativity = models.FloatField(_("weight: negativity"), default=25.0)
    weight_topic = models.FloatField(_("weight: topic severity"), default=15.0)
    weight_reach = models.FloatField(_("weight: reach"), default=20.0)
    weight_burst = models.FloatField(_("weight: burst"), default=15.0)
    weight_sensitive = models.FloatField(_("weight: sensitive customers or places"), default=10.0)
    weight_keywords = models.FloatField(_("weight: risk keywords"), default=15.0)
    medium_at = models.FloatField(_("medium from score"), default=30.0)
    high_at = models.FloatField(_("high from score"), default=50.0)
    critical_at = models.FloatField(_("critical from score"), default=70.0)
    keyword_saturation = models.PositiveSmallIntegerField(_("keywords for the full signal"), default=2)
    reach_saturation = models.FloatField(_("reach for the full signal"), default=100_000.0)
    repost_weight = models.FloatField(_("a repost counts as views"), default=10.0)
    comment_weight = models.FloatField(_("a comment counts as views"), default=5.0)
    burst_z = models.FloatField(_("burst z-score threshold"), default=5.0)
    burst_min_count = models.PositiveSmallIntegerField(_("burst minimum items per hour"), default=8)
    near_distance = models.PositiveSmallIntegerField(_("near-duplicate SimHash distance"), default=18)
    near_jaccard = models.FloatField(_("near-duplicate shingle overlap"), default=0.5)
    cluster_days = models.PositiveSmallIntegerField(_("days a story stays open for copies"), default=7)

    class Meta:
        verbose_name = _("risk settings")
        verbose_name_plural = _("risk settings")

    def __str__(self) -> str:
        return self.code


class TopicSeverity(models.Model):
    topic = models.CharField(_("topic"), max_length=24, choices=Topic.choices, unique=True)
    severity = models.FloatField(_("severity (0–1)"))

    class Meta:
        verbose_name = _("topic severity")
        verbose_name_plural = _("topic severities")
        ordering = ["topic"]

    def __str__(self) -> str:
        return f"{self.topic}: {self.severity}"


class RiskKeyword(models.Model):
    class Kind(models.TextChoices):
        RISK = "risk", _("Risk keyword")
        PLACE = "place", _("Sensitive place")

    word = models.CharField(_("word"), max_length=50)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.RISK)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("risk keyword")
        verbose_name_plural = _("risk keywords")
        ordering = ["kind", "word"]
        constraints = [models.UniqueConstraint(fields=["word", "kind"], name="risk_keyword_unique")]

    def __str__(self) -> str:
        return self.word


class ItemPiiAccess(models.Model):
    """One row each time a user is shown an item's phone or account numbers unmasked."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(OpinionItem, on_delete=models.CASCADE, related_name="pii_accesses")
    via = models.CharField(max_length=20)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("opinion personal-data access")
        verbose_name_plural = _("opinion personal-data accesses")
