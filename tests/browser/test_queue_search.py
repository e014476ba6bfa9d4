"""The agent's queue: the 待我处理 block, then a caller found by the last four
digits of their phone, and a search that finds nothing — at desktop width and
on a 390 px phone (no page-level horizontal scroll). Screenshots in
test-artifacts/queue-*.png."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from griddesk.organisation.demo import build_demo_org

from .test_walkthrough import ARTIFACTS, chromium_path, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="no chromium binary (apt-get install chromium; see `make browser-deps`)"),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width,height", [(1360, 900), (390, 844)])
def test_agent_finds_a_caller_by_phone(live_server, browser, width, height):
    from django.contrib.auth import get_user_model

    from griddesk.organisation.access import actor_for
    from griddesk.workorders import services
    from griddesk.workorders.serializers import IntakeSerializer

    from ..conftest import intake_payload

    build_demo_org()
    agent = actor_for(get_user_model().objects.get(username="agent"))
    numbers = []
    for i, (phone, content) in enumerate([("13812345678", "本月电费偏高，要求核查电表。"), ("13900001111", "表箱门损坏。")]):
        s = IntakeSerializer(data=intake_payload(customer={"account_no": f"88000000{i}", "name": f"客户{i}", "phone": phone}, content=content))
        s.is_valid(raise_exception=True)
        numbers.append(services.work_order_intake(actor=agent, data=s.to_data())[0].number)

    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": width, "height": height},
                                  is_mobile=width < 500, has_touch=width < 500)
    context.set_default_timeout(60_000)
    page = context.new_page()
    sign_in(page, live_server.url, "agent")
    assert page.locator("#todo .count").inner_text() == "2"
    tag = "phone" if width < 500 else "desktop"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"queue-todo-{tag}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.fill("#id_q", "5678")
    with page.expect_navigation():
        page.press("#id_q", "Enter")
    rows = page.locator("#queue tbody tr")
    assert rows.count() == 1 and rows.first.get_attribute("data-number") == numbers[0]
    page.screenshot(path=str(ARTIFACTS / f"queue-search-{tag}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.fill("#id_q", "查无此人")
    with page.expect_navigation():
        page.press("#id_q", "Enter")
    assert "已搜索" in page.locator("#search-empty").inner_text()
    page.screenshot(path=str(ARTIFACTS / f"queue-search-empty-{tag}.png"), full_page=True)
    context.close()
