"""A reopened order (unsatisfied return visit, reopen) is handled again: its
handling clock restarts at the reopen time under the SLA policies, with a
``deadline`` event; it is not overdue the minute it reopens."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from unittest import mock

import pytest

from griddesk.notifications.tasks import watch_deadlines
from griddesk.workorders import rules
from griddesk.workorders.clock_services import deadlines_recompute
from griddesk.workorders.models import WorkOrder

from ..walk import walk_to
from .conftest import local

# received Monday 11-23 (ordinary: due Wednesday 11-25), fed back on time, and
# reopened on Thursday 12-03 — long after the original deadline.
RECEIVED, DUE = local(2026, 11, 23, 9), local(2026, 11, 25, 23, 59, 59)
REOPEN = local(2026, 12, 3, 10)
# two working days from Thursday 12-03: Friday and Monday
NEW_DUE = local(2026, 12, 7, 23, 59, 59)


@contextmanager
def frozen(at: datetime):
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


def fed_back() -> WorkOrder:
    order = walk_to("fed_back")
    WorkOrder.objects.filter(pk=order.pk).update(
        received_at=RECEIVED, deadline_at=DUE, closed_at=local(2026, 11, 25, 16), suspension_extension=1
    )
    return WorkOrder.objects.get(pk=order.pk)


def _assert_restarted(order: WorkOrder, action: str) -> WorkOrder:
    o = WorkOrder.objects.get(pk=order.pk)
    assert o.state == "investigating" and o.reopen_count == 1
    assert o.handling_started_at == REOPEN and o.clock_start == REOPEN
    assert o.deadline_at == NEW_DUE
    # the same SLA machinery as an intake at the reopen time
    assert o.deadline_at == rules.handling_deadline(REOPEN, o.complexity, type=o.type, grade=o.grade, channel=o.channel).due_at
    assert o.overdue is False and o.suspension_extension == 0
    reopened, deadline = o.events.order_by("-seq")[:2][::-1]
    assert reopened.action == action and (reopened.from_state, reopened.to_state) == ("fed_back", "investigating")
    assert deadline.seq == o.version == reopened.seq + 1
    assert deadline.action == "deadline" and deadline.to_state == "investigating"
    assert datetime.fromisoformat(deadline.data["before"]) == DUE
    assert datetime.fromisoformat(deadline.data["deadline_at"]) == NEW_DUE
    assert datetime.fromisoformat(deadline.data["clock_start"]) == REOPEN
    assert (deadline.data["reason"], deadline.data["overdue"]) == ("reopen", False)
    assert deadline.data["policy"] == o.sla_policy
    return o


def test_reopen_after_the_deadline_gets_a_new_deadline_from_the_reopen(org, act):
    order = fed_back()
    with frozen(REOPEN):
        body = act("manager", order.number, "reopen", reason="客户再次来电反映未解决")
    assert body["state"] == "investigating" and body["overdue"] is False
    assert datetime.fromisoformat(body["deadline_at"]) == NEW_DUE
    _assert_restarted(order, "reopen")


def test_unsatisfied_return_visit_restarts_the_clock(org, act):
    order = fed_back()
    with frozen(REOPEN):
        act("specialist", order.number, "return_visit", method="phone", outcome="unsatisfied", customer_words="问题没有解决")
    _assert_restarted(order, "return_visit")


def test_the_watcher_does_not_mark_a_reopened_order_overdue_until_its_new_deadline(org, act):
    order = fed_back()
    with frozen(REOPEN):
        act("manager", order.number, "reopen", reason="客户再次来电反映未解决")
    watch_deadlines(now=local(2026, 12, 3, 10, 5))
    o = WorkOrder.objects.get(pk=order.pk)
    assert o.overdue is False and not o.events.filter(action="overdue").exists()
    watch_deadlines(now=local(2026, 12, 8, 9))  # past the new deadline
    o = WorkOrder.objects.get(pk=order.pk)
    assert o.overdue is True and o.events.filter(action="overdue").count() == 1


@pytest.mark.parametrize("all_rules", [True, False])
def test_a_recompute_keeps_the_reopen_as_the_clock_start(org, act, all_rules):
    order = fed_back()
    with frozen(REOPEN):
        act("manager", order.number, "reopen", reason="客户再次来电反映未解决")
    WorkOrder.objects.filter(pk=order.pk).update(deadline_provisional=True)  # so the calendar run picks it too
    deadlines_recompute(all_rules=all_rules, now=local(2026, 12, 3, 11), reason="test")
    o = WorkOrder.objects.get(pk=order.pk)
    # (from the receipt it would be back in November, overdue)
    assert o.deadline_at == NEW_DUE and o.overdue is False


def test_a_suspension_after_a_reopen_extends_the_new_deadline(org, act):
    order = fed_back()
    with frozen(REOPEN):
        act("manager", order.number, "reopen", reason="客户再次来电反映未解决")
    with frozen(local(2026, 12, 4, 9)):
        act("manager", order.number, "suspend", reason="等待客户提供材料")
    with frozen(local(2026, 12, 8, 9)):  # Friday 12-04 and Monday 12-07 suspended
        act("manager", order.number, "resume")
    o = WorkOrder.objects.get(pk=order.pk)
    assert o.suspension_extension == 2
    assert o.deadline_at == local(2026, 12, 9, 23, 59, 59) and o.overdue is False
