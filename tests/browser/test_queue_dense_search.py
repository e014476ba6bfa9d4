"""The specialist searches the queue for a common pair (表箱): on PostgreSQL at
scale the statistics call it dense, the page is walked in the queue's order and
the count is an estimate in words (约 13.2 万张工单) with a pager that names
the page but no total. Forced here (a small database is never dense), at
desktop width and on a 390 px phone (no page-level horizontal scroll).
Screenshots in test-artifacts/queue-dense-*.png."""

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
def test_a_dense_search_shows_an_estimated_count(live_server, browser, monkeypatch, width, height):
    from django.contrib.auth import get_user_model

    from griddesk.common import pagination
    from griddesk.organisation.access import actor_for
    from griddesk.web import views
    from griddesk.workorders import search, services
    from griddesk.workorders.serializers import IntakeSerializer

    from ..conftest import intake_payload

    build_demo_org()
    agent = actor_for(get_user_model().objects.get(username="agent"))
    for i in range(7):
        s = IntakeSerializer(data=intake_payload(content=f"小区{i}号楼表箱门损坏，雨天有漏电危险，请尽快处理。"))
        s.is_valid(raise_exception=True)
        services.work_order_intake(actor=agent, data=s.to_data())
    monkeypatch.setattr(search, "search_is_dense", lambda p: True)
    monkeypatch.setattr(pagination, "_planner_estimate", lambda qs: 132_456)
    monkeypatch.setattr(views, "PAGE_SIZE", 5)

    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": width, "height": height},
                                  is_mobile=width < 500, has_touch=width < 500)
    context.set_default_timeout(60_000)
    page = context.new_page()
    sign_in(page, live_server.url, "specialist")
    page.fill("#id_q", "表箱")
    with page.expect_navigation():
        page.press("#id_q", "Enter")
    assert page.locator("#count-estimate").inner_text() == "约 13.2 万张工单"
    assert page.locator("#queue tbody tr").count() == 5
    assert page.locator("nav.pager span").inner_text() == "第 1 页"
    tag = "phone" if width < 500 else "desktop"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"queue-dense-{tag}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    with page.expect_navigation():
        page.click("nav.pager >> text=下一页")
    assert page.locator("#queue tbody tr").count() == 2  # the last page: 7 orders, 5 a page
    assert page.locator("nav.pager span").inner_text() == "第 2 页"
    assert page.locator("nav.pager >> text=下一页").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
