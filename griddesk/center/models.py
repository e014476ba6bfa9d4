"""The reply to the 95598 center (回复工单, ADR 0030).

- ``CenterEndpoint``: the center's receiving endpoint — one dedicated webhooks
  ``Subscription`` (no public event types: it only gets the replies);
- ``FieldMapping``: which GridDesk field goes to which field of the center's
  body (rules as data, edited by administrators, audited as ``RuleChange``);
- ``ReplyRule``: the time limit of a reply (until the center acknowledges it)
  and how long before it the warning goes out (one row, audited);
- ``Reply``: one reply of one order (handling result, visit outcome, reopening),
  its outbox delivery and the center's acknowledgement.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import contract

#: Defaults of the reply rule when no row exists (ADR 0030: no source gives a
#: limit for the reply itself; 24 natural hours, warned 4 hours before).
DEFAULT_ACK_LIMIT_MINUTES = 24 * 60
DEFAULT_WARN_MINUTES = 4 * 60


class CenterEndpoint(models.Model):
    """The 95598 center's endpoint (at most one row)."""

    subscription = models.OneToOneField(
        "webhooks.Subscription", verbose_name=_("webhook subscription"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("95598 center endpoint")
        verbose_name_plural = _("95598 center endpoints")

    def __str__(self) -> str:
        return str(self.subscription)


class FieldMapping(models.Model):
    """One field of the reply's ``data``: GridDesk's ``source`` sent as ``target``."""

    source = models.CharField(_("GridDesk field"), max_length=40, unique=True, choices=contract.SOURCE_CHOICES)
    target = models.CharField(
        _("center field name"), max_length=64, unique=True,
        help_text=_("Letters, digits and underscores, starting with a letter (e.g. handler_name)."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    active = models.BooleanField(_("sent"), default=True)

    class Meta:
        verbose_name = _("reply field mapping")
        verbose_name_plural = _("reply field mappings")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.source} → {self.target}"


class ReplyRule(models.Model):
    """The reply's time limit (one row; without a row the defaults apply)."""

    ack_limit_minutes = models.PositiveIntegerField(
        _("acknowledgement limit (minutes)"), default=DEFAULT_ACK_LIMIT_MINUTES,
        help_text=_("Natural minutes from the reply's event until the center must have acknowledged it."),
    )
    warn_minutes = models.PositiveIntegerField(
        _("warn before the limit (minutes)"), default=DEFAULT_WARN_MINUTES,
        help_text=_("An unacknowledged reply this close to its limit warns the responsible staff and administrators."),
    )

    class Meta:
        verbose_name = _("reply time limit")
        verbose_name_plural = _("reply time limits")

    def __str__(self) -> str:
        return f"{self.ack_limit_minutes} min (warn {self.warn_minutes} min before)"


class Reply(models.Model):
    class Kind(models.TextChoices):
        RESULT = "result", _("Handling result")
        VISIT = "visit", _("Return-visit outcome")
        REOPEN = "reopen", pgettext_lazy("center reply kind", "Reopened")

    class AckSource(models.TextChoices):
        RESPONSE = "response", _("In the answer to the delivery")
        API = "api", _("Through the acknowledgement API")

    order = models.ForeignKey(
        "workorders.WorkOrder", verbose_name=_("work order"), on_delete=models.CASCADE, related_name="center_replies"
    )
    kind = models.CharField(_("reply kind"), max_length=10, choices=Kind.choices)
    #: The domain event replied to (stable id): one reply per event.
    event_id = models.UUIDField(_("event id"), unique=True)
    event_type = models.CharField(_("event type"), max_length=64)
    #: The responsible person: who did what is replied (confirmed, visited, reopened).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL,
                              related_name="+")
    occurred_at = models.DateTimeField(_("happened at"))
    due_at = models.DateTimeField(_("acknowledge by"))
    delivery = models.OneToOneField(
        "webhooks.Delivery", verbose_name=_("delivery"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    receipt = models.CharField(_("center receipt"), max_length=100, blank=True)
    ack_source = models.CharField(_("acknowledged"), max_length=10, choices=AckSource.choices, blank=True)
    ack_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("acknowledgement entered by"), null=True,
                               blank=True, on_delete=models.SET_NULL, related_name="+")
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("95598 reply")
        verbose_name_plural = _("95598 replies")
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["order", "occurred_at"], name="center_reply_order"),
            models.Index(fields=["acknowledged_at", "due_at"], name="center_reply_open"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.order_id}"
