"""The order page offers exactly the allowed actions, each posting to the service."""

from __future__ import annotations

import re

import pytest

from griddesk.workorders import selectors, services
from griddesk.workorders.models import StationTask, WorkOrder
from griddesk.workorders.serializers import IntakeSerializer

from ..conftest import intake_payload
from .conftest import actor


def forms_on(body: str) -> set[str]:
    return set(re.findall(r'<form [^>]*id="action-([a-z_]+)"', body))


def form_html(body: str, action: str) -> str:
    start = body.index(f'id="action-{action}"')
    return body[start : body.index("</form>", start)]


@pytest.mark.parametrize(
    ("state", "username", "expected"),
    [
        ("received", "agent", {"forward", "invalidate", "merge", "urge"}),
        ("received", "specialist", {"invalidate", "merge"}),
        ("received", "manager", {"urge"}),
        ("received", "leader", set()),
        ("forwarded", "specialist", {"grade", "invalidate", "merge"}),
        ("graded", "specialist", {"grade", "dispatch", "invalidate", "merge"}),
        ("dispatched", "marketing", {"accept", "suspend"}),  # 挂起 (issue 3)
        ("dispatched", "agent", {"urge"}),
        # no station task open: nothing to record findings for
        ("investigating", "marketing", {"assign_station", "submit_report", "suspend"}),
        ("reported", "marketing", {"return_report"}),  # four eyes: marketing submitted the report
        ("reported", "manager", {"confirm_report", "return_report", "urge"}),
        ("fed_back", "specialist", {"return_visit", "reopen"}),
        ("visited", "manager", {"assess", "reopen"}),
        ("assessed", "manager", {"archive", "reopen"}),
        ("archived", "manager", set()),
        ("archived", "admin", set()),
    ],
)
def test_only_allowed_actions_have_forms(web, order_in, state, username, expected):
    order = order_in(state)
    assert set(selectors.allowed_actions(actor(username), order)) == expected
    body = web(username).get(f"/orders/{order.number}/").content.decode()
    assert forms_on(body) == expected
    assert ('id="no-actions"' in body) is (not expected)


def test_forms_carry_the_fields_their_action_needs(web, order_in):
    order = order_in("forwarded")
    body = web("specialist").get(f"/orders/{order.number}/").content.decode()
    grade = form_html(body, "grade")
    assert 'name="grade"' in grade and 'name="complexity"' in grade and 'name="reason"' in grade
    assert '<option value="3" selected>' in grade  # the suggestion is preselected
    assert 'name="version" value="2"' in grade
    merge = form_html(body, "merge")
    assert 'name="into"' in merge
    invalidate = form_html(body, "invalidate")
    assert 'name="reason"' in invalidate and 'name="note"' not in invalidate


def test_walk_through_the_forms(web, order_in):
    order = order_in("received")
    n = order.number

    def post(username: str, action: str, expect: int = 302, **data):
        r = web(username).post(f"/orders/{n}/actions/", {"action": action, **data})
        assert r.status_code == expect, (action, r.status_code, r.content.decode()[-3000:])
        return r

    r = post("agent", "forward")
    assert r["Location"] == f"/orders/{n}/"
    post("specialist", "grade", grade="3", complexity="ordinary")
    post("specialist", "dispatch")
    post("marketing", "accept")
    post("marketing", "assign_station", stations=["east-ps-1", "east-ps-2"])
    assert StationTask.objects.filter(order=order, state="open").count() == 2
    station_page = web("station").get(f"/orders/{n}/").content.decode()
    assert forms_on(station_page) == {"station_findings"}
    assert 'name="station"' not in form_html(station_page, "station_findings")  # implied by the user's station
    post("station", "station_findings", findings="电表正常")
    # The lead handler answers for the other station and picks it.
    marketing_page = web("marketing").get(f"/orders/{n}/").content.decode()
    assert 'name="station"' not in form_html(marketing_page, "station_findings")  # only one task left
    post("marketing", "station_findings", findings="线路正常")
    # Every task answered: no findings form left to fill in (the service would refuse it).
    assert "station_findings" not in forms_on(web("marketing").get(f"/orders/{n}/").content.decode())
    post("marketing", "submit_report", findings="属实", responsibility="无责", rectification="解释")
    wo = WorkOrder.objects.get(pk=order.pk)
    assert wo.state == "reported" and wo.reports.get().company_at_fault is False  # unticked box = no
    post("manager", "confirm_report", note="确认")  # four eyes
    post("specialist", "return_visit", method="phone", outcome="satisfied", solved="true", customer_words="满意")
    assert wo.return_visits.get().solved is True
    post("manager", "assess", score="95.5")
    post("manager", "archive")
    page = web("manager").get(f"/orders/{n}/").content.decode()
    assert 'data-state="archived"' in page and "已归档" in page
    assert "“归档”已完成" in page or "已完成" in page
    timeline = page[page.index('id="timeline"') :]
    assert timeline.count("<li data-action=") == 13


def test_grade_override_without_reason_is_shown_inline(web, order_in):
    order = order_in("forwarded")
    r = web("specialist").post(f"/orders/{order.number}/actions/", {"action": "grade", "grade": "1", "complexity": "important"})
    assert r.status_code == 400
    grade = form_html(r.content.decode(), "grade")
    assert "与建议定级" in grade  # "A reason is required when the grade differs from the suggestion"
    assert '<option value="1" selected>' in grade  # the input is kept
    assert WorkOrder.objects.get(pk=order.pk).state == "forwarded"


def test_serializer_errors_are_shown_inline_in_chinese(web, order_in):
    order = order_in("fed_back")
    r = web("specialist").post(f"/orders/{order.number}/actions/", {"action": "return_visit", "method": "phone"})
    assert r.status_code == 400
    visit = form_html(r.content.decode(), "return_visit")
    assert "该字段是必填项。" in visit
    assert WorkOrder.objects.get(pk=order.pk).state == "fed_back"


def test_required_note_for_return_report(web, order_in):
    order = order_in("reported")
    r = web("marketing").post(f"/orders/{order.number}/actions/", {"action": "return_report", "note": "  "})
    assert r.status_code == 400
    assert "请说明报告缺少什么" in form_html(r.content.decode(), "return_report")


def test_stale_form_gets_a_409_message(web, order_in):
    order = order_in("received")
    r = web("agent").post(f"/orders/{order.number}/actions/", {"action": "forward", "version": str(order.version - 1)})
    assert r.status_code == 409
    body = r.content.decode()
    assert "已被他人修改" in body and 'class="msg msg-error"' in body


def test_action_from_wrong_state_gets_a_409_message(web, order_in):
    order = order_in("forwarded")
    r = web("agent").post(f"/orders/{order.number}/actions/", {"action": "forward"})
    assert r.status_code == 409
    assert "不能执行" in r.content.decode()


def test_action_by_wrong_role_gets_a_403_message(web, order_in):
    order = order_in("assessed")
    r = web("leader").post(f"/orders/{order.number}/actions/", {"action": "archive"})
    assert r.status_code == 403
    assert "无权" in r.content.decode()
    assert WorkOrder.objects.get(pk=order.pk).state == "assessed"


def test_unknown_action_and_invisible_order(web, order_in):
    order = order_in("received")
    r = web("agent").post(f"/orders/{order.number}/actions/", {"action": "explode"})
    assert r.status_code == 400
    assert web("marketing").post(f"/orders/{order.number}/actions/", {"action": "accept"}).status_code == 404
    assert web("agent").get(f"/orders/{order.number}/actions/").status_code == 405


def test_merge_into_unknown_order_is_shown_inline(web, order_in):
    order = order_in("received")
    r = web("agent").post(f"/orders/{order.number}/actions/", {"action": "merge", "into": "TS000"})
    assert r.status_code == 400
    assert "未找到工单 TS000" in form_html(r.content.decode(), "merge")


def test_forward_button_is_named_for_who_presses_it(web):
    """The 95598 agent forwards to the specialist (转派营销专责); the specialist
    forwarding an order they took in themselves takes it over for grading — a
    button saying "forward to the specialist" to the specialist is wrong."""
    from django.contrib.auth import get_user_model

    s = IntakeSerializer(data=intake_payload(channel="inspection"))
    s.is_valid(raise_exception=True)
    own, _ = services.work_order_intake(actor=actor("specialist"), data=s.to_data())
    body = web("specialist").get(f"/orders/{own.number}/").content.decode()
    assert "forward" in forms_on(body)
    button = re.search(r'<button type="submit"[^>]*>(.*?)</button>', form_html(body + "</form>", "forward"), re.S).group(1)
    assert button == "接手定级", button
    assert "专责" not in button and "专人" not in button
    assert get_user_model().objects.filter(username="agent").exists()
    s = IntakeSerializer(data=intake_payload())
    s.is_valid(raise_exception=True)
    theirs, _ = services.work_order_intake(actor=actor("agent"), data=s.to_data())
    body = web("agent").get(f"/orders/{theirs.number}/").content.decode()
    button = re.search(r'<button type="submit"[^>]*>(.*?)</button>', form_html(body + "</form>", "forward"), re.S).group(1)
    assert button == "转派营销专责", button
