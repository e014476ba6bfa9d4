"""/inbox/ with the notices of issue 13 §4 (dispatched, report returned,
reopened, new public-opinion order), raised by real actions through the
domain events: words not codes, the event time, at desktop width and on a
390 px phone (no page-level horizontal scroll). Screenshots in
test-artifacts/inbox-events-*.png."""

from __future__ import annotations

import os
import re

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from griddesk.organisation.demo import build_demo_org

from .test_walkthrough import ARTIFACTS, chromium_path, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="no chromium binary (apt-get install chromium; see `make browser-deps`)"),
]

CODES = re.compile(r"\b(dispatched|report_returned|reopened|opinion_order|investigating|reported|fed_back|graded|"
                   r"public_opinion|city-marketing)\b")


def _raise_notices() -> str:
    """Walk one complaint through dispatch, a returned report and an unsatisfied
    visit, and open a public-opinion order; each commit raises its notices."""
    from django.contrib.auth import get_user_model

    from griddesk.organisation.access import actor_for
    from griddesk.workorders import services as wo
    from griddesk.workorders.serializers import IntakeSerializer

    from ..conftest import intake_payload
    from ..walk import new_order

    def a(username: str):
        return actor_for(get_user_model().objects.get(username=username))

    n = new_order().number
    wo.work_order_forward(order=n, actor=a("agent"))
    wo.work_order_grade(order=n, actor=a("specialist"), grade=3, complexity="ordinary")
    wo.work_order_dispatch(order=n, actor=a("specialist"))
    wo.work_order_accept(order=n, actor=a("marketing"))
    report = {"findings": "核实", "responsibility": "无责", "rectification": "解释", "company_at_fault": False}
    wo.work_order_submit_report(order=n, actor=a("marketing"), **report)
    wo.work_order_return_report(order=n, actor=a("manager"), note="缺少现场照片和抄表记录")
    wo.work_order_submit_report(order=n, actor=a("marketing"), **report)
    wo.work_order_confirm_report(order=n, actor=a("manager"))
    wo.work_order_return_visit(order=n, actor=a("specialist"), method="phone", outcome="unsatisfied",
                               customer_words="电费问题仍未解决")
    s = IntakeSerializer(data=intake_payload(type="public_opinion", channel="media", customer=None, category=None,
                                             title="网帖反映城关片区频繁停电"))
    s.is_valid(raise_exception=True)
    wo.work_order_intake(actor=a("specialist"), data=s.to_data())
    return n


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width,height", [(1360, 900), (390, 844)])
def test_inbox_shows_the_event_notices(live_server, browser, width, height):
    from griddesk.notifications.models import Notification

    build_demo_org()
    number = _raise_notices()
    kinds = set(Notification.objects.filter(recipient__username="marketing").values_list("kind", flat=True))
    assert kinds == {"dispatched", "report_returned", "reopened", "opinion_order"}

    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": width, "height": height},
                                  is_mobile=width < 500, has_touch=width < 500)
    context.set_default_timeout(60_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live_server.url, "marketing")
    page.goto(f"{live_server.url}/inbox/")
    page.wait_for_selector("#inbox")
    tag = "phone" if width < 500 else "desktop"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"inbox-events-{tag}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    table = page.inner_text("#inbox")
    for words in ("派发到本部门", "报告退回", "工单重启", "新舆情防范工单", "已派发至营销部", "缺少现场照片和抄表记录",
                  "电费问题仍未解决", "网帖反映城关片区频繁停电", "李专责", "吴经理", "调查处理中", number):
        assert words in table, words
    assert not CODES.search(table), CODES.search(table)
    # The column's (on a phone: the card line's) label.
    assert page.locator("#inbox td.notice-time").first.get_attribute("data-label") == "发生时间"
    times = page.locator("#inbox td.notice-time time")
    assert times.count() == 4
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", times.first.inner_text())
    # The time and the order number are on screen, not behind a sideways scroll (cards on a phone).
    for cell in (times.first, page.locator("#inbox tbody tr").first.locator("a").first):
        box = cell.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    assert not errors, errors
