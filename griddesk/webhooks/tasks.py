"""django-q2 entry points of the webhooks app (dotted paths in the queue and schedules)."""

from __future__ import annotations

from . import services


def deliver(delivery_id: int) -> str:
    """One row (a scheduled retry, or a task queued before batches)."""
    return services.delivery_attempt(delivery_id=delivery_id)


def deliver_many(delivery_ids: list[int]) -> str:
    """The rows one commit (or the sweeper, or a replay) queued together."""
    counts = services.deliveries_attempt(delivery_ids=delivery_ids)
    return " ".join(f"{k}={v}" for k, v in sorted(counts.items()))


def sweep() -> int:
    return services.sweep()
