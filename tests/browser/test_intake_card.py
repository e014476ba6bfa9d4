"""Intake that knows the caller: the agent types the caller's phone, picks
the customer among those sharing it, sees the card (station, open order,
repeat warning), accepts the new number offered for the record, and files
the order — at desktop width and on a 390 px phone (no page-level horizontal
scroll). Screenshots in test-artifacts/intake-*.png."""

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
def test_agent_types_the_phone_sees_the_card_and_files_the_order(live_server, browser, width, height):
    from django.contrib.auth import get_user_model

    from griddesk.customers.models import Customer, CustomerChange, PiiAccess
    from griddesk.organisation.access import actor_for
    from griddesk.organisation.models import Department
    from griddesk.workorders import services
    from griddesk.workorders.models import WorkOrder
    from griddesk.workorders.serializers import IntakeSerializer

    from ..conftest import intake_payload

    build_demo_org()
    Customer.objects.create(account_no="7700000001", name="陈东湖", phone="13700000001", sensitive=True,
                            station=Department.objects.get(code="east-ps-1"))
    Customer.objects.create(account_no="7700000002", name="吴西山", phone="13700000001",
                            station=Department.objects.get(code="west-ps-2"))
    agent = actor_for(get_user_model().objects.get(username="agent"))
    s = IntakeSerializer(data=intake_payload(customer={"account_no": "7700000001", "phone": "13700000001"},
                                             category="business.tariff", content="上月电费异常，要求核查。"))
    s.is_valid(raise_exception=True)
    earlier = services.work_order_intake(actor=agent, data=s.to_data())[0]

    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": width, "height": height},
                                  is_mobile=width < 500, has_touch=width < 500)
    context.set_default_timeout(60_000)
    page = context.new_page()
    sign_in(page, live_server.url, "agent")
    page.goto(f"{live_server.url}/orders/new/")
    tag = "phone" if width < 500 else "desktop"
    ARTIFACTS.mkdir(exist_ok=True)

    page.select_option("#f-category", "business.tariff")
    page.locator("#f-customer-phone").press_sequentially("13700000001", delay=20)
    page.wait_for_selector("#card-choices")
    assert page.locator("#card-choices .pick-account").count() == 2
    page.locator("#customer-card").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"intake-choices-{tag}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.click(".pick-account[data-account='7700000001']")
    page.wait_for_selector("#card[data-account='7700000001']")
    assert page.input_value("#f-customer-account_no") == "7700000001"
    card = page.locator("#card").inner_text()
    assert "陈东湖" in card and "城关供电所" in card and "敏感客户" in card and earlier.number in card
    assert "疑似重复投诉" in page.locator("#card-repeat").inner_text()
    assert "已受理" in card

    page.fill("#f-customer-phone", "")
    page.locator("#f-customer-phone").press_sequentially("13799998888", delay=20)
    page.wait_for_selector("#card-offer-phone")
    assert "来电号码 13799998888 与档案不同" in page.locator("#card-offer-phone").inner_text()
    page.check("#f-update_customer_phone")
    page.fill("#f-content", "客户再次反映电费偏高，要求上门核查电表。")
    page.locator("#customer-card").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"intake-card-{tag}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    with page.expect_navigation():
        page.click("#intake-submit")
    order = WorkOrder.objects.select_related("company", "customer").latest("pk")
    assert page.url.endswith(f"/orders/{order.number}/")
    assert order.company.code == "east" and order.contact_phone == "13799998888" and order.is_repeat
    assert order.customer.phone == "13799998888"
    assert CustomerChange.objects.get().order_number == order.number
    assert PiiAccess.objects.filter(via="web-intake-phone").count() >= 1
    page.screenshot(path=str(ARTIFACTS / f"intake-filed-{tag}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
