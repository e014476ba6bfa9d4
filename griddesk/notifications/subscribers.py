"""Notices about what happened to an order: this app's subscriptions to the
core's domain events (``griddesk.workorders.domain_events``), registered in
``apps.NotificationsConfig.ready``. All run on commit: a change that rolled
back tells no one.

Who is told (never the person who did it):

- ``work_order.dispatch`` → lead handlers and managers of the lead departments;
- ``work_order.assign_station`` → the staff of each newly tasked station;
- ``work_order.return_report`` → who submitted the returned report;
- ``work_order.confirm_report`` → whom the new return-visit task is for: the
  specialists of its department (rule "specialist"), or its lead handlers and
  specialists (rule "customer center");
- ``work_order.reopen`` and an unsatisfied ``work_order.return_visit`` →
  everyone who acted on the order while it was being handled (accepted,
  tasked a station, returned findings, reported, confirmed or returned a
  report, suspended, resumed);
- ``work_order.create`` of a ``public_opinion`` (舆情防范) order → its
  handlers: the service specialists and the joint monitoring team (lead
  handlers of the marketing, audit, customer service center and party-mass
  departments) whose company's subtree holds the order;
- ``work_order.urge`` → the people working the order (``services.notify_urged``);
- ``work_order.suspend`` → the approving manager (``services.notify_suspended``).

Each notice's dedupe key is ``<kind>:<event id>:<recipient>`` (the event id
is stable per recorded event), so re-running a handler creates nothing new.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from griddesk.engines.workflow import Action, Role
from griddesk.organisation.models import Department
from griddesk.workorders.domain_events import DomainEvent, order_event_name, subscribe
from griddesk.workorders.models import OrderType, Report, WorkOrder, WorkOrderEvent

from . import selectors, services
from .models import Kind

log = logging.getLogger("griddesk.notifications")

#: The actions of the handling stage (the lead department's and the stations').
HANDLING_ACTIONS = frozenset(
    a.value
    for a in (
        Action.ACCEPT, Action.ASSIGN_STATION, Action.STATION_FINDINGS, Action.SUBMIT_REPORT, Action.CONFIRM_REPORT,
        Action.RETURN_REPORT, Action.SUSPEND, Action.RESUME,
    )
)


# ------------------------------------------------------------------ words


def local_time(dt: Any) -> str:
    """An event time as people read it: business time (Asia/Shanghai), to the minute."""
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else ""


def person(user_id: int | None) -> str:
    """A person by their full name (the username only when no name is recorded)."""
    if user_id is None:
        return _("the system")
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return _("the system")
    return (user.get_full_name() or "").strip() or user.get_username()


def state_label(state: str) -> str:
    return services._state_label(state)


def department_names(codes: Iterable[str]) -> str:
    codes = list(codes)
    names = dict(Department.objects.filter(code__in=codes).values_list("code", "name"))
    return "、".join(names.get(c, c) for c in codes)


def render_event(kind: str, event: DomainEvent, order: WorkOrder, **extra: Any) -> tuple[str, str]:
    """Title and body of an event notice, in the site language: states,
    departments and people by their names, the event time in business time."""
    with translation.override(settings.LANGUAGE_CODE):
        words = {
            "number": order.number,
            "actor": person(event.actor_id),
            "at": local_time(event.occurred_at),
            "from": state_label(event.from_state),
            "to": state_label(event.to_state),
            "deadline": local_time(order.deadline_at) or _("none"),
            "note": event.note.strip() or _("no note"),
            **extra,
        }
        if kind == Kind.DISPATCHED:
            return (
                _("Work order %(number)s was dispatched to %(departments)s") % words,
                _("%(actor)s dispatched it at %(at)s (%(from)s → %(to)s). Handling deadline %(deadline)s.") % words,
            )
        if kind == Kind.STATION_TASK:
            return (
                _("Work order %(number)s: an on-site task for %(station)s") % words,
                _("%(actor)s of %(department)s asked for on-site findings at %(at)s: %(note)s. "
                  "The order is “%(to)s”; handling deadline %(deadline)s.") % words,
            )
        if kind == Kind.REPORT_RETURNED:
            return (
                _("Work order %(number)s: your report was returned") % words,
                _("%(actor)s returned the report at %(at)s (%(from)s → %(to)s): %(note)s") % words,
            )
        if kind == Kind.VISIT_ASSIGNED:
            return (
                _("Work order %(number)s: a return visit for %(department)s") % words,
                _("%(actor)s confirmed the report at %(at)s (%(from)s → %(to)s). Visit the customer by %(due)s.") % words,
            )
        if kind == Kind.REOPENED:
            return (
                _("Work order %(number)s you handled was reopened") % words,
                _("%(actor)s reopened it at %(at)s (%(from)s → %(to)s): %(note)s. New handling deadline %(deadline)s.")
                % words,
            )
        if kind == Kind.OPINION_ORDER:
            return (
                _("New public-opinion prevention order %(number)s") % words,
                _("%(actor)s opened it at %(at)s: %(title)s. The order is “%(to)s”.") % words,
            )
    raise ValueError(kind)


# ------------------------------------------------------------------ handlers


def _notify(kind: str, event: DomainEvent, order: WorkOrder, recipients: Iterable[int], **extra: Any) -> None:
    ids = sorted({uid for uid in recipients if uid != event.actor_id})
    if not ids:
        return
    title, body = render_event(kind, event, order, **extra)
    services.notices_create(
        [
            services.Notice(uid, order.pk, kind, title, body, f"{kind}:{event.id}:{uid}", occurred_at=event.occurred_at)
            for uid in ids
        ]
    )


def _order(event: DomainEvent) -> WorkOrder | None:
    if event.order_id is None:
        return None
    return WorkOrder.objects.select_related("company").filter(pk=event.order_id).first()


def on_dispatched(event: DomainEvent) -> None:
    order = _order(event)
    codes = list(event.data.get("lead_departments") or [])
    if order is None or not codes:
        return
    dept_ids = list(Department.objects.filter(code__in=codes).values_list("pk", flat=True))
    recipients = selectors.staff_of(dept_ids, roles=[Role.LEAD_HANDLER, Role.MANAGER])
    _notify(Kind.DISPATCHED, event, order, recipients, departments=department_names(codes))


def on_station_assigned(event: DomainEvent) -> None:
    order = _order(event)
    if order is None:
        return
    actor_dept = selectors.department_name_of(event.actor_id)
    for station in Department.objects.filter(code__in=list(event.data.get("stations") or [])).order_by("code"):
        _notify(
            Kind.STATION_TASK, event, order, selectors.staff_of([station.pk]), station=station.name,
            department=actor_dept or station.name,
        )


def on_report_returned(event: DomainEvent) -> None:
    order = _order(event)
    if order is None:
        return
    submitter = Report.objects.filter(order=order).order_by("-pk").values_list("submitted_by_id", flat=True).first()
    if submitter is not None:
        _notify(Kind.REPORT_RETURNED, event, order, selectors.active_users([submitter]))


def on_report_confirmed(event: DomainEvent) -> None:
    """The confirmation opened the return-visit task: tell whom it is for."""
    from griddesk.satisfaction.models import Assignee, VisitTask

    order = _order(event)
    if order is None:
        return
    task = (
        VisitTask.objects.select_related("department")
        .filter(order=order, state=VisitTask.TaskState.OPEN).order_by("-round").first()
    )
    if task is None or task.department is None:
        return
    roles = [Role.SERVICE_SPECIALIST] if task.assignee == Assignee.SPECIALIST else [Role.SERVICE_SPECIALIST, Role.LEAD_HANDLER]
    recipients = selectors.staff_of([task.department.pk], roles=roles)
    _notify(Kind.VISIT_ASSIGNED, event, order, recipients, department=task.department.name, due=local_time(task.due_at),
            task_round=task.round)


def on_reopened(event: DomainEvent) -> None:
    if event.action == Action.RETURN_VISIT.value and not event.data.get("reopened"):
        return
    order = _order(event)
    if order is None:
        return
    handlers = (
        WorkOrderEvent.objects.filter(order=order, action__in=HANDLING_ACTIONS, actor__isnull=False)
        .exclude(seq__gte=event.seq or 0)
        .values_list("actor_id", flat=True)
        .distinct()
    )
    _notify(Kind.REOPENED, event, order, selectors.active_users(handlers))


def on_created(event: DomainEvent) -> None:
    # The create event names the type: no query for the other types (intake is a hot path).
    if event.data.get("type", OrderType.PUBLIC_OPINION.value) != OrderType.PUBLIC_OPINION.value:
        return
    order = _order(event)
    if order is None or order.type != OrderType.PUBLIC_OPINION.value:
        return
    _notify(Kind.OPINION_ORDER, event, order, selectors.opinion_order_handlers(order.company.path),
            title=order.title or order.content[:60])


def on_urged(event: DomainEvent) -> None:
    if event.order_number:
        services.notify_urged(event.order_number, event.occurred_at)


def on_suspended(event: DomainEvent) -> None:
    approver = event.data.get("approver_id")
    if approver is None and event.data.get("approver"):
        approver = get_user_model().objects.filter(username=event.data["approver"]).values_list("pk", flat=True).first()
    if approver is not None and event.order_number:
        services.notify_suspended(event.order_number, int(approver), event.occurred_at)


SUBSCRIPTIONS: tuple[tuple[Callable[[DomainEvent], None], tuple[str, ...]], ...] = (
    (on_dispatched, (Action.DISPATCH.value,)),
    (on_station_assigned, (Action.ASSIGN_STATION.value,)),
    (on_report_returned, (Action.RETURN_REPORT.value,)),
    (on_report_confirmed, (Action.CONFIRM_REPORT.value,)),
    (on_reopened, (Action.REOPEN.value, Action.RETURN_VISIT.value)),
    (on_created, ("create",)),
    (on_urged, (Action.URGE.value,)),
    (on_suspended, (Action.SUSPEND.value,)),
)


def register() -> None:
    for handler, actions in SUBSCRIPTIONS:
        subscribe(handler, names=[order_event_name(a) for a in actions], phase="on_commit")
