"""Reads of the webhooks app."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet

from .models import Attempt, Delivery, Subscription


def subscriptions() -> QuerySet[Subscription]:
    return Subscription.objects.order_by("pk")


_CACHE = "_griddesk_webhook_subscriptions"


def active_subscriptions_for(event_type: str) -> list[Subscription]:
    """The active subscriptions that want ``event_type`` (few rows: filtered
    in Python, so SQLite and PostgreSQL behave alike). Read once per
    transaction (a bulk intake of 1,000 orders asks once, not 1,000 times);
    the services forget them when they change a subscription."""
    blocks = getattr(connection, "atomic_blocks", None)
    outer = blocks[0] if blocks else None
    cached = getattr(connection, _CACHE, None)
    if outer is not None and cached is not None and cached[0] is outer:
        subs = cached[1]
    else:
        subs = list(Subscription.objects.filter(active=True).order_by("pk"))
        setattr(connection, _CACHE, (outer, subs) if outer is not None else None)
    return [s for s in subs if event_type in (s.events or [])]


def forget_subscriptions() -> None:
    setattr(connection, _CACHE, None)


def deliveries(subscription_id: int) -> QuerySet[Delivery]:
    return Delivery.objects.filter(subscription_id=subscription_id).prefetch_related("attempt_log").order_by("-pk")


def attempts(delivery_id: int) -> QuerySet[Attempt]:
    return Attempt.objects.filter(delivery_id=delivery_id).order_by("number")
