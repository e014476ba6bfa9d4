"""Four eyes on reports: the user who confirms a report is not the one who
submitted it (an editable, audited rule, on by default). A department with a
single handler has its report confirmed by a manager over the order's company."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from griddesk.common import rule_audit
from griddesk.organisation.models import Department
from griddesk.organisation.services import staff_create
from griddesk.workorders.models import Report, RuleChange, WorkflowRule, WorkOrder

from ..walk import walk_to

REPORT = {"findings": "核实属实", "responsibility": "表计故障", "rectification": "更换电表", "company_at_fault": True}


def reported_by_marketing(act) -> WorkOrder:
    order = walk_to("dispatched")  # grade 3 → city-marketing, whose only handler is "marketing"
    act("marketing", order.number, "accept")
    act("marketing", order.number, "submit_report", **REPORT)
    return WorkOrder.objects.get(pk=order.pk)


def allowed(client_for, username: str, number: str) -> list[str]:
    return client_for(username).get(f"/api/v1/work-orders/{number}/").json()["allowed_actions"]


def test_the_submitter_may_not_confirm_their_own_report(org, act, client_for):
    order = reported_by_marketing(act)
    assert allowed(client_for, "marketing", order.number) == ["return_report"]  # no confirm_report
    body = act("marketing", order.number, "confirm_report", expect=403)
    assert body["code"] == "four_eyes" and body["action"] == "confirm_report"
    assert "提交" in body["message"], body["message"]
    assert WorkOrder.objects.get(pk=order.pk).state == "reported"
    assert Report.objects.get(order=order).confirmed_by is None


def test_a_single_handler_department_uses_its_manager(org, act, client_for):
    order = reported_by_marketing(act)
    assert "confirm_report" in allowed(client_for, "manager", order.number)
    body = act("manager", order.number, "confirm_report")
    assert body["state"] == "fed_back"
    assert Report.objects.get(order=order).confirmed_by.username == "manager"


def test_another_handler_of_the_lead_department_may_confirm(org, act, client_for):
    staff_create(username="marketing2", password="x", department=Department.objects.get(code="city-marketing"),
                 role="lead_handler", full_name="冯营销")
    order = reported_by_marketing(act)
    assert "confirm_report" in allowed(client_for, "marketing2", order.number)
    act("marketing2", order.number, "confirm_report")
    assert Report.objects.get(order=order).confirmed_by.username == "marketing2"


def test_the_current_report_counts_after_a_return(org, act, client_for):
    staff_create(username="marketing2", password="x", department=Department.objects.get(code="city-marketing"),
                 role="lead_handler", full_name="冯营销")
    order = reported_by_marketing(act)
    act("manager", order.number, "return_report", note="补充调查")
    act("marketing2", order.number, "submit_report", **REPORT)  # the second report is marketing2's
    assert "confirm_report" not in allowed(client_for, "marketing2", order.number)
    act("marketing", order.number, "confirm_report")


@pytest.mark.parametrize("enabled", [False, True])
def test_the_rule_is_editable_and_audited(org, act, client_for, enabled):
    admin = get_user_model().objects.get(username="admin")
    rule = WorkflowRule.objects.get(code="four_eyes_reports")  # seeded, on
    assert rule.enabled is True
    rule.enabled = enabled
    rule_audit.rule_save(actor=admin, instance=rule, created=False)
    change = RuleChange.objects.filter(model="workorders.WorkflowRule").latest("pk")
    assert (change.before["enabled"], change.after["enabled"], change.actor) == (True, enabled, admin)
    order = reported_by_marketing(act)
    assert ("confirm_report" in allowed(client_for, "marketing", order.number)) is not enabled
    act("marketing", order.number, "confirm_report", expect=403 if enabled else 200)


def test_a_missing_rule_row_means_on(org, act):
    WorkflowRule.objects.all().delete()
    order = reported_by_marketing(act)
    assert act("marketing", order.number, "confirm_report", expect=403)["code"] == "four_eyes"
