"""django-q2 entry points of the webhooks app (dotted paths in the queue and schedules)."""

from __future__ import annotations

from . import services


def deliver(delivery_id: int) -> str:
    return services.delivery_attempt(delivery_id=delivery_id)


def sweep() -> int:
    return services.sweep()
