"""The order page's 回复95598中心 panel in headless chromium: a result the center
acknowledged (receipt, times in Asia/Shanghai) and a visit outcome whose delivery
failed and is being retried, close to its limit. Desktop and 390 px (no page
scroll sideways). Screenshots: test-artifacts/center-reply-{1360,390}.png."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from tests.center.conftest import center  # noqa: F401 — the local "95598 center" fixture

from . import test_walkthrough
from .test_walkthrough import ARTIFACTS, build_demo_org, sign_in

browser_page = test_walkthrough.browser_page
pytestmark = test_walkthrough.pytestmark


@pytest.mark.django_db(transaction=True)
def test_the_reply_status_on_the_order_page(live_server, browser_page, settings, center):  # noqa: F811
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from griddesk.center import services
    from griddesk.center.models import Reply
    from griddesk.organisation.access import actor_for
    from griddesk.workorders import services as workorders
    from tests.conftest import restore_seed_data
    from tests.walk import PATH, admin_actor, manager_actor, new_order

    restore_seed_data()
    build_demo_org()
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    settings.GRIDDESK_WEBHOOK_ALLOWED_HOSTS = "127.0.0.1"
    admin = actor_for(get_user_model().objects.get(username="admin"))
    services.endpoint_save(actor=admin, url=center.url)
    order = new_order()
    for action, data in PATH[:7]:  # … confirm_report (acknowledged in the answer), return_visit
        if action == "return_visit":
            center.answers = [(500, b"busy")]
        who = manager_actor() if action == "confirm_report" else admin_actor()
        workorders.work_order_act(order=order.number, actor=who, action=action, data=data)
    result, visit = Reply.objects.order_by("pk")
    assert result.receipt == "HZ-0001" and visit.delivery.state == "pending" and visit.delivery.attempts == 1
    Reply.objects.filter(pk=visit.pk).update(due_at=timezone.now() + timedelta(hours=2))  # inside the 4 h warning
    shanghai = timezone.localtime(result.acknowledged_at).strftime("%Y-%m-%d %H:%M")

    page = browser_page
    base = live_server.url
    sign_in(page, base, "admin")
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1360, 390):
        page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
        page.goto(f"{base}/orders/{order.number}/")
        panel = page.locator("#center-reply")
        panel.scroll_into_view_if_needed()
        text = panel.inner_text()
        assert "回复95598中心" in text and "处理结果" in text and "回访结果" in text
        assert "中心已确认" in text and "HZ-0001" in text and shanghai in text
        assert "发送失败，正在重试" in text and "临近期限" in text
        for code in ("acknowledged", "retrying", "result", "visit"):
            assert code not in text  # words, not codes
        page.screenshot(path=str(ARTIFACTS / f"center-reply-{width}.png"), full_page=True)
        panel.screenshot(path=str(ARTIFACTS / f"center-reply-panel-{width}.png"))
        if width == 390:
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
