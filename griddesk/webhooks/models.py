"""Webhook subscriptions, the outbox (one delivery row per event and
subscriber, written in the transaction of the change) and the attempt log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Subscription(models.Model):
    url = models.CharField(_("endpoint URL"), max_length=500)  # checked by services.clean_url
    #: Public event types (``event_types.EVENT_TYPES``) this endpoint wants.
    events = models.JSONField(_("event types"), default=list)
    active = models.BooleanField(_("active"), default=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    #: ``whsec_`` + base64; shown once when created, never again.
    secret = models.CharField(_("secret"), max_length=100)
    #: After a rotation the old secret still signs (beside the new one) until ``previous_secret_until``.
    previous_secret = models.CharField(_("previous secret"), max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(_("previous secret valid until"), null=True, blank=True)
    include_personal_data = models.BooleanField(_("include personal data"), default=False)
    #: Why it was switched off by GridDesk ("gone": the endpoint answered 410).
    disabled_reason = models.CharField(_("disabled because"), max_length=20, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    """An outbox row: one event for one subscriber, delivered at least once."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        DEAD = "dead", _("Dead (no more attempts)")
        CANCELLED = "cancelled", _("Cancelled (endpoint disabled)")

    subscription = models.ForeignKey(
        Subscription, verbose_name=_("subscription"), on_delete=models.CASCADE, related_name="deliveries"
    )
    #: The domain event's stable id; with the subscription it makes the ``webhook-id``.
    event_id = models.UUIDField(_("event id"))
    event_type = models.CharField(_("event type"), max_length=64)
    order_number = models.CharField(_("work order number"), max_length=32, blank=True)
    #: The JSON body sent, built in the transaction of the change: ``{type, timestamp, data}``.
    payload = models.JSONField(_("payload"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    #: ``attempts`` when the current round began: a replay starts a new round of
    #: the retry schedule (the attempt log keeps counting).
    round_start = models.PositiveIntegerField(_("attempts before this round"), default=0)
    replayed_at = models.DateTimeField(_("replayed at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    #: Set when a task is queued for the next attempt; the sweeper re-queues
    #: a due row whose task was queued long ago and never ran.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    #: A worker holds the row until then (a worker killed mid-delivery lets go when it passes).
    leased_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    last_status = models.PositiveIntegerField(_("last HTTP status"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-pk"]
        constraints = [models.UniqueConstraint(fields=["subscription", "event_id"], name="webhook_delivery_once")]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.order_number} → {self.subscription_id}"

    @property
    def webhook_id(self) -> str:
        """Stable across retries and re-queues: the receiver dedupes on it."""
        return f"msg_{self.event_id.hex}_{self.subscription_id}"


class Attempt(models.Model):
    """One HTTP attempt of a delivery (the delivery log)."""

    class Outcome(models.TextChoices):
        DELIVERED = "delivered", _("Delivered")
        RETRY = "retry", _("Failed, will retry")
        DEAD = "dead", _("Failed, no more attempts")
        GONE = "gone", _("Endpoint gone (410), subscription disabled")

    delivery = models.ForeignKey(Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started at"))
    status = models.PositiveIntegerField(_("HTTP status"), null=True, blank=True)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), default=0)
    response_excerpt = models.CharField(_("response excerpt"), max_length=500, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    outcome = models.CharField(_("attempt outcome"), max_length=12, choices=Outcome.choices)

    class Meta:
        verbose_name = _("webhook delivery attempt")
        verbose_name_plural = _("webhook delivery attempts")
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"#{self.number}"
