"""Shapes shared by the API and the pages: a visit task as a dict, with the
customer's contact details masked for roles that do not need them (unmasked
views logged)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from griddesk.customers import masking
from griddesk.customers.services import pii_access_log
from griddesk.engines.workflow import CONFIDENTIAL_PII_ROLES, PII_ROLES
from griddesk.organisation.access import Actor

from .models import VisitTask


def _unmasked(actor: Actor, task: VisitTask) -> bool:
    roles = CONFIDENTIAL_PII_ROLES if task.order.anonymous else PII_ROLES
    return actor.role in roles


def task_dict(actor: Actor, task: VisitTask, *, attempts: bool = False) -> dict[str, Any]:
    order = task.order
    c = order.customer
    customer = None
    if c is not None:
        if _unmasked(actor, task):
            customer = {"account_no": c.account_no, "name": c.name, "phone": c.phone, "masked": False}
        else:
            customer = {
                "account_no": c.account_no, "name": masking.mask_name(c.name), "phone": masking.mask_phone(c.phone), "masked": True,
            }
    out: dict[str, Any] = {
        "id": task.pk,
        "order": order.number,
        "order_state": order.state,
        "category": order.category.code if order.category_id and order.category else None,
        "channel": order.channel,
        "round": task.round,
        "state": task.state,
        "assignee": task.assignee,
        "department": task.department.code if task.department_id and task.department else None,
        "due_at": task.due_at.isoformat(),
        "due_provisional": task.due_provisional,
        "overdue": bool(task.state == VisitTask.TaskState.OPEN and task.due_at < timezone.now()),
        "failed_attempts": task.failed_attempts,
        "max_attempts": task.max_attempts,
        "outcome": task.outcome or None,
        "solved": task.solved,
        "customer_words": task.customer_words,
        "closed_at": task.closed_at.isoformat() if task.closed_at else None,
        "customer": customer,
    }
    if attempts:
        out["attempts"] = [
            {"method": a.method, "reached": a.reached, "note": a.note, "by": a.by_name, "at": a.at.isoformat()}
            for a in task.attempts.all()
        ]
    return out


def log_unmasked(user: Any, actor: Actor, tasks: list[VisitTask], via: str) -> None:
    entries = [(t.order.customer, t.order.number) for t in tasks if t.order.customer is not None and _unmasked(actor, t)]
    if entries and getattr(user, "pk", None):
        pii_access_log(user=user, entries=entries, via=via, fields="name,phone")  # type: ignore[arg-type]
