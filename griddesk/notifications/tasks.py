"""django-q2 entry points (referred to by dotted path when queued or scheduled)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from griddesk.engines import sla
from griddesk.engines.workdays import WorkdayCalendar
from griddesk.engines.workflow import OPEN_STATES
from griddesk.workorders.models import TimeLimitRule, WorkOrder
from griddesk.workorders.selectors import lead_departments_by_order

from . import services
from .models import Kind, WatchThreshold
from .selectors import Audience
from .services import Notice, deadline_key, render, render_stage

CHUNK = 2000


def send_delivery(delivery_id: int) -> str:
    return services.delivery_send(delivery_id=delivery_id)


def _max_span() -> timedelta:
    """An upper bound of (deadline - received_at) for any order, used to bound the
    scan for fraction thresholds: the longest time limit in natural time, with
    room for weekends and the longest holidays. Override with
    ``GRIDDESK_WATCH_MAX_SPAN_DAYS``."""
    days = getattr(settings, "GRIDDESK_WATCH_MAX_SPAN_DAYS", None)
    if days is None:
        from griddesk.sla.models import SlaPolicy

        wd = max(
            TimeLimitRule.objects.aggregate(m=Max("working_days"))["m"] or 10,
            SlaPolicy.objects.filter(active=True, stage="handling", kind="working_days").aggregate(m=Max("amount"))["m"] or 0,
        )
        days = wd * 7 / 5 + 14
    return timedelta(days=float(days))


def _window(thresholds: list[WatchThreshold]) -> timedelta:
    """Orders whose deadline is further than this from now cannot cross any threshold."""
    window = timedelta(0)
    span = None
    for t in thresholds:
        if t.hours_left is not None:
            window = max(window, timedelta(hours=float(t.hours_left)))
        if t.working_hours_left is not None or t.fraction_used is not None:
            # working hours can span a long holiday: bound by the longest limit
            span = span or _max_span()
            used = t.fraction_used if t.fraction_used is not None else Decimal(0)
            window = max(window, span * float(Decimal(1) - used))
    return window


@dataclass
class _Clock:
    """The calendar and business hours, loaded once per run."""

    calendar: WorkdayCalendar
    hours: sla.BusinessHours

    def working_minutes_left(self, now: datetime, deadline: datetime) -> int:
        return sla.working_minutes_between(now, deadline, self.calendar, hours=self.hours)


def _crossed(t: WatchThreshold, order: WorkOrder, now: datetime, clock: _Clock | None = None) -> str | None:
    assert order.deadline_at is not None
    left = order.deadline_at - now
    if t.hours_left is not None and left <= timedelta(hours=float(t.hours_left)):
        return "hours_left"
    if t.working_hours_left is not None and clock is not None:
        if clock.working_minutes_left(now, order.deadline_at) <= float(t.working_hours_left) * 60:
            return "working_hours_left"
    if t.fraction_used is not None:
        start = order.clock_start  # the receipt, or the reopen of a reopened order
        total = order.deadline_at - start
        if total > timedelta(0) and (now - start) >= total * float(t.fraction_used):
            return "fraction_used"
    return None


def watch_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Warn, mark overdue and escalate, once per order, deadline and person.
    Safe to run twice or on two servers at once (the notices' unique key; the
    overdue flag is set under a row lock, only where still unset). Suspended
    orders are not open: their clock is stopped and they are not watched."""
    from griddesk.sla.policies import business_hours
    from griddesk.sla.selectors import effective_calendar

    now = now or timezone.now()
    clock = _Clock(effective_calendar(), business_hours())
    thresholds = list(WatchThreshold.objects.filter(active=True).order_by("code"))
    window = _window(thresholds)
    orders = (
        WorkOrder.objects.filter(state__in=[s.value for s in OPEN_STATES], deadline_at__lte=now + window)
        .select_related("company")
        .only("id", "number", "state", "received_at", "handling_started_at", "deadline_at", "urge_count", "overdue", "company__path")
        .order_by()
    )
    audience = Audience()
    counts: Counter[str] = Counter()
    batch: list[WorkOrder] = []
    for order in orders.iterator(chunk_size=CHUNK):
        batch.append(order)
        if len(batch) >= CHUNK:
            _process(batch, thresholds, audience, now, counts, clock)
            batch = []
    _process(batch, thresholds, audience, now, counts, clock)
    _watch_stages(now, thresholds, audience, counts)
    return dict(counts)


def _watch_stages(now: datetime, thresholds: list[WatchThreshold], audience: Audience, counts: Counter[str]) -> None:
    """The stage clock (``WorkOrder.stage_deadline_at``: forwarding, grading,
    fault-repair arrival): warn once per ``fraction_used`` threshold (the
    hours-left thresholds are meant for days-long handling limits and would fire
    at once on a 2-hour stage), and once the stage limit passes set
    ``stage_overdue`` (row lock, ``stage_overdue`` event) and tell the people
    responsible once. Only orders with a running stage clock are scanned (a
    partial index: a few per cent of the open orders)."""
    fractions = [t for t in thresholds if t.fraction_used is not None]
    orders = (
        WorkOrder.objects.filter(state__in=[s.value for s in OPEN_STATES], stage_deadline_at__isnull=False)
        .exclude(stage="")
        .select_related("company")
        .only("id", "number", "state", "stage", "stage_started_at", "stage_deadline_at", "stage_overdue", "company__path")
        .order_by()
    )
    batch: list[WorkOrder] = []
    for order in orders.iterator(chunk_size=CHUNK):
        batch.append(order)
        if len(batch) >= CHUNK:
            _process_stages(batch, fractions, audience, now, counts)
            batch = []
    _process_stages(batch, fractions, audience, now, counts)


def _lead_departments(batch: list[WorkOrder]) -> dict[int, list[int]]:
    """Order id → its lead departments' ids, for a batch of orders in one query."""
    return lead_departments_by_order([o.pk for o in batch], "department_id")


def _process_stages(
    batch: list[WorkOrder], fractions: list[WatchThreshold], audience: Audience, now: datetime, counts: Counter[str]
) -> None:
    if not batch:
        return
    leads = _lead_departments(batch)
    notices: list[Notice] = []
    newly_overdue: list[int] = []
    for o in batch:
        assert o.stage_deadline_at is not None
        counts["stage_orders"] += 1
        dk = deadline_key(o.stage_deadline_at)
        people = audience.responsible(leads.get(o.pk, []), o.company.path)
        if now > o.stage_deadline_at:
            counts["stage_overdue_orders"] += 1
            if not o.stage_overdue:
                newly_overdue.append(o.pk)
            title, body = render_stage(Kind.OVERDUE, o)
            notices += [
                Notice(u, o.pk, Kind.OVERDUE, title, body, f"stage-overdue:{o.stage}:{o.number}:{dk}:{u}") for u in people
            ]
            continue
        start = o.stage_started_at
        total = o.stage_deadline_at - start if start is not None else timedelta(0)
        for t in fractions:
            if total <= timedelta(0) or (now - start) < total * float(t.fraction_used):  # type: ignore[arg-type, operator]
                continue
            counts["stage_thresholds_crossed"] += 1
            title, body = render_stage(Kind.WARNING, o, reason=_reason("fraction_used", t))
            notices += [
                Notice(u, o.pk, Kind.WARNING, title, body, f"stage-warning:{t.code}:{o.stage}:{o.number}:{dk}:{u}")
                for u in people
            ]
    if newly_overdue:
        from griddesk.workorders.clock_services import orders_mark_stage_overdue

        counts["marked_stage_overdue"] += orders_mark_stage_overdue(order_ids=newly_overdue, now=now)
    for note in services.notices_create(notices):
        counts[f"stage_{note.kind}"] += 1


def _process(
    batch: list[WorkOrder],
    thresholds: list[WatchThreshold],
    audience: Audience,
    now: datetime,
    counts: Counter[str],
    clock: _Clock | None = None,
) -> None:
    if not batch:
        return
    leads = _lead_departments(batch)
    notices: list[Notice] = []
    newly_overdue: list[int] = []
    for o in batch:
        counts["orders"] += 1
        assert o.deadline_at is not None
        dk = deadline_key(o.deadline_at)
        people = audience.responsible(leads.get(o.pk, []), o.company.path)
        if now > o.deadline_at:
            counts["overdue_orders"] += 1
            if not o.overdue:
                newly_overdue.append(o.pk)
            title, body = render(Kind.OVERDUE, o)
            notices += [Notice(u, o.pk, Kind.OVERDUE, title, body, f"overdue:{o.number}:{dk}:{u}") for u in people]
            # One notice per person for one deadline passing: before dispatch the
            # people responsible are the specialists, who are also escalated to.
            title, body = render(Kind.ESCALATION, o)
            told = set(people)
            notices += [
                Notice(u, o.pk, Kind.ESCALATION, title, body, f"escalation:{o.number}:{dk}:{u}")
                for u in audience.escalation(o.company.path)
                if u not in told
            ]
            continue
        for t in thresholds:
            reason = _crossed(t, o, now, clock)
            if reason is None:
                continue
            counts["thresholds_crossed"] += 1
            title, body = render(Kind.WARNING, o, reason=_reason(reason, t))
            notices += [Notice(u, o.pk, Kind.WARNING, title, body, f"warning:{t.code}:{o.number}:{dk}:{u}") for u in people]
    if newly_overdue:
        from griddesk.workorders.clock_services import orders_mark_overdue

        counts["marked_overdue"] += orders_mark_overdue(order_ids=newly_overdue, now=now)
    for note in services.notices_create(notices):
        counts[note.kind] += 1


def _reason(reason: str, t: WatchThreshold) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        if reason == "hours_left":
            hours = t.hours_left.normalize() if t.hours_left is not None else ""
            return _("%(hours)s hours or less left") % {"hours": hours}
        if reason == "working_hours_left":
            hours = t.working_hours_left.normalize() if t.working_hours_left is not None else ""
            return _("%(hours)s working hours or less left") % {"hours": hours}
        return _("%(percent)s%% of the time used") % {"percent": int((t.fraction_used or 0) * 100)}
