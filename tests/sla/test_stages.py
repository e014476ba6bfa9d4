"""The stage clock: forward / grade / fault-repair arrival limits stored on the
order, set by intake and the actions, watched, and recomputed after rule edits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from griddesk.notifications.models import Notification
from griddesk.notifications.tasks import watch_deadlines
from griddesk.sla import services
from griddesk.sla.models import SlaPolicy
from griddesk.workorders import clock, clock_services
from griddesk.workorders import services as wo_services
from griddesk.workorders.models import WorkOrder, WorkOrderEvent
from tests.walk import admin_actor, new_order

pytestmark = pytest.mark.django_db


def act(order: WorkOrder, action: str, **data: Any) -> WorkOrder:
    wo_services.work_order_act(order=order.number, actor=admin_actor(), action=action, data=data)
    return WorkOrder.objects.get(pk=order.pk)


def expected(stage: str, order: WorkOrder, start: Any) -> Any:
    rules = clock.load()
    p = rules.policy(rules.facts(order, stage), stage)
    assert p is not None
    return p, rules.deadline(p, start)


def test_intake_forward_grade_move_the_stage_clock(org: Any) -> None:
    o = new_order()
    p, dl = expected("forward", o, o.received_at)
    assert (o.stage, o.stage_policy, o.stage_started_at) == ("forward", "forward-95598", o.received_at)
    assert (o.stage_deadline_at, o.stage_provisional, o.stage_overdue) == (dl.due_at, dl.provisional, False)
    assert p.kind == "working_hours" and o.stage_deadline_at > o.received_at

    o = act(o, "forward")
    assert o.stage == "grade" and o.stage_policy == "grade-specialist"
    _, dl = expected("grade", o, o.stage_started_at)
    assert o.stage_deadline_at == dl.due_at
    e = o.events.get(seq=o.version)
    assert e.action == "forward" and e.data["stage"] == "grade"
    assert e.data["stage_deadline_at"] == dl.due_at.isoformat()

    o = act(o, "grade", grade=o.suggested_grade, complexity=o.suggested_complexity)
    assert (o.stage, o.stage_policy, o.stage_started_at, o.stage_deadline_at) == ("", "", None, None)
    assert o.events.get(seq=o.version).data["stage"] == ""


def test_fault_repair_arrival_runs_until_station_findings(org: Any) -> None:
    o = new_order(type="fault_repair", category=None)
    assert (o.stage, o.stage_policy) == ("arrival", "arrival-urban")  # no area type set → urban
    assert o.stage_deadline_at == o.received_at + timedelta(minutes=45)
    deadline = o.stage_deadline_at
    for action, data in (("forward", {}), ("grade", {"grade": 3, "complexity": "ordinary", "reason": "测试"}),
                         ("dispatch", {}), ("accept", {})):
        o = act(o, action, **data)
        assert (o.stage, o.stage_deadline_at) == ("arrival", deadline), action
    o = act(o, "assign_station", stations=["east-ps-1"])
    assert o.stage == "arrival"
    o = act(o, "station_findings", findings="已到现场，线路故障已隔离")
    assert (o.stage, o.stage_deadline_at) == ("", None)


def test_watcher_warns_then_marks_stage_overdue_once(org: Any) -> None:
    o = new_order(type="fault_repair", category=None)
    start, due = o.stage_started_at, o.stage_deadline_at
    assert start is not None and due is not None
    # half of the 45 minutes used: one stage warning (half-used threshold), no flag
    counts = watch_deadlines(now=start + (due - start) / 2 + timedelta(minutes=1))
    warnings = Notification.objects.filter(dedupe_key__startswith="stage-warning:half-used:arrival:")
    assert warnings.count() >= 1 and counts["stage_thresholds_crossed"] == 1
    assert all(o.number in n.title for n in warnings)
    n_warn = warnings.count()
    watch_deadlines(now=start + (due - start) / 2 + timedelta(minutes=2))
    assert warnings.count() == n_warn  # once
    # past the limit: the flag, one event, notices once
    later = due + timedelta(minutes=1)
    counts = watch_deadlines(now=later)
    o.refresh_from_db()
    assert o.stage_overdue is True and counts["marked_stage_overdue"] == 1
    ev = WorkOrderEvent.objects.filter(order=o, action="stage_overdue")
    assert ev.count() == 1 and ev.get().data["stage"] == "arrival"
    assert ev.get().data["stage_deadline_at"] == due.isoformat()
    overdue = Notification.objects.filter(dedupe_key__startswith=f"stage-overdue:arrival:{o.number}:")
    n_over = overdue.count()
    assert n_over >= 1
    counts = watch_deadlines(now=later + timedelta(minutes=5))
    assert counts.get("marked_stage_overdue", 0) == 0
    assert ev.count() == 1 and overdue.count() == n_over
    # the handling deadline is untouched by the stage clock
    assert o.overdue is False


def test_watcher_ignores_orders_without_a_stage_clock(org: Any) -> None:
    o = new_order()
    o = act(o, "forward")
    o = act(o, "grade", grade=o.suggested_grade, complexity=o.suggested_complexity)
    counts = watch_deadlines(now=timezone.now() + timedelta(hours=30))
    assert counts.get("stage_orders", 0) == 0
    assert not WorkOrderEvent.objects.filter(action="stage_overdue").exists()


def test_policy_edit_recomputes_open_orders_in_the_background(org: Any, committed: Any) -> None:
    """Editing a policy (as the admin does) queues the recompute: open orders of
    the policy's types move, each with a ``deadline`` event; others are not
    rewritten; running stage limits follow a stage policy's edit."""
    fault = new_order(type="fault_repair", category=None)
    complaint = new_order()
    before_complaint = (complaint.deadline_at, complaint.version)
    policy = SlaPolicy(code="fault-handling", stage="handling", kind="natural", amount=24 * 60, order_types=["fault_repair"])
    with committed():
        services.sla_rule_save(actor=admin_actor().user, instance=policy, created=True)
    fault.refresh_from_db()
    complaint.refresh_from_db()
    assert (fault.deadline_at, fault.sla_policy) == (fault.received_at + timedelta(hours=24), "fault-handling")
    ev = fault.events.get(seq=fault.version)
    assert ev.action == "deadline" and "fault-handling" in ev.data["reason"]
    assert (complaint.deadline_at, complaint.version) == before_complaint  # other type: not touched

    # editing the arrival limit moves the running arrival stage
    arrival = SlaPolicy.objects.get(code="arrival-urban")
    arrival.amount = 30
    with committed():
        services.sla_rule_save(actor=admin_actor().user, instance=arrival, created=False)
    fault.refresh_from_db()
    assert fault.stage_deadline_at == fault.stage_started_at + timedelta(minutes=30)
    ev = fault.events.get(seq=fault.version)
    assert ev.action == "deadline" and ev.data["stage"] == "arrival"
    assert ev.data["stage_deadline_at"] == fault.stage_deadline_at.isoformat()
    # the run is audited
    from griddesk.workorders.models import RuleChange

    runs = RuleChange.objects.filter(model=clock_services.RECOMPUTE_LABEL, object_id="rules")
    assert runs.count() == 2
    assert runs.order_by("-pk").first().after["stages_recomputed"] == 1


def test_policy_edit_that_moves_nothing_writes_nothing(org: Any, committed: Any) -> None:
    o = new_order()
    version = o.version
    p = SlaPolicy.objects.get(code="grade-specialist")
    p.description = "只改说明"
    with committed():
        services.sla_rule_save(actor=admin_actor().user, instance=p, created=False)
    o.refresh_from_db()
    assert o.version == version


def test_calendar_change_selects_only_windows_containing_the_date(org: Any) -> None:
    """An override far from an order's window does not touch it; one inside it does."""
    from datetime import date

    o = new_order()
    version = o.version
    local_due = timezone.localtime(o.deadline_at).date()
    far = local_due + timedelta(days=40)
    summary = clock_services.deadlines_recompute(first=far, last=far, reason="far")
    o.refresh_from_db()
    assert summary["examined"] == 0 and o.version == version
    # a working day inside the window becomes a holiday → the deadline moves later
    received_day = timezone.localtime(o.received_at).date()
    inside = next(received_day + timedelta(days=i) for i in range(1, 10)
                  if clock.load().calendar.is_workday(received_day + timedelta(days=i)))
    assert inside <= local_due and isinstance(inside, date)
    services.calendar_override_set(actor=admin_actor(), day=inside, is_workday=False, source_notice="测试通知")
    clock_services.deadlines_recompute(first=inside, last=inside, reason="inside")
    o.refresh_from_db()
    assert timezone.localtime(o.deadline_at).date() > local_due
    moved = o.events.filter(action="deadline", data__reason="inside")
    # the handling deadline, and the forward stage limit when its window holds the date
    assert any(e.data.get("deadline_at") == o.deadline_at.isoformat() for e in moved)
    assert o.version == version + moved.count()


def test_suspension_during_arrival_gives_the_arrival_clock_its_time_back(org: Any) -> None:
    """A fault repair suspended before the crew arrived (customer not home):
    on resume the arrival limit moves by the suspended minutes, the resume
    event says so, and a later recompute keeps the granted time."""
    from unittest import mock

    o = new_order(type="fault_repair", category=None)
    for action, data in (("forward", {}), ("grade", {"grade": 3, "complexity": "ordinary", "reason": "测试"}),
                         ("dispatch", {}), ("accept", {})):
        o = act(o, action, **data)
    assert o.stage == "arrival" and o.state == "investigating"
    start, limit = o.stage_started_at, o.stage_deadline_at
    assert limit == start + timedelta(minutes=45)
    t_suspend = start + timedelta(minutes=20)
    t_resume = t_suspend + timedelta(minutes=95)  # already past the original limit
    with mock.patch("django.utils.timezone.now", return_value=t_suspend):
        o = act(o, "suspend", reason="客户不在家，约定稍后上门")
    with mock.patch("django.utils.timezone.now", return_value=t_resume):
        o = act(o, "resume", note="客户已到家")
    assert o.state == "investigating" and o.stage == "arrival"
    assert o.stage_extension == 95
    assert o.stage_deadline_at == limit + timedelta(minutes=95)
    assert o.stage_overdue is False  # 20 of 45 minutes used before the suspension
    e = o.events.get(seq=o.version)
    assert e.action == "resume" and e.data["stage"] == "arrival" and e.data["stage_extension"] == 95
    assert e.data["stage_deadline_at"] == o.stage_deadline_at.isoformat()

    # a recompute (e.g. after an arrival-policy edit that changes nothing) keeps the extension
    summary = clock_services.stage_deadlines_recompute(rules=clock.load(), now=t_resume, reason="test")
    assert summary["recomputed"] == 0
    assert WorkOrder.objects.get(pk=o.pk).stage_deadline_at == limit + timedelta(minutes=95)

    # the next stage change clears it
    o = act(o, "assign_station", stations=["east-ps-1"])
    o = act(o, "station_findings", findings="已到现场，线路故障已隔离")
    assert (o.stage, o.stage_extension) == ("", 0)


def test_resume_without_a_running_stage_leaves_the_stage_fields_alone(org: Any) -> None:
    from tests.walk import walk_to

    o = walk_to("investigating")
    assert o.stage == ""
    o = act(o, "suspend", reason="等待客户提供材料")
    o = act(o, "resume")
    assert (o.stage, o.stage_deadline_at, o.stage_extension) == ("", None, 0)
    assert "stage_extension" not in o.events.get(seq=o.version).data
