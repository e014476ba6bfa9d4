"""Rules are data: editable by an administrator, every change audited, and used."""

from __future__ import annotations

from django.test import Client

from griddesk.workorders.models import GradingRule, RoutingRule, RuleChange


def admin_client() -> Client:
    c = Client()
    c.login(username="admin", password="griddesk-demo")
    return c


def test_routing_change_is_audited_and_used(org, make_order, act):
    rule = RoutingRule.objects.get(grade=3)
    r = admin_client().post(f"/admin/workorders/routingrule/{rule.pk}/change/", {"grade": 3, "lead_types": '["customer_center"]'})
    assert r.status_code == 302, r.content.decode()[:2000]
    change = RuleChange.objects.get(model="workorders.RoutingRule")
    assert change.before["lead_types"] == ["marketing"] and change.after["lead_types"] == ["customer_center"]
    assert change.actor.username == "admin"
    n = make_order()["number"]
    act("agent", n, "forward")
    act("specialist", n, "grade", grade=3, complexity="ordinary")
    assert act("specialist", n, "dispatch")["lead_departments"] == ["city-ccc"]


def test_invalid_routing_rule_is_refused(org):
    rule = RoutingRule.objects.get(grade=3)
    r = admin_client().post(f"/admin/workorders/routingrule/{rule.pk}/change/", {"grade": 3, "lead_types": '["nowhere"]'})
    assert r.status_code == 200  # form redisplayed with the error
    assert RoutingRule.objects.get(grade=3).lead_types == ["marketing"]
    assert not RuleChange.objects.exists()


def test_grading_rule_change_changes_the_suggestion(org, make_order):
    rule = GradingRule.objects.get(code="business_quality")
    data = {
        "code": rule.code, "priority": rule.priority, "grade": 2, "complexity": "important",
        "description": rule.description, "order_types": "[]", "channels": "[]",
        "categories": '["business", "outage", "power_quality", "grid_construction"]', "keywords": "[]",
        "sensitive_customer": "unknown", "escalated": "unknown", "repeat": "unknown", "active": "on",
    }
    r = admin_client().post(f"/admin/workorders/gradingrule/{rule.pk}/change/", data)
    assert r.status_code == 302, r.content.decode()[:3000]
    assert RuleChange.objects.filter(model="workorders.GradingRule", change="update").count() == 1
    o = make_order()
    assert (o["suggested_grade"], o["suggested_complexity"]) == (2, "important")


def test_work_orders_are_read_only_in_admin(org, make_order):
    n = make_order()["number"]
    from griddesk.workorders.models import WorkOrder

    pk = WorkOrder.objects.get(number=n).pk
    r = admin_client().post(f"/admin/workorders/workorder/{pk}/change/", {"state": "archived"})
    assert r.status_code == 403
    assert WorkOrder.objects.get(pk=pk).state == "received"
