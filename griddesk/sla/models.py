"""The administrator-editable layer of the working-day calendar.

``CalendarOverride`` rows beat the official (chinesecalendar) data;
``ConfirmedYear`` rows mark a year without official data as confirmed once its
State Council notice has been entered, so its deadlines stop being provisional.
Every write goes through :mod:`griddesk.sla.services` (audited as RuleChange).
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
