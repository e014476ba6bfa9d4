"""Former django-q2 entry points, kept only for tasks queued under these dotted
paths before the order clock moved to ``griddesk.workorders`` (its tasks are
``griddesk.workorders.tasks``; a schedule naming an old path is rewritten by
the migration ``workorders.0014_clock_task_paths``). A queued task's payload is
a signed pickle in the broker, which no migration rewrites, so these remain
callable: each announces the change again (``sla.changes``), and the order
clock's listener queues its own task. Remove once no worker can hold one."""

from __future__ import annotations

from datetime import date

from . import changes


def recompute_provisional_deadlines(
    first: str | None = None, last: str | None = None, actor_id: int | None = None, reason: str = ""
) -> None:
    changes.announce(
        changes.CalendarChange(
            first=date.fromisoformat(first) if first else None,
            last=date.fromisoformat(last) if last else None,
            actor_id=actor_id,
            reason=reason,
        )
    )


def recompute_after_rule_change(order_types: list[str] | None = None, actor_id: int | None = None, reason: str = "") -> None:
    changes.announce(changes.PolicyChange(order_types=order_types, actor_id=actor_id, reason=reason))
