"""Reads of the webhooks app."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Attempt, Delivery, Subscription


def subscriptions() -> QuerySet[Subscription]:
    return Subscription.objects.order_by("pk")


def active_subscriptions_for(event_type: str) -> list[Subscription]:
    """The active subscriptions that want ``event_type`` (few rows: filtered
    in Python, so SQLite and PostgreSQL behave alike)."""
    return [s for s in Subscription.objects.filter(active=True).order_by("pk") if event_type in (s.events or [])]


def deliveries(subscription_id: int) -> QuerySet[Delivery]:
    return Delivery.objects.filter(subscription_id=subscription_id).prefetch_related("attempt_log").order_by("-pk")


def attempts(delivery_id: int) -> QuerySet[Attempt]:
    return Attempt.objects.filter(delivery_id=delivery_id).order_by("number")
