"""Issue 13 in a real browser: the A4 print view (screen, print media and a PDF),
internal comments added through the HTMX form on the order page, and saved
queue filters as chips — at desktop width and on a 390 px phone (no
page-level horizontal scroll). Screenshots in test-artifacts/print-*.png,
comments-*.png, saved-filters-*.png; the PDF in test-artifacts/order-print.pdf."""

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

SIZES = [(1360, 900), (390, 844)]


def _page(browser, width, height):
    """A page that records script errors and console errors (CSP violations among them) in ``page.errors``."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": width, "height": height},
                                  is_mobile=width < 500, has_touch=width < 500)
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(f"pageerror: {exc}"))
    # The comment form's deliberate 400 is logged by chromium as a failed resource; anything else is an error.
    page.on("console", lambda msg: page.errors.append(f"console.{msg.type}: {msg.text}")
            if msg.type == "error" and "400 (Bad Request)" not in msg.text else None)
    return context, page


def _tag(width):
    return "phone" if width < 500 else "desktop"


def _full_order():
    """An order fed back to the customer's return visit, through a station."""
    from django.contrib.auth import get_user_model

    from griddesk.organisation.access import actor_for
    from griddesk.workorders import services

    from ..conftest import restore_seed_data
    from ..walk import new_order

    restore_seed_data()
    org = build_demo_org()
    users = get_user_model().objects
    admin, manager = actor_for(users.get(username="admin")), actor_for(users.get(username="manager"))
    order = new_order(content="客户反映本月电费比上月高出很多，怀疑电表计量有误，要求上门核查。\n客户表示已多次来电。")
    station = org.stations[0].code
    steps = [
        ("forward", {}), ("grade", {"grade": 3, "complexity": "ordinary"}), ("dispatch", {}), ("accept", {}),
        ("assign_station", {"stations": [station]}),
        ("station_findings", {"findings": "现场核查电能表，运行正常，抄表数据无误；本月用电量增加系空调使用所致。"}),
        ("submit_report", {"findings": "经现场核查电能表计量准确，电量增加系季节性用电增长。", "responsibility": "供电公司无责任。",
                           "rectification": "已向客户解释电费构成，并提供节约用电建议。", "company_at_fault": False}),
    ]
    for action, data in steps:
        services.work_order_act(order=order.number, actor=admin, action=action, data=data)
    services.work_order_act(order=order.number, actor=manager, action="confirm_report", data={})
    services.work_order_act(order=order.number, actor=admin, action="return_visit",
                            data={"method": "phone", "outcome": "satisfied", "customer_words": "解释清楚了，谢谢。"})
    return order


@pytest.mark.django_db(transaction=True)
def test_print_view_on_screen_in_print_media_and_as_pdf(live_server, browser):
    order = _full_order()
    for width, height in SIZES:
        context, page = _page(browser, width, height)
        sign_in(page, live_server.url, "specialist")
        page.goto(f"{live_server.url}/orders/{order.number}/")
        with page.expect_navigation():
            page.click("#print-link")
        assert page.url.endswith(f"/orders/{order.number}/print/")
        assert page.locator("#print-number").inner_text() == order.number
        assert "客户服务工单" in page.locator("h1").inner_text()
        assert page.locator(".mainnav").count() == 0
        assert page.locator("#print-customer-phone").inner_text() == "13812341234"  # a specialist sees it (and it is logged)
        assert page.locator("#print-timeline tbody tr").count() == order.events.count()
        assert "系统管理员" in page.locator("#print-timeline").inner_text()  # people by name
        assert page.locator("#print-button").is_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"print-{_tag(width)}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if width > 500:
            page.emulate_media(media="print")
            assert not page.locator("#print-button").is_visible()  # the toolbar is not printed
            page.screenshot(path=str(ARTIFACTS / "print-media.png"), full_page=True)
            pdf = page.pdf(path=str(ARTIFACTS / "order-print.pdf"), prefer_css_page_size=True, print_background=True)
            boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
            assert boxes, "no page in the PDF"
            for w, h in boxes:  # A4 is 595 × 842 points
                assert abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2, (w, h)
        assert not page.errors, page.errors
        context.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width,height", SIZES)
def test_internal_comments_on_the_order_page(live_server, browser, width, height):
    from griddesk.workorders.models import WorkOrder, WorkOrderComment

    order = _full_order()
    version = WorkOrder.objects.get(pk=order.pk).version
    context, page = _page(browser, width, height)
    sign_in(page, live_server.url, "marketing")
    page.goto(f"{live_server.url}/orders/{order.number}/")
    assert page.locator("#no-comments").is_visible()
    page.fill("#comment-body", "已与客户电话沟通，客户认可核查结论。")
    page.click("#comment-submit")
    page.wait_for_selector("#comments .comment")
    sign_in(page, live_server.url, "specialist")
    page.goto(f"{live_server.url}/orders/{order.number}/#comments")
    page.fill("#comment-body", "请在回访记录中注明<节约用电建议>已送达。")
    page.click("#comment-submit")
    page.locator("#comments .comment").nth(1).wait_for()
    # An empty comment (the browser's own check bypassed) comes back with the message under the field.
    page.evaluate("document.getElementById('comment-body').removeAttribute('required')")
    page.fill("#comment-body", "   ")
    page.click("#comment-submit")
    page.wait_for_selector("#comments .error")
    assert page.locator("#comments .error").inner_text() == "请填写备注内容。"
    authors = page.locator("#comments .comment-author").all_inner_texts()
    assert authors == ["赵营销", "李专责"]
    assert "<节约用电建议>" in page.locator("#comments .comment").nth(1).inner_text()  # shown as typed, escaped
    assert WorkOrderComment.objects.filter(order=order).count() == 2
    assert WorkOrder.objects.get(pk=order.pk).version == version  # not a workflow step
    page.locator("#comments").scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"comments-{_tag(width)}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert not page.errors, page.errors
    context.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width,height", SIZES)
def test_saved_queue_filters(live_server, browser, width, height):
    from griddesk.web.models import SavedQueueFilter

    from ..conftest import restore_seed_data
    from ..walk import new_order

    restore_seed_data()
    build_demo_org()
    new_order()
    new_order(type="inquiry", category=None, content="咨询峰谷电价的执行时段。")
    context, page = _page(browser, width, height)
    sign_in(page, live_server.url, "agent")
    assert page.locator("#todo").is_visible() and page.locator("#save-filter").count() == 0
    page.select_option("#id_type", "complaint")
    with page.expect_navigation():
        page.click("#queue-filters button[type=submit]")
    page.fill("#save-filter-name", "全部投诉")
    with page.expect_navigation():
        page.click("#save-filter-submit")
    assert page.locator('.chip.active[data-saved="全部投诉"]').is_visible()
    page.select_option("#id_overdue", "no")
    page.select_option("#id_type", "inquiry")
    with page.expect_navigation():
        page.click("#queue-filters button[type=submit]")
    page.fill("#save-filter-name", "未超时的咨询工单")
    with page.expect_navigation():
        page.click("#save-filter-submit")
    # A duplicate name is refused on the page.
    page.fill("#save-filter-name", "全部投诉")
    with page.expect_navigation():
        page.click("#save-filter-submit")
    assert "您已有名为“全部投诉”的筛选。" in page.locator("#save-filter").inner_text()
    chips = page.locator("#saved-filters .chip")
    assert chips.first.get_attribute("id") == "chip-todo"  # 待我处理 stays first
    assert page.locator("#chip-todo").inner_text() == "待我处理"
    assert [c.strip() for c in page.locator("#saved-filters [data-saved] a").all_inner_texts()] == ["全部投诉", "未超时的咨询工单"]
    with page.expect_navigation():
        page.click('[data-saved="全部投诉"] a')
    assert page.locator("#queue tbody tr").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"saved-filters-{_tag(width)}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    with page.expect_navigation():
        page.click('[data-saved="未超时的咨询工单"] .chip-delete')
    assert page.locator('[data-saved="未超时的咨询工单"]').count() == 0
    assert list(SavedQueueFilter.objects.values_list("name", flat=True)) == ["全部投诉"]
    assert not page.errors, page.errors
    context.close()
