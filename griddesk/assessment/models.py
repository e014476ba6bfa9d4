"""Assessment (考核): scoring rules as versioned data, one computed assessment per
order, manager adjustments, and the archive's search entries and corrections."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
