"""Writes for return visits (回访): tasks, attempts and outcomes.

A task is opened inside ``work_order_confirm_report`` (the order enters
``fed_back``) and closed inside ``work_order_return_visit`` — the core action that
records the ``ReturnVisit`` row, writes the event and reopens the order when the
customer is unsatisfied. Recording an outcome here goes *through* that core
action, so the event log always has it, whichever entry point was used.

Lock order is always work order → task (the core locks the order first), so
the two entry points cannot deadlock.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from griddesk.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from griddesk.engines import workdays
from griddesk.engines.workflow import Role
from griddesk.organisation.access import Actor
from griddesk.organisation.models import Department, DepartmentType
from griddesk.workorders import rules
from griddesk.workorders.models import ReturnVisit, WorkOrder

from .models import Assignee, VisitAttempt, VisitRule, VisitTask

_ASSIGNEE_TYPES = {
    Assignee.SPECIALIST: DepartmentType.MARKETING,
    Assignee.CUSTOMER_CENTER: DepartmentType.CUSTOMER_CENTER,
}
_REACHED_OUTCOMES = {ReturnVisit.Outcome.SATISFIED, ReturnVisit.Outcome.BASICALLY, ReturnVisit.Outcome.UNSATISFIED}


def visit_rule() -> VisitRule:
    """The active rule, or the defaults when none is configured."""
    return VisitRule.objects.filter(active=True).order_by("pk").first() or VisitRule()


def _nearest_of_type(company: Department, dept_type: str) -> Department | None:
    ids = [int(p) for p in company.path.strip("/").split("/") if p]
    found = {d.parent_id: d for d in Department.objects.filter(parent_id__in=ids, type=dept_type, active=True).order_by("-pk")}
    for pk in reversed(ids):
        if pk in found:
            return found[pk]
    return None


# ------------------------------------------------------------------ hooks called by the core


def visit_task_open(*, order: WorkOrder) -> VisitTask:
    """Open the return-visit task for an order that was just fed back.

    Runs inside the core's transaction with the order row locked; idempotent
    (an already open task is returned)."""
    existing = VisitTask.objects.filter(order=order, state=VisitTask.TaskState.OPEN).first()
    if existing is not None:
        return existing
    rule = visit_rule()
    now = timezone.now()
    deadline = workdays.working_day_deadline(now, rule.due_working_days, rules.calendar())
    last = VisitTask.objects.filter(order=order).aggregate(m=Max("round"))["m"] or 0
    return VisitTask.objects.create(
        order=order,
        round=last + 1,
        assignee=rule.assignee,
        department=_nearest_of_type(order.company, _ASSIGNEE_TYPES[Assignee(rule.assignee)]),
        due_at=deadline.due_at,
        due_provisional=deadline.provisional,
        max_attempts=rule.max_attempts,
    )


def visit_task_close(*, order: WorkOrder, visit: ReturnVisit, actor: Actor) -> VisitTask:
    """Close the order's open task with the visit the core just recorded.

    Runs inside ``work_order_return_visit`` (order locked). An order fed back
    before tasks existed gets a task created and closed at once, so the rates
    and the list stay complete."""
    task = VisitTask.objects.select_for_update().filter(order=order, state=VisitTask.TaskState.OPEN).first()
    if task is None:
        task = visit_task_open(order=order)
    task.state = VisitTask.TaskState.DONE
    task.outcome = visit.outcome
    task.solved = visit.solved
    task.customer_words = visit.customer_words
    task.visit = visit
    task.closed_by = actor.user if actor.user.pk else None  # type: ignore[assignment]
    task.closed_at = timezone.now()
    task.save(update_fields=["state", "outcome", "solved", "customer_words", "visit", "closed_by", "closed_at"])
    return task


# ------------------------------------------------------------------ access


def may_record(actor: Actor, task: VisitTask) -> bool:
    """Administrators; service specialists of the order's company tree; staff
    of the department the task is assigned to (e.g. the customer service center)."""
    if actor.role == Role.ADMIN:
        return True
    if actor.department is None:
        return False
    if actor.role == Role.SERVICE_SPECIALIST:
        return actor.company is not None and task.order.company.path.startswith(actor.company.path)
    if actor.role == Role.LEAD_HANDLER:
        return task.department_id is not None and task.department_id == actor.department.pk
    return False


def _core_actor(actor: Actor) -> Actor:
    """The actor the core ``return_visit`` action runs as.

    The core grants ``return_visit`` to service specialists only; a task
    assigned to the customer service center delegates that right to its staff
    for this one order (checked by :func:`may_record`). The event keeps the real
    user. See docs/decisions (return-visit delegation)."""
    if actor.role in (Role.ADMIN, Role.SERVICE_SPECIALIST):
        return actor
    return Actor(user=actor.user, role=Role.SERVICE_SPECIALIST, department=actor.department)


def _lock_task(task_id: int, actor: Actor) -> VisitTask:
    """Lock the order, then the task (the core's order)."""
    head = VisitTask.objects.filter(pk=task_id).values("order_id").first()
    if head is None:
        raise NotFound(_("Return-visit task %(id)s was not found.") % {"id": task_id})
    WorkOrder.objects.select_for_update().filter(pk=head["order_id"]).values_list("pk", flat=True).first()
    task = VisitTask.objects.select_for_update(of=("self",)).select_related("order__company").get(pk=task_id)
    if not may_record(actor, task):
        from .selectors import visit_tasks_visible_to

        if not visit_tasks_visible_to(actor).filter(pk=task.pk).exists():
            raise NotFound(_("Return-visit task %(id)s was not found.") % {"id": task_id})
        raise Forbidden(_("This return visit is not assigned to you."), code="not_assignee")
    return task


def _check_method(method: str) -> None:
    if method not in ReturnVisit.Method.values:
        raise InvalidInput(_("Choose phone, SMS, WeChat or on site."), code="invalid_choice", field="method")


# ------------------------------------------------------------------ attempts and outcomes


@transaction.atomic
def visit_attempt_record(
    *, task_id: int, actor: Actor, method: str, reached: bool, note: str = "", client_key: str = ""
) -> tuple[VisitTask, VisitAttempt, bool]:
    """Log one contact attempt. Returns ``(task, attempt, created)``.

    A retry with the same ``client_key`` returns the first attempt unchanged.
    When the number of failed attempts reaches the rule's limit the visit is
    closed as *unreachable* through the core action and the order proceeds."""
    _check_method(method)
    task = _lock_task(task_id, actor)
    if client_key:
        earlier = task.attempts.filter(client_key=client_key).first()
        if earlier is not None:
            return task, earlier, False
    if task.state != VisitTask.TaskState.OPEN:
        raise Conflict(_("This return visit is already closed."), code="visit_closed", outcome=task.outcome)
    attempt = VisitAttempt.objects.create(
        task=task, method=method, reached=reached, note=note, client_key=client_key,
        by=actor.user if actor.user.pk else None, by_name=actor.user.get_username(), at=timezone.now(),
    )
    if not reached:
        task.failed_attempts += 1
        task.save(update_fields=["failed_attempts"])
        if task.failed_attempts >= task.max_attempts:
            _record(task, actor, method=method, outcome=ReturnVisit.Outcome.UNREACHABLE,
                    customer_words="", solved=None)
            task.refresh_from_db()
    return task, attempt, True


@transaction.atomic
def visit_outcome_record(
    *, task_id: int, actor: Actor, method: str, outcome: str, customer_words: str = "", solved: bool | None = None
) -> tuple[VisitTask, bool]:
    """Record the visit's outcome (through the core ``return_visit`` action).

    Returns ``(task, changed)``: repeating the same outcome on a closed task is
    a no-op (safe retry); a different one is a 409."""
    _check_method(method)
    if outcome not in ReturnVisit.Outcome.values:
        raise InvalidInput(_("Unknown outcome."), code="invalid_choice", field="outcome")
    task = _lock_task(task_id, actor)
    if task.state != VisitTask.TaskState.OPEN:
        if task.outcome == outcome:
            return task, False
        raise Conflict(_("This return visit is already closed."), code="visit_closed", outcome=task.outcome)
    if outcome == ReturnVisit.Outcome.UNREACHABLE and task.failed_attempts < task.max_attempts:
        raise InvalidInput(
            _("“Unreachable” needs %(n)d failed attempts; %(done)d logged so far.")
            % {"n": task.max_attempts, "done": task.failed_attempts},
            code="too_few_attempts",
            field="outcome",
        )
    if outcome == ReturnVisit.Outcome.UNSATISFIED and not customer_words.strip():
        raise InvalidInput(
            _("Write down the customer's own words: the order goes back for a second handling with them."),
            code="required",
            field="customer_words",
        )
    if outcome in _REACHED_OUTCOMES:
        last = task.attempts.order_by("-at", "-pk").first()
        if last is None or not last.reached:
            # The successful contact is an attempt too.
            VisitAttempt.objects.create(
                task=task, method=method, reached=True, note="",
                by=actor.user if actor.user.pk else None, by_name=actor.user.get_username(), at=timezone.now(),
            )
    _record(task, actor, method=method, outcome=outcome, customer_words=customer_words, solved=solved)
    task.refresh_from_db()
    return task, True


def _record(task: VisitTask, actor: Actor, **data: Any) -> None:
    from griddesk.workorders import services as core

    core.work_order_return_visit(order=task.order.number, actor=_core_actor(actor), **data)


# ------------------------------------------------------------------ rule editing (audited)


@transaction.atomic
def visit_rule_save(*, actor: Any, rule: VisitRule, created: bool) -> VisitRule:
    from griddesk.common.rule_audit import rule_save

    if rule.due_working_days < 1 or rule.due_working_days > 30:
        raise InvalidInput(_("Between 1 and 30 working days."), code="out_of_range", field="due_working_days")
    if rule.max_attempts < 1 or rule.max_attempts > 10:
        raise InvalidInput(_("Between 1 and 10 attempts."), code="out_of_range", field="max_attempts")
    try:
        with transaction.atomic():
            return rule_save(actor=actor, instance=rule, created=created)
    except IntegrityError:
        raise InvalidInput(_("A rule with this code exists."), code="duplicate", field="code") from None
