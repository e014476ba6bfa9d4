"""SLA policies as data: seeded defaults, the deadline API answering from them,
intake and grading using them, audited admin edits, area types."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.test import Client

from griddesk.organisation.models import Department
from griddesk.sla.models import BusinessHours, DepartmentArea, SlaPolicy
from griddesk.workorders.models import RuleChange, WorkOrder

URL = "/api/v1/sla/deadline"


def admin_client() -> Client:
    c = Client()
    c.login(username="admin", password="griddesk-demo")
    return c


def test_defaults_seeded_by_migration(db):
    got = {p.code: (p.stage, p.kind, p.amount, p.order_types, p.area_types) for p in SlaPolicy.objects.all()}
    assert got["forward-95598"] == ("forward", "working_hours", 120, [], [])
    assert got["grade-specialist"] == ("grade", "working_hours", 120, [], [])
    assert got["arrival-urban"] == ("arrival", "natural", 45, ["fault_repair"], ["urban"])
    assert got["arrival-rural"] == ("arrival", "natural", 90, ["fault_repair"], ["rural"])
    assert got["arrival-remote"] == ("arrival", "natural", 120, ["fault_repair"], ["remote"])
    hours = BusinessHours.objects.get()
    assert (hours.start.isoformat(), hours.end.isoformat()) == ("08:30:00", "17:30:00")


@pytest.mark.parametrize(
    ("area", "due"),
    [("urban", "2026-10-01T23:45:00+08:00"), ("rural", "2026-10-02T00:30:00+08:00"), ("remote", "2026-10-02T01:00:00+08:00")],
)
def test_fault_repair_arrival_by_area_type(org, client_for, area, due):
    r = client_for("agent").get(URL, {"received_at": "2026-10-01T23:00:00+08:00", "type": "fault_repair", "area_type": area})
    assert r.status_code == 200, r.content
    stages = {s["stage"]: s for s in r.json()["stages"]}
    assert datetime.fromisoformat(stages["arrival"]["due_at"]) == datetime.fromisoformat(due)
    assert stages["arrival"]["rule"]["kind"] == "natural"
    assert stages["arrival"]["rule"]["code"] == f"arrival-{area}"


def test_stage_limits_in_working_hours(org, client_for):
    # Friday 16:45: 45 min on Friday, 75 min on Monday (from 08:30)
    body = client_for("agent").get(URL, {"received_at": "2026-11-27T16:45:00+08:00"}).json()
    stages = {s["stage"]: s for s in body["stages"]}
    assert set(stages) == {"handling", "forward", "grade"}  # no arrival limit for complaints
    assert datetime.fromisoformat(stages["forward"]["due_at"]) == datetime.fromisoformat("2026-11-30T09:45:00+08:00")
    assert stages["forward"]["rule"]["kind"] == "working_hours" and stages["forward"]["rule"]["amount"] == 120


def test_most_specific_handling_policy_answers_the_api(org, client_for):
    SlaPolicy.objects.create(code="media-any", stage="handling", kind="working_days", amount=3, channels=["media"])
    SlaPolicy.objects.create(
        code="media-important", stage="handling", kind="working_hours", amount=240, channels=["media"], complexities=["important"]
    )
    c = client_for("agent")
    q = {"received_at": "2026-11-30T09:00:00+08:00"}
    body = c.get(URL, {**q, "channel": "media"}).json()
    assert body["rule"]["code"] == "media-any" and body["working_days"] == 3
    assert datetime.fromisoformat(body["due_at"]) == datetime.fromisoformat("2026-12-03T23:59:59+08:00")
    body = c.get(URL, {**q, "channel": "media", "complexity": "important"}).json()
    assert body["rule"]["code"] == "media-important" and body["working_days"] is None
    assert datetime.fromisoformat(body["due_at"]) == datetime.fromisoformat("2026-11-30T13:00:00+08:00")
    # other channels keep the time-limit rule
    body = c.get(URL, {**q, "channel": "95598"}).json()
    assert body["rule"]["code"] == "time_limit.ordinary" and body["working_days"] == 2
    r = c.get(URL, {**q, "channel": "fax"})
    assert r.status_code == 400 and r.json()["errors"]["channel"][0]["code"] == "invalid_choice"


def test_intake_and_grading_use_the_policies(org, make_order, act):
    SlaPolicy.objects.create(code="grade1-fast", stage="handling", kind="working_days", amount=1, grades=[1])
    o = make_order(received_at="2026-11-27T10:00:00+08:00")
    order = WorkOrder.objects.get(number=o["number"])
    assert order.sla_policy.startswith("time_limit.")
    act("agent", o["number"], "forward")
    act("specialist", o["number"], "grade", grade=1, complexity="important", reason="重大投诉")
    order = WorkOrder.objects.get(number=o["number"])
    assert order.sla_policy == "grade1-fast"
    assert order.deadline_at == datetime.fromisoformat("2026-11-30T23:59:59+08:00")  # next working day: Monday
    event = order.events.get(seq=order.version)
    assert event.data["sla_policy"] == "grade1-fast"


def test_area_type_comes_from_the_customers_station_subtree(org, make_order):
    from griddesk.customers.models import Customer
    from griddesk.workorders import clock

    SlaPolicy.objects.create(code="rural-fault", stage="handling", kind="natural", amount=24 * 60,
                             order_types=["fault_repair"], area_types=["rural"])
    station = Department.objects.get(code="east-ps-1")
    county = station.parent
    DepartmentArea.objects.create(department=county, area_type="rural")
    make_order()  # creates the customer
    assert Customer.objects.filter(account_no="3300112233").update(station=station) == 1
    o = make_order(type="fault_repair", category=None, received_at="2026-11-27T10:00:00+08:00")
    order = WorkOrder.objects.select_related("customer__station", "company").get(number=o["number"])
    assert clock.load().area_type(order) == "rural"
    assert order.sla_policy == "rural-fault"
    assert order.deadline_at == datetime.fromisoformat("2026-11-28T10:00:00+08:00")
    # without any area row: urban
    DepartmentArea.objects.all().delete()
    assert clock.load().area_type(order) == "urban"


def test_policy_edit_in_admin_is_audited_and_validated(org):
    p = SlaPolicy.objects.get(code="arrival-urban")
    data = {
        "code": p.code, "stage": p.stage, "kind": p.kind, "amount": 30, "order_types": '["fault_repair"]', "grades": "[]",
        "complexities": "[]", "channels": "[]", "area_types": '["urban"]', "priority": 100, "description": "", "active": "on",
    }
    r = admin_client().post(f"/admin/sla/slapolicy/{p.pk}/change/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    change = RuleChange.objects.get(model="sla.SlaPolicy")
    assert (change.before["amount"], change.after["amount"], change.actor.username) == (45, 30, "admin")
    # an unknown area type is refused by the engine's validation
    r = admin_client().post(f"/admin/sla/slapolicy/{p.pk}/change/", {**data, "area_types": '["suburb"]'})
    assert r.status_code == 200
    assert SlaPolicy.objects.get(pk=p.pk).area_types == ["urban"]
    assert RuleChange.objects.filter(model="sla.SlaPolicy").count() == 1


def test_business_hours_edit_changes_working_hours_limits(org, client_for):
    hours = BusinessHours.objects.get()
    r = admin_client().post(f"/admin/sla/businesshours/{hours.pk}/change/", {"start": "09:00", "end": "17:00"})
    assert r.status_code == 302
    assert RuleChange.objects.filter(model="sla.BusinessHours", change="update").count() == 1
    body = client_for("agent").get(URL, {"received_at": "2026-11-27T16:45:00+08:00"}).json()
    forward = next(s for s in body["stages"] if s["stage"] == "forward")
    assert datetime.fromisoformat(forward["due_at"]) == datetime.fromisoformat("2026-11-30T10:45:00+08:00")
    r = admin_client().post(f"/admin/sla/businesshours/{hours.pk}/change/", {"start": "18:00", "end": "08:00"})
    assert r.status_code == 200  # refused
