"""The administrator-editable layer of the working-day calendar.

``CalendarOverride`` rows beat the official (chinesecalendar) data;
``ConfirmedYear`` rows mark a year without official data as confirmed once its
State Council notice has been entered, so its deadlines stop being provisional.
Every write goes through :mod:`griddesk.sla.services` (audited as RuleChange,
``common.rule_audit``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CalendarOverride(models.Model):
    day = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    source_notice = models.CharField(
        _("source notice"),
        max_length=200,
        help_text=_("e.g. 国务院办公厅关于2027年部分节假日安排的通知"),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Part of the calendar cache fingerprint (see selectors.effective_calendar).
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {'workday' if self.is_workday else 'holiday'}"


class ConfirmedYear(models.Model):
    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    notice = models.CharField(_("notice"), max_length=200)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), default=timezone.now)

    class Meta:
        verbose_name = _("confirmed calendar year")
        verbose_name_plural = _("confirmed calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


# ------------------------------------------------------------------ SLA policies


class Stage(models.TextChoices):
    HANDLING = "handling", _("Handling (receipt to report confirmed)")
    FORWARD = "forward", _("Forwarding by the 95598 station")
    GRADE = "grade", _("Grading by the service specialist")
    ARRIVAL = "arrival", _("Fault repair: arrival on site")


class RuleKind(models.TextChoices):
    WORKING_DAYS = "working_days", _("Working days")
    WORKING_HOURS = "working_hours", _("Working hours")
    NATURAL = "natural", _("Natural time")


class AreaType(models.TextChoices):
    URBAN = "urban", _("Urban")
    RURAL = "rural", _("Rural")
    REMOTE = "remote", _("Remote")


class SlaPolicy(models.Model):
    """One time limit, matched by order type, grade, complexity, channel and
    area type (empty list = any). The most specific matching policy of a stage
    wins (docs/decisions/0010-sla-policy-matching.md); when no handling policy
    matches, the time-limit rule by complexity applies (2 / 4 working days)."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    kind = models.CharField(_("rule kind"), max_length=20, choices=RuleKind.choices)
    amount = models.PositiveIntegerField(
        _("amount"), help_text=_("Working days for the working-days kind; minutes for working hours and natural time.")
    )
    order_types = models.JSONField(_("order types"), default=list, blank=True)
    grades = models.JSONField(_("grades"), default=list, blank=True)
    complexities = models.JSONField(_("complexities"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    area_types = models.JSONField(_("area types"), default=list, blank=True)
    priority = models.PositiveIntegerField(_("priority"), default=100, help_text=_("Breaks ties between equally specific policies; lower wins."))
    description = models.CharField(_("description"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["stage", "priority", "code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.stage}: {self.amount} {self.kind})"


class BusinessHours(models.Model):
    """Daily business hours counted by working-hours policies (one row)."""

    start = models.TimeField(_("opens"), default="08:30")
    end = models.TimeField(_("closes"), default="17:30")

    class Meta:
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


class DepartmentArea(models.Model):
    """The area type (urban / rural / remote) of a department and its subtree,
    for fault-repair arrival limits. The nearest department up the tree from the
    customer's supply station (else the order's company) with a row decides;
    without any, an order is urban."""

    department = models.OneToOneField(
        "organisation.Department", verbose_name=_("department"), on_delete=models.CASCADE, related_name="sla_area"
    )
    area_type = models.CharField(_("area type"), max_length=10, choices=AreaType.choices)

    class Meta:
        verbose_name = _("department area type")
        verbose_name_plural = _("department area types")

    def __str__(self) -> str:
        return f"{self.department_id}: {self.area_type}"
