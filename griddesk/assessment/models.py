"""Assessment (考核): scoring rules as versioned data, one computed assessment per
order, manager adjustments, and the archive's search entries and corrections."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ScoringRuleSet(models.Model):
    """One version of the scoring rules. Rows are never edited: every change
    publishes a new version; each assessment points to the version it used."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    rules = models.JSONField(_("rules"))
    note = models.CharField(_("change note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("published at"), auto_now_add=True)

    class Meta:
        verbose_name = _("scoring rules version")
        verbose_name_plural = _("scoring rules versions")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version}"


class OrderAssessment(models.Model):
    """Everything the assessment computed for one order (a fact row: the unit
    keys are copied here so scorecards group one narrow table)."""

    order = models.OneToOneField(
        "workorders.WorkOrder", verbose_name=_("work order"), on_delete=models.CASCADE, related_name="assessment_facts"
    )
    assessment = models.ForeignKey(
        "workorders.Assessment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule_set = models.ForeignKey(ScoringRuleSet, verbose_name=_("rules version"), on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(_("received at"))
    order_type = models.CharField(max_length=20)
    company = models.ForeignKey("organisation.Department", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        "organisation.Department", verbose_name=_("lead department"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    station = models.ForeignKey(
        "organisation.Department", verbose_name=_("station"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("handler"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.ForeignKey("workorders.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    customer_category = models.CharField(max_length=20, blank=True)
    on_time = models.BooleanField(_("on time"))
    overdue_hours = models.FloatField(_("overdue (working hours)"), default=0)
    handling_hours = models.FloatField(_("handling time (working hours)"), null=True, blank=True)
    at_fault = models.BooleanField(_("company at fault"), null=True)
    visit_outcome = models.CharField(_("return-visit outcome"), max_length=24, blank=True)
    satisfied = models.BooleanField(_("satisfied"), null=True)
    repeat = models.BooleanField(_("repeat complaint"), default=False)
    repeat_of = models.ForeignKey("workorders.WorkOrder", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    escalated = models.BooleanField(_("escalated beyond level"), default=False)
    urge_count = models.PositiveIntegerField(_("urged"), default=0)
    reopen_count = models.PositiveIntegerField(_("reopened"), default=0)
    first_time = models.BooleanField(_("resolved first time"), default=True)
    items = models.JSONField(_("item points"), default=dict)
    weight = models.FloatField(default=1.0)
    score = models.FloatField(_("computed score"))
    final_score = models.FloatField(_("score"))
    adjusted = models.BooleanField(_("adjusted"), default=False)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("order assessment")
        verbose_name_plural = _("order assessments")
        indexes = [
            models.Index(fields=["received_at", "company"], name="oa_received_company"),
            models.Index(fields=["received_at", "department"], name="oa_received_department"),
            models.Index(fields=["received_at", "station"], name="oa_received_station"),
            models.Index(fields=["received_at", "staff"], name="oa_received_staff"),
        ]


class AssessmentAdjustment(models.Model):
    """A manager's change of an assessment's score, with the reason (append-only;
    the computed score stays on the assessment)."""

    order_assessment = models.ForeignKey(OrderAssessment, on_delete=models.CASCADE, related_name="adjustments")
    score_before = models.FloatField()
    score_after = models.FloatField()
    reason = models.TextField(_("reason"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]


class ArchiveEntry(models.Model):
    """The searchable text of an archived order (written by the archive service;
    SQLite indexes it in an FTS5 trigram table, PostgreSQL with a pg_trgm GIN
    index — see the migrations)."""

    order = models.OneToOneField("workorders.WorkOrder", on_delete=models.CASCADE, related_name="archive_entry")
    number = models.CharField(max_length=32)
    company = models.ForeignKey("organisation.Department", on_delete=models.PROTECT, related_name="+")
    archived_at = models.DateTimeField(db_index=True)
    body = models.TextField()


class ArchiveCorrection(models.Model):
    """A correction to an archived order: a new linked record, the order stays as archived."""

    order = models.ForeignKey("workorders.WorkOrder", on_delete=models.CASCADE, related_name="archive_corrections")
    note = models.TextField(_("correction"))
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]


# ------------------------------------------------------------------ analytics rollups (ADR 0011)


class RollupLevel(models.TextChoices):
    COMPANY = "company", pgettext_lazy("rollup level", "company")
    DEPARTMENT = "department", _("lead department")
    STATION = "station", _("station")
    STAFF = "staff", _("staff")
    CUSTOMER_CATEGORY = "customer_category", _("customer category")
    ALL = "all", _("whole scope")


class DailyRollup(models.Model):
    """Additive counters of one local day (Asia/Shanghai) for one unit of one
    scorecard level, per company (for the viewer's scope), category and order
    type. ``received`` counts valid orders received (the unit as the work-order
    list filters it: order company, lead department, customer's station /
    category); the other counters count assessed orders (the unit copied onto
    the assessment). Written only by the rollup refresh (whole days)."""

    day = models.DateField()
    level = models.CharField(max_length=20, choices=RollupLevel.choices)
    unit = models.CharField(max_length=40)  # department / user id, customer category, or "all"
    company = models.ForeignKey("organisation.Department", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    category = models.ForeignKey("workorders.Category", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    order_type = models.CharField(max_length=20)
    received = models.IntegerField(default=0)
    assessed = models.IntegerField(default=0)
    at_fault = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    visited = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    repeat = models.IntegerField(default=0)
    first_time = models.IntegerField(default=0)
    escalated = models.IntegerField(default=0)
    score_sum = models.FloatField(default=0.0)
    handling_count = models.IntegerField(default=0)
    handling_sum = models.FloatField(default=0.0)
    handling_min = models.FloatField(null=True)
    handling_max = models.FloatField(null=True)

    class Meta:
        indexes = [models.Index(fields=["level", "order_type", "day"], name="rollup_level_type_day")]


class HandlingHistogram(models.Model):
    """Assessed orders per handling-time bucket (``bucket`` = floor(hours / 0.5),
    capped) for one day and unit: additive, so a period's p90 comes from the
    summed buckets (within one bucket width, clamped to the period's min/max)."""

    day = models.DateField()
    level = models.CharField(max_length=20, choices=RollupLevel.choices)
    unit = models.CharField(max_length=40)
    company = models.ForeignKey("organisation.Department", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    order_type = models.CharField(max_length=20)
    bucket = models.IntegerField()
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["level", "order_type", "day"], name="histogram_level_type_day")]


class CustomerRollup(models.Model):
    """Customers created per local day, station and customer category (the
    万户 denominators: customers created before a period's end)."""

    day = models.DateField()
    station = models.ForeignKey("organisation.Department", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    category = models.CharField(max_length=20, blank=True)
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="customer_rollup_day")]


class RollupDirtyDay(models.Model):
    """A local day whose rollup must be recomputed (marked in the same
    transaction as the change; the refresh deletes the rows it handles)."""

    day = models.DateField(primary_key=True)
    marked_at = models.DateTimeField()


class RollupState(models.Model):
    """One row: when the rollups were last refreshed and how far the work-order
    event log has been read (changes made by other apps' services are found
    through their events)."""

    refreshed_at = models.DateTimeField(null=True)
    event_watermark = models.BigIntegerField(null=True)
    last_duration_ms = models.IntegerField(default=0)
    last_days = models.IntegerField(default=0)
