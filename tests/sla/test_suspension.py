"""Suspension (挂起): reason + approving manager, the clock stops, resume extends
the deadline by the suspended working time; all on the order's timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contextlib import contextmanager
from unittest import mock

import pytest

from griddesk.notifications.models import Notification
from griddesk.workorders.models import WorkOrder

from ..walk import admin_actor, walk_to
from .conftest import local


@contextmanager
def frozen(at: datetime):
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


def investigating(received: datetime, due: datetime) -> WorkOrder:
    order = walk_to("investigating")
    WorkOrder.objects.filter(pk=order.pk).update(received_at=received, deadline_at=due)
    return WorkOrder.objects.get(pk=order.pk)


def test_lead_handler_suspends_with_a_managers_approval_and_resume_extends(org, act, committed):
    # received Monday 11-23, ordinary → due Wednesday 11-25 23:59:59
    order = investigating(local(2026, 11, 23, 9), local(2026, 11, 25, 23, 59, 59))
    with frozen(local(2026, 11, 24, 10)), committed():
        body = act("marketing", order.number, "suspend", reason="等待客户提供用电证明", approver="manager")
    assert body["state"] == "suspended"
    o = WorkOrder.objects.get(pk=order.pk)
    assert (o.state, o.suspended_from, o.suspended_at) == ("suspended", "investigating", local(2026, 11, 24, 10))
    e = o.events.get(seq=o.version)
    assert (e.action, e.actor_name, e.note) == ("suspend", "marketing", "等待客户提供用电证明")
    assert e.data["approver"] == "manager"
    # the approving manager is told
    n = Notification.objects.get(kind="suspended")
    assert n.recipient.username == "manager" and n.order_id == o.pk

    # while suspended nothing but resume is possible
    r = act("marketing", order.number, "submit_report", expect=409, findings="f", responsibility="r", rectification="m",
            company_at_fault=False)
    assert r["allowed_actions"] == ["resume"]

    # resumed Friday 11-27: Wednesday, Thursday and Friday were suspended
    with frozen(local(2026, 11, 27, 15)):
        body = act("marketing", order.number, "resume", note="材料已收到")
    o = WorkOrder.objects.get(pk=order.pk)
    assert o.state == "investigating" and o.suspended_at is None and o.suspended_from == ""
    assert o.suspension_extension == 3
    # 2 + 3 working days after Monday 11-23: Monday 11-30
    assert o.deadline_at == local(2026, 11, 30, 23, 59, 59)
    assert o.overdue is False
    e = o.events.get(seq=o.version)
    assert (e.action, e.from_state, e.to_state) == ("resume", "suspended", "investigating")
    assert (e.data["extension"], e.data["unit"]) == (3, "working_days")
    assert datetime.fromisoformat(e.data["deadline_at"]) == local(2026, 11, 30, 23, 59, 59)


def test_manager_approves_their_own_suspension(org, act):
    order = investigating(local(2026, 11, 23, 9), local(2026, 11, 25, 23, 59, 59))
    act("manager", order.number, "suspend", reason="等待第三方鉴定")
    e = WorkOrder.objects.get(pk=order.pk).events.last()
    assert e.data["approver"] == "manager"


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"approver": "manager"}, "reason", "required"),
        ({"reason": "  ", "approver": "manager"}, "reason", "blank"),
        ({"reason": "等待客户"}, "approver", "required"),  # a lead handler cannot approve itself
        ({"reason": "等待客户", "approver": "specialist"}, "approver", "not_a_manager"),
        ({"reason": "等待客户", "approver": "nobody"}, "approver", "not_a_manager"),
    ],
)
def test_bad_suspensions_are_400_and_write_nothing(org, act, data: dict[str, Any], field: str, code: str):
    order = investigating(local(2026, 11, 23, 9), local(2026, 11, 25, 23, 59, 59))
    body = act("marketing", order.number, "suspend", expect=400, **data)
    assert body["errors"][field][0]["code"] == code
    assert body["errors"][field][0]["message"]
    o = WorkOrder.objects.get(pk=order.pk)
    assert (o.state, o.version) == ("investigating", order.version)


def test_resume_restores_the_overdue_flag_and_the_state(org, act):
    # dispatched, suspended and resumed the same day: no extension
    order = walk_to("dispatched")
    WorkOrder.objects.filter(pk=order.pk).update(received_at=local(2026, 11, 23, 9), deadline_at=local(2026, 11, 25, 23, 59, 59))
    with frozen(local(2026, 11, 26, 9)):
        act("manager", order.number, "suspend", reason="等待客户")
    with frozen(local(2026, 11, 26, 16)):
        act("manager", order.number, "resume")
    o = WorkOrder.objects.get(pk=order.pk)
    assert o.state == "dispatched" and o.suspension_extension == 0
    assert o.deadline_at == local(2026, 11, 25, 23, 59, 59) and o.overdue is True


def test_recompute_keeps_the_suspension_extension(org, act, committed):
    from griddesk.sla import services

    order = investigating(local(2026, 11, 23, 9), local(2026, 11, 25, 23, 59, 59))
    with frozen(local(2026, 11, 24, 10)):
        act("manager", order.number, "suspend", reason="等待客户")
    with frozen(local(2026, 11, 27, 15)):
        act("manager", order.number, "resume")
    # a local arrangement makes Friday 11-27 a holiday: the deadline moves a day
    with committed():
        services.calendar_override_set(
            actor=admin_actor(),
            day=local(2026, 11, 27).date(), is_workday=False, source_notice="本地安排",
        )
    o = WorkOrder.objects.get(pk=order.pk)
    assert o.suspension_extension == 3
    assert o.deadline_at == local(2026, 12, 1, 23, 59, 59)
    assert o.events.last().action == "deadline"


def test_suspend_and_resume_from_the_web_page(org):
    from django.contrib.auth import get_user_model
    from django.test import Client

    order = investigating(local(2026, 11, 23, 9), local(2026, 11, 25, 23, 59, 59))
    c = Client()
    c.force_login(get_user_model().objects.get(username="marketing"))
    page = c.get(f"/orders/{order.number}/").content.decode()
    assert 'value="suspend"' in page and 'name="approver"' in page
    r = c.post(f"/orders/{order.number}/actions/", {"action": "suspend", "reason": "等待客户", "approver": "audit"})
    assert r.status_code == 400  # audit is not a manager: the field's message is shown
    assert WorkOrder.objects.get(pk=order.pk).state == "investigating"
    r = c.post(f"/orders/{order.number}/actions/", {"action": "suspend", "reason": "等待客户", "approver": "manager"})
    assert r.status_code == 302
    assert WorkOrder.objects.get(pk=order.pk).state == "suspended"
    page = c.get(f"/orders/{order.number}/").content.decode()
    assert 'value="resume"' in page and "deadline-suspended" in page
    assert c.post(f"/orders/{order.number}/actions/", {"action": "resume"}).status_code == 302
    assert WorkOrder.objects.get(pk=order.pk).state == "investigating"
