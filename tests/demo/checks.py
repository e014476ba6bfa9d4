"""Invariants every demo order must satisfy, walked or bulk-loaded."""

from __future__ import annotations

from collections import defaultdict

from django.utils import timezone

from griddesk.engines import workflow
from griddesk.engines.workflow import State
from griddesk.organisation.selectors import department_company
from griddesk.workorders.models import WorkOrder, WorkOrderEvent

_DISPATCHED_OR_LATER = {"dispatched", "investigating", "reported", "fed_back", "visited", "assessed", "archived"}
_REPORTED_OR_LATER = {"reported", "fed_back", "visited", "assessed", "archived"}
_CLOCK_EVENTS = {"deadline", "overdue", "stage_overdue"}
_CLOSED = {"fed_back", "visited", "assessed", "archived", "invalid", "merged"}


def assert_orders_consistent(orders: list[WorkOrder]) -> None:
    now = timezone.now()
    events = defaultdict(list)
    for e in WorkOrderEvent.objects.filter(order__in=orders).order_by("order_id", "seq"):
        events[e.order_id].append(e)
    for o in orders:
        ev = events[o.pk]
        where = f"{o.number} ({o.state})"
        assert ev, where
        assert ev[0].action == "create" and ev[0].from_state == "" and ev[0].to_state == "received", where
        assert ev[-1].to_state == o.state, where
        assert [e.seq for e in ev] == list(range(1, len(ev) + 1)) and o.version == len(ev), where
        state = State.RECEIVED
        for e in ev[1:]:
            assert e.from_state == state, (where, e.seq)
            if e.action in _CLOCK_EVENTS:  # written by the clock (a reopen's new deadline): no move
                assert e.to_state == state, (where, e.seq)
                continue
            target = workflow.check(workflow.Action(e.action), state, State(e.to_state))
            assert target == e.to_state, (where, e.seq)
            state = target
        times = [e.at for e in ev]
        assert times == sorted(times) and times[-1] <= now and times[0] >= o.received_at, where
        assert o.received_at <= now, where
        if o.customer_id and o.customer.station_id:
            assert o.company_id == department_company(o.customer.station).pk, where
        if o.state in _DISPATCHED_OR_LATER:
            assert o.lead_assignments.filter(primary=True).count() == 1, where
            assert o.grade in (1, 2, 3, 4), where
        if o.state in _REPORTED_OR_LATER:
            assert o.reports.exists(), where
        assert (o.closed_at is not None) == (o.state in _CLOSED), where
        if o.state == "merged":
            assert o.merged_into_id is not None, where
        if o.reopen_count:
            assert o.is_repeat, where
        if o.handling_started_at is not None:  # reopened: the clock restarted at the reopen
            assert o.reopen_count and o.deadline_at > o.handling_started_at >= o.received_at, where
        assert o.deadline_at is not None, where
