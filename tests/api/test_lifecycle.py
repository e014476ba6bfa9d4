"""A complaint walked through the seed paper's stages over the API."""

from __future__ import annotations

from griddesk.workorders.models import WorkOrder, WorkOrderEvent


def test_complaint_walks_from_intake_to_archived(make_order, act, client_for):
    order = make_order()
    n = order["number"]
    assert order["state"] == "received"
    assert n.startswith("TS")
    assert order["suggested_grade"] == 3  # business category → marketing
    act("agent", n, "forward")
    graded = act("specialist", n, "grade", grade=3, complexity="ordinary")
    assert graded["grade"] == 3
    dispatched = act("specialist", n, "dispatch")
    assert dispatched["lead_departments"] == ["city-marketing"]
    act("marketing", n, "accept")
    act("marketing", n, "assign_station", stations=["east-ps-1"])
    # The report cannot go in while the station has not answered.
    r = act("marketing", n, "submit_report", expect=409, findings="f", responsibility="r", rectification="m", company_at_fault=False)
    assert r["code"] == "open_station_tasks"
    act("station", n, "station_findings", findings="现场核查电表运行正常，读数无误。")
    act(
        "marketing", n, "submit_report",
        findings="电表校验合格，电费按阶梯电价计算无误。",
        responsibility="非我公司责任，客户用电量增加所致。",
        rectification="向客户解释阶梯电价政策，提供用电分析。",
        company_at_fault=False,
    )
    fed = act("manager", n, "confirm_report")  # four eyes: not the submitter
    assert fed["state"] == "fed_back"
    act("specialist", n, "return_visit", method="phone", outcome="satisfied", customer_words="满意")
    act("manager", n, "assess")
    done = act("manager", n, "archive")
    assert done["state"] == "archived"
    assert done["allowed_actions"] == []

    events = client_for("agent").get(f"/api/v1/work-orders/{n}/events/").json()
    assert [e["action"] for e in events] == [
        "create", "forward", "grade", "dispatch", "accept", "assign_station", "station_findings",
        "submit_report", "confirm_report", "return_visit", "assess", "archive",
    ]
    assert [e["seq"] for e in events] == list(range(1, 13))
    assert events[1]["from_state"] == "received" and events[1]["to_state"] == "forwarded"
    assert WorkOrderEvent.objects.filter(order__number=n).count() == 12
    assert WorkOrder.objects.get(number=n).version == 12


def test_grade_one_goes_to_audit_and_marketing_jointly(make_order, act):
    n = make_order(channel="12345", content="客户称多次投诉无果，已向12345市长热线反映，并表示将向媒体曝光。")["number"]
    act("agent", n, "forward")
    o = act("specialist", n, "grade", grade=1, complexity="important")
    assert o["suggested_grade"] == 1 and o["escalated"] is True
    o = act("specialist", n, "dispatch")
    assert o["lead_departments"] == ["city-audit", "city-marketing"]
    # Either lead department may act.
    act("audit", n, "accept")


def test_unsatisfied_return_visit_reopens_as_repeat(make_order, act):
    n = make_order(category="service.attitude", content="营业厅工作人员态度恶劣，推诿不办。")["number"]
    act("agent", n, "forward")
    act("specialist", n, "grade", grade=2, complexity="ordinary")
    o = act("specialist", n, "dispatch")
    assert o["lead_departments"] == ["city-audit"]
    act("audit", n, "accept")
    act("audit", n, "submit_report", findings="属实", responsibility="营业员服务不规范", rectification="批评教育并培训", company_at_fault=True)
    act("manager", n, "confirm_report")  # four eyes: not the submitter
    o = act("specialist", n, "return_visit", method="phone", outcome="unsatisfied", customer_words="问题没解决")
    assert o["state"] == "investigating"
    assert o["is_repeat"] is True and o["reopen_count"] == 1


def test_the_api_shows_the_running_stage_clock(make_order, act) -> None:
    """Forwarding by the 95598 station, then grading, each has its own limit (SLA stage policies)."""
    order = make_order()
    assert order["stage"] == "forward" and order["stage_deadline_at"] and order["stage_overdue"] is False
    forwarded = act("agent", order["number"], "forward")
    assert forwarded["stage"] == "grade" and forwarded["stage_deadline_at"]
    graded = act("specialist", order["number"], "grade", grade=3, complexity="ordinary")
    assert graded["stage"] == "" and graded["stage_deadline_at"] is None
