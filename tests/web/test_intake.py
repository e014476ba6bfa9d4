"""The intake form: validated by the API's IntakeSerializer, errors inline in Chinese."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from griddesk.workorders.models import WorkOrder

SHANGHAI = ZoneInfo("Asia/Shanghai")


def form(**overrides):
    received = (timezone.now() - timedelta(hours=2)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    data = {
        "channel": "95598",
        "type": "complaint",
        "category": "business.tariff",
        "received_at": received,
        "external_id": "",
        "title": "",
        "content": "客户反映电费异常。",
        "remedy_sought": "",
        "customer.account_no": "3300998877",
        "customer.name": "李四",
        "customer.phone": "13900001111",
        "customer.address": "江城市西山路1号",
        "customer.category": "residential",
    }
    data.update(overrides)
    return data


def field_block(body: str, name: str) -> str:
    start = body.index(f'name="{name}"')
    return body[start : body.index("</div>", start)]


@pytest.mark.parametrize(("username", "status"), [("agent", 200), ("specialist", 200), ("admin", 200), ("manager", 403), ("leader", 403), ("marketing", 403), ("station", 403)])
def test_form_is_for_intake_roles(web, username, status):
    r = web(username).get("/orders/new/")
    assert r.status_code == status
    if status == 403:
        assert "无权受理" in r.content.decode()
    else:
        assert 'id="intake-form"' in r.content.decode()


def test_intake_creates_the_order_with_beijing_time(web):
    r = web("agent").post("/orders/new/", form(**{"received_at": "2026-03-02T09:30", "external_id": "95598-WEB-1"}))
    assert r.status_code == 302
    order = WorkOrder.objects.get(external_id="95598-WEB-1")
    assert r["Location"] == f"/orders/{order.number}/"
    assert order.received_at == datetime(2026, 3, 2, 1, 30, tzinfo=ZoneInfo("UTC"))
    assert order.customer.phone == "13900001111" and order.category.code == "business.tariff"
    page = web("agent").get(r["Location"]).content.decode()
    assert f"已受理工单 {order.number}" in page


def test_same_external_id_returns_the_existing_order(web):
    first = web("agent").post("/orders/new/", form(external_id="95598-WEB-2"))
    second = web("agent").post("/orders/new/", form(external_id="95598-WEB-2", content="再次来电"))
    assert first["Location"] == second["Location"]
    assert WorkOrder.objects.filter(external_id="95598-WEB-2").count() == 1
    assert "已存在" in web("agent").get(second["Location"]).content.decode()


def test_order_without_customer(web):
    empty = {"customer.account_no": "", "customer.name": "", "customer.phone": "", "customer.address": "", "type": "inquiry", "category": ""}
    r = web("agent").post("/orders/new/", form(**empty))
    assert r.status_code == 400  # its return visit could reach nobody
    assert "该工单需要回访" in r.content.decode() and not WorkOrder.objects.exists()
    r = web("agent").post("/orders/new/", form(anonymous="on", **empty))
    assert r.status_code == 302
    assert WorkOrder.objects.get().customer is None


def test_errors_are_inline_and_input_is_kept(web):
    r = web("agent").post(
        "/orders/new/",
        form(content="", **{"customer.phone": "call me", "customer.account_no": "33-00", "customer.name": "王五"}),
    )
    assert r.status_code == 400
    body = r.content.decode()
    assert "请更正标出的字段" in body
    assert "该字段是必填项。" in field_block(body, "content")
    assert "不是有效的电话号码" in field_block(body, "customer.phone")
    assert "只能包含字母和数字" in field_block(body, "customer.account_no")
    assert 'value="王五"' in body  # what was typed stays
    assert not WorkOrder.objects.exists()


def test_time_errors(web):
    future = (timezone.now() + timedelta(days=2)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    body = web("agent").post("/orders/new/", form(received_at=future)).content.decode()
    assert "时间晚于当前时间" in field_block(body, "received_at")
    body = web("agent").post("/orders/new/", form(received_at="yesterday")).content.decode()
    assert "日期时间格式错误" in field_block(body, "received_at")
    for old_day in ("0072-09-21T10:00", "1900-01-01T08:00"):  # once accepted (number TS720921000001)
        r = web("agent").post("/orders/new/", form(received_at=old_day))
        assert r.status_code == 400
        assert "日期须在 2000-01-01 至 2100-12-31 之间" in field_block(r.content.decode(), "received_at")
    assert not WorkOrder.objects.exists()


def test_bad_choices_and_unknown_category(web):
    body = web("agent").post("/orders/new/", form(channel="pigeon")).content.decode()
    assert "不是合法选项" in field_block(body, "channel")
    r = web("agent").post("/orders/new/", form(category="nope.none"))
    assert r.status_code == 400
    assert "未知的业务分类" in field_block(r.content.decode(), "category")
    assert not WorkOrder.objects.exists()


def test_control_characters_are_refused(web):
    body = web("agent").post("/orders/new/", form(content="bad\x07bell")).content.decode()
    assert "控制字符" in field_block(body, "content")
