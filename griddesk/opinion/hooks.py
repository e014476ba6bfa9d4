"""What the core calls into this app. Kept import-free at module level so the
core can import it late without a cycle (opinion depends on work orders)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


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
