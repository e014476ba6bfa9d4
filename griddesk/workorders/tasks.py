"""django-q2 entry points of the order clock (referred to by dotted path when
queued: ``clock_services.RECOMPUTE_TASK`` / ``RULES_RECOMPUTE_TASK``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from . import clock_services


def recompute_provisional_deadlines(
    first: str | None = None, last: str | None = None, actor_id: int | None = None, reason: str = ""
) -> dict[str, Any]:
    """Recompute open orders' deadlines after a calendar change. Idempotent."""
    return clock_services.deadlines_recompute(
        first=date.fromisoformat(first) if first else None,
        last=date.fromisoformat(last) if last else None,
        actor_id=actor_id,
        reason=reason,
    )


def recompute_after_rule_change(
    order_types: list[str] | None = None, actor_id: int | None = None, reason: str = ""
) -> dict[str, Any]:
    """Recompute open orders' deadlines and stage limits after an SLA policy,
    business-hours or area edit (only orders whose deadline moves are written)."""
    return clock_services.deadlines_recompute(all_rules=True, order_types=order_types, actor_id=actor_id, reason=reason)
