"""What this app does when the core tells it something (its domain-event
subscriptions, registered in ``apps.OpinionConfig.ready``). Kept import-free
at module level: it is imported while the app registry loads."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from griddesk.workorders.domain_events import DomainEvent

log = logging.getLogger(__name__)


def on_report_confirmed(event: DomainEvent) -> None:
    """``work_order.confirm_report`` (on commit)."""
    if event.order_id is not None:
        order_result_ready(event.order_id)


def order_result_ready(order_id: int) -> None:
    """A work order's report was confirmed (fed back to the specialist): if it
    is a public-opinion story's order, the story records the result. Runs
    after the core's commit; a failure is logged, never raised into the core
    (the scheduled catch-up records it later)."""
    from .services import story_order_result

    try:
        story_order_result(order=order_id)
    except Exception:  # noqa: BLE001 — the work order is committed; never fail its request
        log.exception("public-opinion result for work order %s not recorded (the catch-up will retry)", order_id)
