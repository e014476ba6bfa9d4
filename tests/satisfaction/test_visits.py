"""Return-visit tasks: opened on feed-back, attempts, outcomes through the core action."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from griddesk.engines import workdays
from griddesk.satisfaction.models import VisitAttempt, VisitRule, VisitTask
from griddesk.workorders import rules
from griddesk.workorders.models import ReturnVisit, WorkOrder, WorkOrderEvent
from tests.walk import walk_to

pytestmark = pytest.mark.django_db


_acct = iter(range(10_000_000, 99_999_999))


def fed_back() -> WorkOrder:
    """A fed-back order of a fresh customer (the same customer twice would be a repeat, graded differently)."""
    n = next(_acct)
    return walk_to("fed_back", customer={"account_no": f"77{n}", "name": "张三", "phone": "13812341234", "category": "residential"})


def _task(order: WorkOrder) -> VisitTask:
    return VisitTask.objects.get(order=order, state="open")


def test_feed_back_opens_task_due_in_working_days(org):
    VisitRule.objects.filter(code="default").update(due_working_days=3)
    before = timezone.now()
    order = fed_back()
    task = _task(order)
    assert task.round == 1 and task.assignee == "specialist"
    assert task.department.code == "city-marketing"
    expected = workdays.working_day_deadline(before, 3, rules.calendar()).due_at
    assert abs((task.due_at - expected).total_seconds()) < 5
    assert task.max_attempts == 3


def test_rule_assigns_customer_center(org, client_for):
    VisitRule.objects.filter(code="default").update(assignee="customer_center")
    order = fed_back()
    task = _task(order)
    assert task.department.code == "city-ccc"
    # The customer service center's handler sees it in "my visits" and may record it.
    r = client_for("service_center").get("/api/v1/return-visits/")
    assert [t["order"] for t in r.json()["results"]] == [order.number]
    r = client_for("service_center").post(
        f"/api/v1/return-visits/{task.pk}/outcome/", {"method": "phone", "outcome": "satisfied", "solved": True}, format="json"
    )
    assert r.status_code == 200, r.content
    order.refresh_from_db()
    assert order.state == "visited"
    ev = WorkOrderEvent.objects.filter(order=order, action="return_visit").get()
    assert ev.actor.username == "service_center"
    # Another lead department may not.
    order2 = fed_back()
    r = client_for("marketing").post(
        f"/api/v1/return-visits/{_task(order2).pk}/outcome/", {"method": "phone", "outcome": "satisfied"}, format="json"
    )
    assert r.status_code == 404


def test_list_due_first_overdue_flagged(org, client_for):
    a = fed_back()
    b = fed_back()
    VisitTask.objects.filter(order=b).update(due_at=timezone.now() - timedelta(hours=1))
    body = client_for("specialist").get("/api/v1/return-visits/").json()
    rows = body["results"]
    assert [r["order"] for r in rows] == [b.number, a.number]
    assert rows[0]["overdue"] is True and rows[1]["overdue"] is False
    assert rows[0]["customer"]["phone"] == "13812341234"  # specialists see it (PII role)
    # The read-only leader sees the list masked; an agent sees nothing.
    led = client_for("leader").get("/api/v1/return-visits/").json()["results"]
    assert led[0]["customer"]["masked"] is True and "1234" not in led[0]["customer"]["phone"][3:7]
    assert client_for("agent").get("/api/v1/return-visits/").json()["results"] == []


def test_satisfied_outcome_closes_task_through_core(org, client_for):
    order = fed_back()
    task = _task(order)
    r = client_for("specialist").post(
        f"/api/v1/return-visits/{task.pk}/outcome/",
        {"method": "phone", "outcome": "basically_satisfied", "customer_words": "还行", "solved": True}, format="json",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["state"] == "done" and body["outcome"] == "basically_satisfied"
    assert body["attempts"][0]["reached"] is True  # the successful contact is logged as an attempt
    order.refresh_from_db()
    assert order.state == "visited"
    visit = ReturnVisit.objects.get(order=order)
    assert visit.outcome == "basically_satisfied" and visit.solved is True
    ev = WorkOrderEvent.objects.get(order=order, action="return_visit")
    assert ev.data["task"] == task.pk
    # Retrying the same outcome is a no-op; a different one conflicts.
    r = client_for("specialist").post(f"/api/v1/return-visits/{task.pk}/outcome/", {"method": "phone", "outcome": "basically_satisfied"}, format="json")
    assert r.status_code == 200 and ReturnVisit.objects.filter(order=order).count() == 1
    r = client_for("specialist").post(f"/api/v1/return-visits/{task.pk}/outcome/", {"method": "phone", "outcome": "unsatisfied", "customer_words": "x"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "visit_closed"


def test_unsatisfied_reopens_with_words_and_new_round(org, client_for, act):
    order = fed_back()
    task = _task(order)
    r = client_for("specialist").post(
        f"/api/v1/return-visits/{task.pk}/outcome/", {"method": "phone", "outcome": "unsatisfied"}, format="json"
    )
    assert r.status_code == 400 and r.json()["errors"]["customer_words"][0]["code"] == "required"
    words = "电表还是不准，问题没有解决"
    r = client_for("specialist").post(
        f"/api/v1/return-visits/{task.pk}/outcome/",
        {"method": "phone", "outcome": "unsatisfied", "customer_words": words, "solved": False}, format="json",
    )
    assert r.status_code == 200, r.content
    order.refresh_from_db()
    assert order.state == "investigating" and order.is_repeat and order.reopen_count == 1
    ev = WorkOrderEvent.objects.get(order=order, action="return_visit")
    assert ev.note == words and ev.data["reopened"] is True
    task.refresh_from_db()
    assert task.state == "done" and task.customer_words == words
    # Second handling → fed back again → round 2.
    act("admin", order.number, "submit_report", findings="复核", responsibility="表计", rectification="换表", company_at_fault=True)
    act("manager", order.number, "confirm_report")  # four eyes: not the submitter
    t2 = _task(order)
    assert t2.round == 2


def test_failed_attempts_make_unreachable_and_order_proceeds(org, client_for):
    VisitRule.objects.filter(code="default").update(max_attempts=2)
    order = fed_back()
    task = _task(order)
    c = client_for("specialist")
    url = f"/api/v1/return-visits/{task.pk}/attempts/"
    r = c.post(url, {"method": "phone", "reached": False, "note": "无人接听", "client_key": "k1"}, format="json")
    assert r.status_code == 201 and r.json()["failed_attempts"] == 1 and r.json()["state"] == "open"
    # A retry with the same key is not a second attempt.
    r = c.post(url, {"method": "phone", "reached": False, "note": "无人接听", "client_key": "k1"}, format="json")
    assert r.status_code == 200 and r.json()["failed_attempts"] == 1
    # "Unreachable" cannot be claimed early.
    r = c.post(f"/api/v1/return-visits/{task.pk}/outcome/", {"method": "sms", "outcome": "unreachable"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "too_few_attempts"
    r = c.post(url, {"method": "sms", "reached": False, "client_key": "k2"}, format="json")
    body = r.json()
    assert body["state"] == "done" and body["outcome"] == "unreachable"
    assert [a["method"] for a in body["attempts"]] == ["phone", "sms"]
    assert VisitAttempt.objects.filter(task=task).count() == 2
    order.refresh_from_db()
    assert order.state == "visited"
    assert c.post(url, {"method": "sms", "reached": False}, format="json").status_code == 409


def test_core_action_also_closes_task(org, act):
    order = fed_back()
    task = _task(order)
    act("specialist", order.number, "return_visit", method="wechat", outcome="satisfied")
    task.refresh_from_db()
    assert task.state == "done" and task.outcome == "satisfied" and task.visit is not None


def test_bad_input_is_400(org, client_for):
    task = _task(fed_back())
    r = client_for("specialist").post(f"/api/v1/return-visits/{task.pk}/attempts/", {"method": "pigeon", "reached": "x"}, format="json")
    assert r.status_code == 400 and set(r.json()["errors"]) == {"method", "reached"}
    assert client_for("specialist").get("/api/v1/return-visits/999999/").status_code == 404
    assert client_for("specialist").get("/api/v1/return-visits/?state=bogus").status_code == 400
