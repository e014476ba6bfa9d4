"""Reads: which orders a user may see, what they may do with one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from griddesk.engines import workflow
from griddesk.engines.workflow import Action, Role, State
from griddesk.organisation.access import Actor
from griddesk.organisation.models import Department, DepartmentType

from .models import LeadAssignment, Report, StationTask, WorkOrder, WorkOrderComment, WorkOrderEvent

_COMPANY_WIDE = frozenset({Role.MANAGER, Role.LEADER, Role.SERVICE_SPECIALIST})


def work_orders_visible_to(actor: Actor) -> QuerySet[WorkOrder]:
    qs = WorkOrder.objects.all()
    if actor.role is None:
        return qs.none()
    if actor.role == Role.ADMIN:
        return qs
    dept = actor.department
    assert dept is not None
    if actor.role in _COMPANY_WIDE and actor.company is not None:
        # A literal id list, not a subquery: PostgreSQL misestimates ``path LIKE
        # '/1/%'`` as one department and then sorts every visible order for a
        # page instead of walking the (deadline_at, id) index (222 ms vs ~2 ms).
        companies = list(Department.objects.filter(path__startswith=actor.company.path).values_list("pk", flat=True))
        return qs.filter(company_id__in=companies)
    # Only the branches that can match: an OR of EXISTS rules out index use and
    # makes the queue's COUNT scan every order (a 95598 agent never leads, a
    # station rarely creates). Each probe is one indexed lookup.
    branches: list[Q | Exists] = []
    if WorkOrder.objects.filter(created_department=dept).exists():
        branches.append(Q(created_department=dept))
    if LeadAssignment.objects.filter(department=dept).exists():
        branches.append(Exists(LeadAssignment.objects.filter(order=OuterRef("pk"), department=dept)))
    if StationTask.objects.filter(station=dept).exists():
        branches.append(Exists(StationTask.objects.filter(order=OuterRef("pk"), station=dept)))
    if not branches:
        return qs.none()
    if len(branches) > 1:
        # An OR of branches cannot use an index: PostgreSQL then walks every
        # order for a page and estimates half of them visible (a lead handler
        # who created a few orders and leads six: 2 s for a search's page, its
        # count by the wrong estimate). Few orders in all: their ids instead.
        ids = _visible_ids(dept)
        if ids is not None:
            return qs.filter(pk__in=ids)
    condition = branches[0]
    for branch in branches[1:]:
        condition = condition | branch
    return qs.filter(condition)


#: A department that sees at most this many orders through several branches sees them as an id list.
VISIBLE_IDS_CAP = 5_000


def _visible_ids(dept: Department) -> list[int] | None:
    """The ids of the orders ``dept`` created, leads or investigates, if there
    are at most ``VISIBLE_IDS_CAP`` (index-only lookups, each stopped at the
    cap); else None."""
    ids: set[int] = set()
    for source in (
        WorkOrder.objects.filter(created_department=dept).values_list("pk", flat=True),
        LeadAssignment.objects.filter(department=dept).values_list("order_id", flat=True),
        StationTask.objects.filter(station=dept).values_list("order_id", flat=True),
    ):
        ids.update(source[: VISIBLE_IDS_CAP + 1])
        if len(ids) > VISIBLE_IDS_CAP:
            return None
    return sorted(ids)


def todo_filter(qs: QuerySet[WorkOrder], actor: Actor) -> QuerySet[WorkOrder]:
    """Orders on which ``actor`` can take a main step now (待我处理): of those
    they see, the ones in a state their role acts on (``workflow.todo_states``);
    a station only its orders with an open task for it."""
    if actor.role is None:
        return qs.none()
    states = [s.value for s in workflow.todo_states(actor.role)]
    if not states:
        return qs.none()
    qs = qs.filter(state__in=states)
    if actor.role == Role.STATION_INVESTIGATOR:
        qs = qs.filter(
            Exists(StationTask.objects.filter(order=OuterRef("pk"), station=actor.department, state=StationTask.TaskState.OPEN))
        )
    elif actor.role == Role.LEAD_HANDLER:
        qs = qs.filter(Exists(LeadAssignment.objects.filter(order=OuterRef("pk"), department=actor.department)))
    elif actor.role == Role.SERVICE_SPECIALIST:
        # The 95598 station forwards what it took in (_in_scope); the specialist the rest.
        qs = qs.exclude(state=State.RECEIVED, created_department__type=DepartmentType.STATION_95598)
    if State.REPORTED.value in states and actor.user.pk:
        from . import rules

        if rules.four_eyes_on_reports():
            # Four eyes (may_act): a report waits for someone other than its submitter.
            submitter = Report.objects.filter(order=OuterRef("pk")).order_by("-pk").values("submitted_by_id")[:1]
            qs = qs.alias(_report_by=Subquery(submitter)).exclude(state=State.REPORTED, _report_by=actor.user.pk)
    return qs


def work_order_list(actor: Actor, *, filters: dict[str, object] | None = None) -> QuerySet[WorkOrder]:
    """Orders by deadline (earliest first, no deadline last), then id — the order
    the (deadline_at, id) index walks, so a page of 1M orders stays cheap. No
    N+1 for list columns. (The web queue adds its open-first ordering.)"""
    qs = work_orders_visible_to(actor).select_related("customer", "category", "company")
    f = filters or {}
    if f.get("state"):
        qs = qs.filter(state__in=str(f["state"]).split(","))
    if f.get("type"):
        qs = qs.filter(type=f["type"])
    if f.get("channel"):
        qs = qs.filter(channel=f["channel"])
    if f.get("grade"):
        qs = qs.filter(grade=f["grade"])
    if f.get("department"):
        qs = qs.filter(Exists(LeadAssignment.objects.filter(order=OuterRef("pk"), department__code=f["department"])))
    if f.get("overdue") is not None:
        now = timezone.now()
        open_states = [s.value for s in workflow.OPEN_STATES]
        if f["overdue"]:
            qs = qs.filter(state__in=open_states, deadline_at__lt=now)
        else:
            qs = qs.exclude(state__in=open_states, deadline_at__lt=now)
    if f.get("received_from"):
        qs = qs.filter(received_at__gte=f["received_from"])
    if f.get("received_to"):
        qs = qs.filter(received_at__lt=f["received_to"])
    if f.get("todo"):
        qs = todo_filter(qs, actor)
    if f.get("q"):
        from .search import search_filter, search_plan

        qs = search_filter(qs, search_plan(actor, str(f["q"])))
    qs = _drilldown_filters(qs, f)
    if f.get("ordering") == "-received":
        return qs.order_by("-received_at", "-id")
    return qs.order_by(F("deadline_at").asc(nulls_last=True), "id")


#: Boolean drill-down filters on the per-order assessment (griddesk.assessment).
_ASSESSMENT_FLAGS = ("on_time", "at_fault", "repeat", "escalated", "first_time", "satisfied")


def _drilldown_filters(qs: QuerySet[WorkOrder], f: dict[str, object]) -> QuerySet[WorkOrder]:
    """Filters used by the assessment scorecards' drill-down links: each KPI's
    numerator is the count of one such query."""
    if f.get("company"):
        qs = qs.filter(company__code=f["company"])
    if f.get("within"):
        root = Department.objects.filter(code=f["within"]).values_list("path", flat=True).first()
        qs = qs.filter(company__path__startswith=root) if root is not None else qs.none()
    if f.get("lead_department"):
        qs = qs.filter(
            Exists(LeadAssignment.objects.filter(order=OuterRef("pk"), primary=True, department__code=f["lead_department"]))
        )
    if f.get("station"):
        qs = qs.filter(customer__station__code=f["station"])
    if f.get("category"):
        code = str(f["category"])
        qs = qs.filter(Q(category__code=code) | Q(category__code__startswith=code + "."))
    if f.get("customer_category"):
        qs = qs.filter(customer__category=f["customer_category"])
    if f.get("valid") is not None:
        excluded = [State.INVALID.value, State.MERGED.value]
        qs = qs.exclude(state__in=excluded) if f["valid"] else qs.filter(state__in=excluded)
    if f.get("numbers"):
        qs = qs.filter(number__in=[n.strip() for n in str(f["numbers"]).split(",") if n.strip()])
    if f.get("assessed") is not None:
        qs = qs.filter(assessment_facts__isnull=not f["assessed"])
    for flag in _ASSESSMENT_FLAGS:
        if f.get(flag) is not None:
            qs = qs.filter(**{f"assessment_facts__{flag}": f[flag]})
    if f.get("visit_outcome"):
        qs = qs.filter(assessment_facts__visit_outcome=f["visit_outcome"])
    if f.get("handler"):
        qs = qs.filter(assessment_facts__staff__username=f["handler"])
    if f.get("assessed_department"):
        qs = qs.filter(assessment_facts__department__code=f["assessed_department"])
    if f.get("assessed_station"):
        qs = qs.filter(assessment_facts__station__code=f["assessed_station"])
    return qs


def queue_order(qs: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    # The web queue's order (the API list keeps the index-friendly deadline order).
    """Orders whose clock runs first, overdue first then least time left; the
    rest (clock stopped) newest first. Same on SQLite and PostgreSQL (no reliance
    on where NULLs sort)."""
    open_states = [s.value for s in workflow.OPEN_STATES]
    running = When(state__in=open_states, deadline_at__isnull=False, then=Value(0))
    # Suspended (挂起) orders next, by their (frozen) deadline: still open work.
    suspended = When(state=State.SUSPENDED.value, deadline_at__isnull=False, then=Value(1))
    return qs.annotate(
        _clock=Case(running, suspended, default=Value(2), output_field=IntegerField()),
        _due=Case(
            When(state__in=[*open_states, State.SUSPENDED.value], deadline_at__isnull=False, then=F("deadline_at")), default=None
        ),
    ).order_by("_clock", "_due", "-received_at", "id")


#: The queue's order within a segment, as fields of (pk, deadline_at, received_at) rows.
_QUEUE_KEYS = {"id": 0, "deadline_at": 1, "received_at": 2}


def _queue_segments(qs: QuerySet[WorkOrder]) -> list[tuple[list[QuerySet[WorkOrder]], tuple[str, ...]]]:
    """``queue_order`` as three segments, one after the other, each walked by
    an index in its own order: the running clocks by deadline (a tie on the
    deadline by receipt, newest first, then id, as ``queue_order`` sorts), the
    suspended ones the same way, then the rest, newest received first.

    The running clocks are one walk per open state (``wo_state_deadline``:
    state, deadline_at), merged: one walk of ``wo_deadline_id`` filtered by
    state passes every closed order whose deadline is earlier — 159,396 of
    200,000 orders for a page, 138 ms (benchmarks/RESULTS.md, "Search")."""
    open_states = sorted(s.value for s in workflow.OPEN_STATES)
    clocked = [*open_states, State.SUSPENDED.value]
    by_deadline = ("deadline_at", "-received_at", "id")
    return [
        ([qs.filter(state=s, deadline_at__isnull=False) for s in open_states], by_deadline),
        ([qs.filter(state=State.SUSPENDED.value, deadline_at__isnull=False)], by_deadline),
        ([qs.filter(Q(deadline_at__isnull=True) | ~Q(state__in=clocked))], ("-received_at", "id")),
    ]


def _walk_segment(parts: list[QuerySet[WorkOrder]], ordering: tuple[str, ...], n: int) -> list[int]:
    """The first ``n`` ids of the segment: the first ``n`` of each part, merged."""
    rows: list[tuple[Any, ...]] = []
    for part in parts:
        rows.extend(part.order_by(*ordering).values_list("pk", "deadline_at", "received_at")[:n])
    if len(parts) > 1:
        for field in reversed(ordering):  # stable sorts, last key first
            i = _QUEUE_KEYS[field.lstrip("-")]
            rows.sort(key=lambda r, i=i: r[i], reverse=field.startswith("-"))  # type: ignore[misc]
    return [r[0] for r in rows[:n]]


def queue_walk(qs: QuerySet[WorkOrder], *, offset: int, limit: int) -> list[WorkOrder]:
    """Rows ``offset`` to ``offset + limit`` of ``queue_order(qs)`` without
    sorting every match: each segment of the queue's order is walked by index
    until the page is full (a dense search's probe then stops after a few
    hundred orders instead of sorting 130,000 matches). The rows keep ``qs``'s
    select_related / prefetch_related."""
    ids: list[int] = []
    skip = offset
    for parts, ordering in _queue_segments(qs):
        got = _walk_segment(parts, ordering, skip + limit - len(ids))
        ids.extend(got[skip:])
        skip = max(0, skip - len(got))
        if len(ids) >= limit:
            break
    rows = {o.pk: o for o in qs.order_by().filter(pk__in=ids)}
    return [rows[pk] for pk in ids if pk in rows]


def lead_departments_by_order(order_ids: list[int], value: str = "department__code") -> dict[int, list[Any]]:
    """Order id → its lead departments' ``value`` (code, or e.g. ``department_id``),
    in one query of plain values: a list page or a watcher batch builds no
    LeadAssignment / Department instances (~5 ms less per 50-order page than
    ``prefetch_related``)."""
    out: dict[int, list[Any]] = {}
    if order_ids:
        rows = LeadAssignment.objects.filter(order_id__in=order_ids).order_by("pk").values_list("order_id", value)
        for order_id, v in rows:
            out.setdefault(order_id, []).append(v)
    return out


def work_order_get(actor: Actor, number: str) -> WorkOrder | None:
    return (
        work_orders_visible_to(actor)
        .select_related("customer", "category", "company", "created_department", "merged_into", "repeat_of")
        .prefetch_related("lead_assignments__department")
        .filter(number=number)
        .first()
    )


def work_order_events(order: WorkOrder) -> QuerySet[WorkOrderEvent]:
    return WorkOrderEvent.objects.filter(order=order).select_related("actor").order_by("seq")


def work_order_comments(order: WorkOrder) -> QuerySet[WorkOrderComment]:
    """The order's internal comments, oldest first, with their authors."""
    return WorkOrderComment.objects.filter(order=order).select_related("author").order_by("at", "pk")


def may_comment(actor: Actor, order: WorkOrder) -> bool:
    """Whether ``actor`` (who sees ``order``) may add an internal comment now:
    the rule ``services.order_comment_add`` enforces, for the page's form."""
    return actor.role in workflow.COMMENT_ROLES and order.state != State.ARCHIVED.value


def _in_scope(actor: Actor, order: WorkOrder, action: Action) -> bool:
    """Role-specific scope on top of visibility."""
    if actor.role == Role.ADMIN:
        return True
    dept = actor.department
    if dept is None:
        return False
    if actor.role == Role.LEAD_HANDLER:
        if action == Action.STATION_FINDINGS:
            # Recording findings on a station's behalf needs a task still open
            # (the service refuses otherwise: no form to fill in for nothing).
            open_tasks = order.station_tasks.filter(state=StationTask.TaskState.OPEN)
            return open_tasks.filter(station=dept).exists() or (
                open_tasks.exists() and order.lead_assignments.filter(department=dept).exists()
            )
        return order.lead_assignments.filter(department=dept).exists()
    if actor.role == Role.STATION_INVESTIGATOR:
        return order.station_tasks.filter(station=dept, state=StationTask.TaskState.OPEN).exists()
    if actor.role == Role.AGENT_95598:
        return order.created_department_id == dept.pk or (
            actor.company is not None and order.company.path.startswith(actor.company.path)
        )
    if actor.company is None:
        return False
    if action == Action.FORWARD and actor.role == Role.SERVICE_SPECIALIST:
        # Only orders the 95598 station did not take in (the station forwards
        # its own): the specialist's intake, a story transfer's 舆情防范 order.
        if order.created_department.type == DepartmentType.STATION_95598:
            return False
    return order.company.path.startswith(actor.company.path)


def submitted_current_report(actor: Actor, order: WorkOrder) -> bool:
    """Four eyes on reports (an editable rule, default on): True when the rule
    is on and ``actor`` submitted the order's current report — then someone
    else confirms it: another handler of the lead department or, where the
    department has a single handler, a manager over the order's company."""
    from . import rules

    if not actor.user.pk or not rules.four_eyes_on_reports():
        return False
    submitter = order.reports.order_by("-pk").values_list("submitted_by_id", flat=True).first()
    return submitter is not None and submitter == actor.user.pk


def may_act(actor: Actor, order: WorkOrder, action: Action) -> bool:
    if actor.role is None or not workflow.role_may(actor.role, action):
        return False
    if not _in_scope(actor, order, action):
        return False
    if action == Action.CONFIRM_REPORT and submitted_current_report(actor, order):
        return False
    return True


def allowed_actions(actor: Actor, order: WorkOrder) -> list[str]:
    state = State(order.state)
    return [a.value for a in workflow.actions_from(state) if may_act(actor, order, a)]


def time_left_seconds(order: WorkOrder, now: datetime | None = None) -> int | None:
    if order.deadline_at is None or order.state not in {s.value for s in workflow.OPEN_STATES}:
        return None
    return int((order.deadline_at - (now or timezone.now())).total_seconds())
