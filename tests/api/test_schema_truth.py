"""Real responses, with data behind them, validate against /api/schema/.

The schemathesis run (test_schemathesis.py) mostly meets empty lists and
unknown ids; here orders, events, notifications and calendar overrides exist,
so nullable fields, page objects and datetimes are checked on real rows."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.openapi import CheckedClient

pytestmark = pytest.mark.django_db


def test_work_order_responses_match_the_schema(org: Any, make_order: Any, act: Any) -> None:
    n = make_order()["number"]
    act("agent", n, "forward")
    agent = CheckedClient("agent")
    page = agent.call("GET", "/api/v1/work-orders/", expect=200)
    assert page["count"] >= 1 and page["results"][0]["number"]
    assert set(page) == {"count", "count_exact", "next", "previous", "results"}
    agent.call("GET", "/api/v1/work-orders/", "/api/v1/work-orders/?page_size=1&count=exact", expect=200)
    detail = agent.call("GET", "/api/v1/work-orders/{number}/", f"/api/v1/work-orders/{n}/", expect=200)
    assert detail["repeat_of"] is None and detail["merged_into"] is None
    events = agent.call("GET", "/api/v1/work-orders/{number}/events/", f"/api/v1/work-orders/{n}/events/", expect=200)
    assert [e["action"] for e in events] == ["create", "forward"]
    specialist = CheckedClient("specialist")
    specialist.call("POST", "/api/v1/work-orders/{number}/actions/", f"/api/v1/work-orders/{n}/actions/",
                    {"action": "grade", "grade": 3, "complexity": "ordinary"}, expect=200)
    specialist.call("GET", "/api/v1/work-orders/{number}/", "/api/v1/work-orders/TS-NONE/", expect=404)


def test_comment_responses_match_the_schema(org: Any, make_order: Any) -> None:
    n = make_order()["number"]
    agent = CheckedClient("agent")
    template = "/api/v1/work-orders/{number}/comments/"
    url = f"/api/v1/work-orders/{n}/comments/"
    made = agent.call("POST", template, url, {"body": "已联系客户"}, expect=201)
    assert made["author"] == "王坐席"
    assert agent.call("GET", template, url, expect=200)[0]["id"] == made["id"]
    agent.call("POST", template, url, {"body": ""}, expect=400)
    agent.call("POST", template, "/api/v1/work-orders/TS-NONE/comments/", {"body": "x"}, expect=404)
    CheckedClient("leader").call("POST", template, url, {"body": "x"}, expect=403)


def test_calendar_override_responses_match_the_schema(org: Any) -> None:
    admin = CheckedClient("admin")
    one = {"date": "2027-10-09", "is_workday": True, "source_notice": "国办发明电〔2026〕1号"}
    created = admin.call("POST", "/api/v1/calendar/overrides/", body=one, expect=201)
    assert created["status"] == "created" and created["date"] == "2027-10-09"
    updated = admin.call("POST", "/api/v1/calendar/overrides/", body={**one, "note": "调休"}, expect=200)
    assert updated["status"] == "updated"
    bulk = admin.call("POST", "/api/v1/calendar/overrides/",
                      body={"overrides": [{"date": "2027-10-10", "is_workday": False}], "notice": "通知"}, expect=200)
    assert bulk["created"] == 1 and bulk["confirmed_year"] is None
    year = admin.call("GET", "/api/v1/calendar/{year}/", "/api/v1/calendar/2027/", expect=200)
    assert {o["date"] for o in year["overrides"]} == {"2027-10-09", "2027-10-10"}
    admin.call("POST", "/api/v1/calendar/overrides/", body={"date": "2027-13-01"}, expect=400)
    admin.call("DELETE", "/api/v1/calendar/overrides/{day}/", "/api/v1/calendar/overrides/2027-10-09/", expect=204)
    CheckedClient("agent").call("POST", "/api/v1/calendar/overrides/", body=one, expect=403)


def test_deadline_and_inbox_responses_match_the_schema(org: Any, make_order: Any) -> None:
    make_order()
    agent = CheckedClient("agent")
    out = agent.call("GET", "/api/v1/sla/deadline/", "/api/v1/sla/deadline/?received_at=2026-09-30T10:00:00%2B08:00",
                     expect=200)
    assert out["due_at"].endswith("+08:00")
    agent.call("GET", "/api/v1/sla/deadline/", "/api/v1/sla/deadline/?received_at=2026-09-30T10:00:00", expect=400)
    inbox = CheckedClient("specialist").call("GET", "/api/v1/inbox/", expect=200)
    assert set(inbox) == {"count", "count_exact", "next", "previous", "results"}
