"""The reply to the 95598 center end to end: real order actions → a reply in
the outbox → a signed HTTP delivery to a real local "center" → its
acknowledgement recorded and shown on the order (no mocks)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from griddesk.center import services
from griddesk.center.contract import DEFAULT_MAPPING
from griddesk.center.models import Reply
from griddesk.notifications.models import Kind, Notification
from griddesk.webhooks import services as webhooks
from griddesk.webhooks.models import Attempt, Delivery
from tests.walk import PATH

from .conftest import make_due

TO_CONFIRMED = PATH[:6]  # forward … confirm_report (确认报告并反馈)


def test_the_result_reaches_the_center_signed_and_its_ack_is_recorded_and_shown(
    center: Any, configure: Any, make_order: Any, walk: Any, committed: Any, client: Any,
) -> None:
    secret = configure(center.url)
    order = committed(make_order)
    walk(order["number"], TO_CONFIRMED)

    (got,) = center.got  # only the reply: the center's subscription gets no ordinary webhook events
    body = Webhook(secret).verify(got.body, got.headers)  # a valid Standard Webhooks signature
    assert body == got.json and got.path == "/95598/reply"
    assert body["type"] == "work_order.report_confirmed"
    data = body["data"]
    assert sorted(data) == sorted(target for _, target in DEFAULT_MAPPING)  # the documented contract (keys sorted)
    reply = Reply.objects.get()
    assert data["reply_id"] == reply.pk and data["reply_type"] == "result"
    assert data["center_order_id"] == order["external_id"] and data["order_no"] == order["number"]
    assert data["state"] == "fed_back" and data["state_name"] == "已反馈"
    assert data["findings"] == "核实" and data["responsibility"] == "无责" and data["rectification"] == "解释"
    assert data["company_at_fault"] is False
    assert data["handler_name"] == "系统管理员" and data["handler_department"] == "江城供电公司"
    assert data["fed_back_by"] == "吴经理"
    assert data["fed_back_at"].endswith("+08:00") and body["timestamp"].endswith("+08:00")
    assert data["visit_outcome"] is None and data["reopened_at"] is None
    assert got.headers["webhook-id"] == f"msg_{reply.event_id.hex}_{reply.delivery.subscription_id}"

    reply.refresh_from_db()
    assert reply.acknowledged_at is not None and reply.receipt == "HZ-0001" and reply.ack_source == "response"
    assert reply.delivery.state == "delivered"

    client.force_login(reply.delivery.subscription.created_by)
    page = client.get(f"/orders/{order['number']}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'id="center-reply"' in page and "中心已确认" in page and "HZ-0001" in page
    local = timezone.localtime(reply.acknowledged_at).strftime("%Y-%m-%d %H:%M")  # Asia/Shanghai
    panel = re.sub(r"<[^>]+>", " ", page.split('id="center-reply"')[1].split("</section>")[0])
    assert local in panel and "处理结果" in panel
    assert "acknowledged" not in panel and "result" not in panel  # words, not codes


def test_a_500_is_retried_then_the_ack_in_the_answer_is_recorded(
    center: Any, configure: Any, make_order: Any, walk: Any, committed: Any, client_for: Any,
) -> None:
    secret = configure(center.url)
    center.answers = [(500, b"busy")]
    order = committed(make_order)
    walk(order["number"], TO_CONFIRMED)
    reply = Reply.objects.get()
    d = reply.delivery
    assert d.state == "pending" and d.attempts == 1 and d.last_status == 500
    row = client_for("admin").get("/api/v1/center/replies/").json()["results"][0]
    assert row["status"] == "retrying" and row["status_label"] == "发送失败，正在重试" and row["attempts"] == 1
    make_due(d)
    committed(webhooks.sweep)
    d.refresh_from_db()
    reply.refresh_from_db()
    assert d.state == "delivered" and [a.status for a in Attempt.objects.filter(delivery=d)] == [500, 200]
    assert len({g.headers["webhook-id"] for g in center.got}) == 1  # the same id on the retry: the center dedupes
    for g in center.got:
        Webhook(secret).verify(g.body, g.headers)
    assert reply.receipt == "HZ-0001" and reply.acknowledged_at is not None


def test_non_95598_orders_and_orders_without_the_centers_id_get_no_reply(
    center: Any, configure: Any, make_order: Any, walk: Any, committed: Any,
) -> None:
    configure(center.url)
    online = committed(make_order, channel="online", external_id=None)
    walk(online["number"], TO_CONFIRMED)
    hotline_no_id = committed(make_order, external_id=None)
    walk(hotline_no_id["number"], TO_CONFIRMED)
    assert Reply.objects.count() == 0 and Delivery.objects.count() == 0 and center.got == []


def test_without_a_center_nothing_is_replied(center: Any, make_order: Any, walk: Any, committed: Any, client: Any) -> None:
    order = committed(make_order)
    walk(order["number"], TO_CONFIRMED)
    assert Reply.objects.count() == 0 and Delivery.objects.count() == 0
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="admin"))
    page = client.get(f"/orders/{order['number']}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "未配置95598中心接口" in page


def test_a_rolled_back_confirmation_replies_nothing(center: Any, configure: Any, make_order: Any, walk: Any,
                                                    committed: Any, act: Any,
                                                    django_capture_on_commit_callbacks: Any) -> None:
    configure(center.url)
    order = committed(make_order)
    walk(order["number"], TO_CONFIRMED[:-1])

    class Boom(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Boom), transaction.atomic():
        act("manager", order["number"], "confirm_report")
        assert Reply.objects.count() == 1  # written in the change's transaction …
        raise Boom
    assert Reply.objects.count() == 0 and Delivery.objects.count() == 0 and center.got == []  # … and gone with it


def test_the_visit_outcome_and_reopenings_are_further_replies(
    center: Any, configure: Any, make_order: Any, walk: Any, committed: Any,
) -> None:
    configure(center.url)
    order = committed(make_order)
    number = order["number"]
    walk(number, TO_CONFIRMED)
    walk(number, [("return_visit", {"method": "phone", "outcome": "unsatisfied", "customer_words": "还是不满意"})])
    # the unsatisfied visit reopened the order: handled again, confirmed again → a new result
    walk(number, [("submit_report", {"findings": "复查：表计正常", "responsibility": "无责", "rectification": "再次解释",
                                     "company_at_fault": False}), ("confirm_report", {})])
    walk(number, [("return_visit", {"method": "phone", "outcome": "satisfied"}), ("assess", {})])
    walk(number, [("reopen", {"reason": "中心要求重新核实"})])

    kinds = [(g.json["type"], g.json["data"]["reply_type"]) for g in center.got]
    assert kinds == [
        ("work_order.report_confirmed", "result"), ("work_order.visited", "visit"),
        ("work_order.report_confirmed", "result"), ("work_order.visited", "visit"), ("work_order.reopened", "reopen"),
    ]
    first_visit, second_result, second_visit, reopen = (g.json["data"] for g in center.got[1:])
    assert first_visit["visit_outcome"] == "unsatisfied" and first_visit["visit_outcome_name"] == "不满意"
    assert first_visit["state"] == "investigating" and first_visit["reopened_at"] is not None
    assert first_visit["visitor_name"] == "系统管理员" and first_visit["visited_at"].endswith("+08:00")
    assert "还是不满意" not in str(first_visit)  # the customer's words stay in GridDesk
    assert second_result["findings"] == "复查：表计正常" and second_result["reopen_count"] == 1
    assert second_visit["visit_outcome"] == "satisfied" and second_visit["reopened_at"] is None
    assert reopen["reopen_reason"] == "中心要求重新核实" and reopen["state"] == "investigating"
    assert reopen["reopen_count"] == 2
    assert Reply.objects.filter(acknowledged_at__isnull=False).count() == 5
    assert len({g.headers["webhook-id"] for g in center.got}) == 5


def test_an_unacknowledged_reply_near_its_limit_warns_once(
    center: Any, configure: Any, make_order: Any, walk: Any, committed: Any, client_for: Any,
) -> None:
    configure(center.url)
    center.default = (200, b"received")  # accepted, but no acknowledgement in the answer
    order = committed(make_order)
    walk(order["number"], TO_CONFIRMED)
    reply = Reply.objects.get()
    assert reply.acknowledged_at is None and reply.delivery.state == "delivered"
    assert reply.due_at - reply.occurred_at == timedelta(hours=24)  # the seeded rule (ADR 0030)

    assert services.replies_warn(now=reply.due_at - timedelta(hours=5)) == 0  # not yet within 4 h
    api = client_for("admin")
    assert api.get("/api/v1/center/replies/?at_risk=1").json()["results"] == []

    assert services.replies_warn(now=reply.due_at - timedelta(hours=3)) == 1
    notices = Notification.objects.filter(kind=Kind.CENTER_REPLY_DUE)
    assert {n.recipient.username for n in notices} == {"manager", "admin"}  # who confirmed, and the administrators
    n = notices.get(recipient__username="manager")
    assert n.order_id == reply.order_id and order["number"] in n.title and "未确认" in n.title
    assert timezone.localtime(reply.due_at).strftime("%Y-%m-%d %H:%M") in n.body and "已发送，等待中心确认" in n.body
    assert services.replies_warn(now=reply.due_at - timedelta(hours=1)) == 0  # once per reply
    assert notices.count() == 2

    Reply.objects.filter(pk=reply.pk).update(due_at=timezone.now() + timedelta(hours=1))
    (row,) = api.get("/api/v1/center/replies/?at_risk=1").json()["results"]
    assert row["id"] == reply.pk and row["at_risk"] is True and row["overdue"] is False and row["status"] == "sent"
    Reply.objects.filter(pk=reply.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    (row,) = api.get(f"/api/v1/center/replies/?order={order['number']}").json()["results"]
    assert row["overdue"] is True


def test_an_acknowledged_reply_is_never_warned_about(center: Any, configure: Any, make_order: Any, walk: Any,
                                                     committed: Any) -> None:
    configure(center.url)
    order = committed(make_order)
    walk(order["number"], TO_CONFIRMED)
    reply = Reply.objects.get()
    assert reply.acknowledged_at is not None
    assert services.replies_warn(now=reply.due_at + timedelta(hours=1)) == 0
    assert not Notification.objects.filter(kind=Kind.CENTER_REPLY_DUE).exists()
