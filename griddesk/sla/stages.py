"""The stage clock: the current stage's own time limit stored on the order.

Besides the handling deadline, the paper sets limits per stage: the 95598
station forwards within 2 working hours, the specialist grades within 2
working hours, a fault repair's crew arrives within 45 / 90 / 120 natural
minutes (urban / rural / remote). One slot per order (``WorkOrder.stage``,
``stage_policy``, ``stage_started_at``, ``stage_deadline_at``,
``stage_provisional``, ``stage_overdue``) holds the stage that is running:

- intake starts ``forward`` (or, for fault repair with a matching arrival
  policy, ``arrival``) at the receipt time;
- ``forward`` starts ``grade`` at the forwarding time (the specialist's 2 hours
  count from when the order reaches them);
- ``grade`` stops the stage clock;
- ``arrival`` runs until the station reports findings (or a report is
  submitted): there is no "arrived" action (``engines.sla.ARRIVAL_STOP_ACTIONS``).

The flow itself is pure (``engines.sla.stage_at_intake`` / ``stage_after``);
this module applies it to an order object (no save: the caller's write saves
the returned fields). The watcher (``notifications.tasks``) warns and marks
``stage_overdue``; a calendar or policy change recomputes running stages
(:func:`griddesk.sla.services.stage_deadlines_recompute`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from griddesk.engines import sla

if TYPE_CHECKING:
    from griddesk.workorders.models import WorkOrder

    from .policies import SlaRules

#: The order fields this module writes.
STAGE_FIELDS = (
    "stage", "stage_policy", "stage_started_at", "stage_deadline_at", "stage_provisional", "stage_overdue", "stage_extension",
)


def stage_policy(order: WorkOrder, rules: SlaRules, stage: str) -> sla.Policy | None:
    return rules.policy(rules.facts(order, stage), stage)


def _stage_stop(order: WorkOrder) -> list[str]:
    """No stage clock: clear every stage field on ``order``; returns their names."""
    order.stage, order.stage_policy, order.stage_started_at = "", "", None
    order.stage_deadline_at, order.stage_provisional, order.stage_overdue = None, False, False
    order.stage_extension = 0
    return list(STAGE_FIELDS)


def stage_start(order: WorkOrder, rules: SlaRules, stage: str, at: datetime) -> list[str]:
    """Start ``stage``'s clock at ``at`` ("" or no matching policy: no stage
    clock). Sets the fields on ``order``; returns their names."""
    policy = stage_policy(order, rules, stage) if stage else None
    if policy is None:
        return _stage_stop(order)
    dl = rules.deadline(policy, at)
    order.stage, order.stage_policy, order.stage_started_at = stage, policy.code, at
    order.stage_deadline_at, order.stage_provisional = dl.due_at, dl.provisional
    order.stage_overdue = False
    order.stage_extension = 0
    return list(STAGE_FIELDS)


def stage_on_intake(order: WorkOrder, rules: SlaRules) -> None:
    """Intake: ``forward`` from receipt, or fault repair's ``arrival``."""
    has_arrival = False
    if order.type in sla.ARRIVAL_ORDER_TYPES:
        has_arrival = stage_policy(order, rules, "arrival") is not None
    stage_start(order, rules, sla.stage_at_intake(order.type, has_arrival), order.received_at)


def stage_on_action(order: WorkOrder, action: str, at: datetime) -> list[str]:
    """The hook of every state change (``workorders.services._transition``):
    moves the stage clock on; returns the fields it changed (none, usually).
    Loads the policies only when a new stage starts."""
    nxt = sla.stage_after(order.stage or "", action)
    if nxt == sla.KEEP:
        return []
    if nxt == "":
        if not order.stage:
            return []
        return _stage_stop(order)
    from . import policies

    return stage_start(order, policies.load(), nxt, at)


def stage_on_resume(order: WorkOrder, rules: SlaRules, suspended_at: datetime, now: datetime) -> dict[str, object]:
    """Resuming a suspended order: the running stage (a fault repair's
    ``arrival``: the customer was not home) gets the suspended time back, in
    its policy's unit, kept in ``stage_extension`` so a later recompute keeps
    it. Sets the fields on ``order``; returns what the resume event records
    (empty when no stage clock runs)."""
    if not order.stage or order.stage_started_at is None:
        return {}
    policy = stage_policy(order, rules, order.stage)
    if policy is None:
        return {}
    gained = sla.suspension_extension(policy.kind, suspended_at, now, rules.calendar, hours=rules.hours)
    before = order.stage_deadline_at
    order.stage_extension += gained
    dl = rules.deadline(policy, order.stage_started_at, order.stage_extension)
    order.stage_deadline_at, order.stage_provisional = dl.due_at, dl.provisional
    order.stage_overdue = dl.due_at < now
    return {
        "stage": order.stage,
        "stage_extension": gained,
        "stage_deadline_before": before.isoformat() if before else None,
        "stage_deadline_at": dl.due_at.isoformat(),
    }


def stage_event_data(order: WorkOrder) -> dict[str, object]:
    """What the event of the action that moved the stage clock records."""
    return {
        "stage": order.stage,
        "stage_policy": order.stage_policy,
        "stage_deadline_at": order.stage_deadline_at.isoformat() if order.stage_deadline_at else None,
    }
