"""Notices about work orders (deadline warnings, overdue, escalation, urging),
their deliveries through pluggable senders, and the editable warning thresholds."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Kind(models.TextChoices):
    WARNING = "warning", _("Deadline warning")
    OVERDUE = "overdue", _("Overdue")
    ESCALATION = "escalation", _("Escalation")
    URGED = "urged", _("Urged")
    SUSPENDED = "suspended", _("Suspended")
    OPINION_RESULT = "opinion_result", _("Public-opinion result")
    DISPATCHED = "dispatched", _("Dispatched to your department")
    STATION_TASK = "station_task", _("Station task")
    REPORT_RETURNED = "report_returned", _("Report returned")
    VISIT_ASSIGNED = "visit_assigned", _("Return visit assigned")
    REOPENED = "reopened", _("Order reopened")
    OPINION_ORDER = "opinion_order", _("New public-opinion order")
    WEBHOOK_DEAD = "webhook_dead", _("Webhook delivery failed")
    CENTER_REPLY_DUE = "center_reply_due", _("95598 reply not acknowledged")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    order = models.ForeignKey(
        "workorders.WorkOrder", verbose_name=_("work order"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    #: When what the notice tells happened (the domain event's time); null on
    #: notices of a moment rather than an event (deadline warnings, digests).
    occurred_at = models.DateTimeField(_("happened at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Makes each notice exist once, however often (and on however many servers)
    # the watcher runs: inserts use ON CONFLICT DO NOTHING on this column.
    dedupe_key = models.CharField(max_length=200, unique=True)
    # Which insert created the row: lets a run find exactly the notices it
    # created (and deliver only those) after an ON CONFLICT DO NOTHING insert.
    run_token = models.CharField(max_length=32, blank=True, editable=False)
    # A burst (services.DigestRule): past the threshold, a notice is folded into
    # the digest notice of its recipient, kind and window — kept (it is what
    # makes it exist once) but neither listed in the inbox nor delivered.
    digest = models.ForeignKey(
        "self", verbose_name=_("digest"), null=True, blank=True, on_delete=models.CASCADE, related_name="items"
    )
    #: On a digest notice: how many notices it stands for (0 on ordinary ones).
    digest_count = models.PositiveIntegerField(_("notices in digest"), default=0)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "read_at", "created_at"], name="notif_inbox"),
            models.Index(fields=["recipient", "kind", "created_at"], name="notif_burst"),
        ]

    def __str__(self) -> str:
        return self.title


class Channel(models.TextChoices):
    INBOX = "inbox", _("In-app inbox")
    LOG = "log", _("Log")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class Delivery(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", pgettext_lazy("delivery", "Failed")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [models.UniqueConstraint(fields=["notification", "channel"], name="delivery_unique_channel")]
        indexes = [models.Index(fields=["state"], name="delivery_state")]

    def __str__(self) -> str:
        return f"{self.notification_id} → {self.channel} ({self.state})"


class WatchThreshold(models.Model):
    """When to warn: once ``fraction_used`` of the time is gone, or ``hours_left``
    (natural) or ``working_hours_left`` (business hours on working days) remain."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=[(Kind.WARNING.value, Kind.WARNING.label)], default=Kind.WARNING)
    fraction_used = models.DecimalField(
        _("fraction of time used"), max_digits=4, decimal_places=3, null=True, blank=True,
        help_text=_("E.g. 0.5 = warn once half of the time is used."),
    )
    hours_left = models.DecimalField(
        _("hours left"), max_digits=6, decimal_places=2, null=True, blank=True,
        help_text=_("E.g. 4 = warn when 4 hours or less remain."),
    )
    working_hours_left = models.DecimalField(
        _("working hours left"), max_digits=6, decimal_places=2, null=True, blank=True,
        help_text=_("E.g. 4 = warn when 4 business hours on working days or less remain."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("watch threshold")
        verbose_name_plural = _("watch thresholds")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fraction_used__isnull=False) | Q(hours_left__isnull=False) | Q(working_hours_left__isnull=False),
                name="threshold_has_a_limit",
            ),
            models.CheckConstraint(
                condition=Q(fraction_used__isnull=True) | (Q(fraction_used__gt=0) & Q(fraction_used__lte=1)),
                name="threshold_fraction_range",
            ),
        ]

    def __str__(self) -> str:
        return self.code
