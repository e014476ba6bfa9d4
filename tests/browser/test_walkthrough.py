"""One complaint walked from intake to archive through the web UI in headless chromium.

Every step is done the way a user does it: log in on the login page, open the
order from the queue, fill in the action's small form and click its button.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls in
# the test body would otherwise be refused as "async unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from griddesk.organisation.demo import DEMO_PASSWORD, build_demo_org
from griddesk.workorders.models import WorkOrder

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    for candidate in ("/usr/lib/chromium/chromium", "/usr/bin/chromium"):
        if os.path.exists(candidate):
            return candidate
    return shutil.which("chromium")


def sign_in(page, base: str, username: str) -> None:
    """Log in on the login page as a demo user (signing out first if needed)."""
    if page.locator("#logout").count():
        with page.expect_navigation():
            page.click("#logout")
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#whoami")


pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="no chromium binary (apt-get install chromium; see `make browser-deps`)"),
]


@pytest.fixture
def browser_page(transactional_db):
    sync_api = pytest.importorskip("playwright.sync_api")
    from django.db import connections

    # Under Playwright's sync API the test body runs in another async context, in
    # which Django opens connections of its own. Close them on both sides of that
    # boundary, or PostgreSQL refuses to drop the test database at the end.
    connections.close_all()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1360, "height": 1000},
                                      reduced_motion="reduce")  # charts draw at once: screenshots show them whole
        context.set_default_timeout(15_000)
        # Every page must work under the Content-Security-Policy: a blocked
        # script, style or frame (or a Permissions-Policy the browser doesn't
        # understand) fails the test that saw it.
        context.add_init_script(POLICY_WATCH)
        page = context.new_page()
        violations: list[str] = []
        page.on("console", lambda msg: violations.append(msg.text) if _policy_message(msg.text) else None)
        page.policy_violations = violations  # type: ignore[attr-defined]
        try:
            yield page
        finally:
            context.close()
            browser.close()
            connections.close_all()  # the ones opened inside Playwright's context
        expected = getattr(page, "expected_policy_violations", 0)
        assert len(violations) == expected, f"policy violations in the browser: {violations}"


POLICY_WATCH = """document.addEventListener("securitypolicyviolation", function (e) {
  console.error("Content Security Policy violation: " + e.violatedDirective + " blocked " + e.blockedURI);
});"""


def _policy_message(text: str) -> bool:
    return "Content Security Policy" in text or "Permissions-Policy" in text or "Permissions policy" in text


@pytest.mark.django_db(transaction=True)
def test_complaint_from_intake_to_archive(live_server, browser_page):
    build_demo_org()  # also re-seeds the reference data a flushed database lacks
    page = browser_page
    base = live_server.url

    def login(username: str) -> None:
        sign_in(page, base, username)

    def open_from_queue(number: str, query: str = "") -> None:
        page.goto(f"{base}/{query}")
        with page.expect_navigation():
            page.click(f'#queue a[href="/orders/{number}/"]')
        page.wait_for_selector("#order-number")

    def act(action: str, fill: dict[str, str] | None = None, *, select: dict[str, str] | None = None,
            check: list[str] | None = None) -> None:
        form = page.locator(f"#action-{action}")
        for name, value in (fill or {}).items():
            form.locator(f'[name="{name}"]').fill(value)
        for name, value in (select or {}).items():
            form.locator(f'select[name="{name}"]').select_option(value)
        for selector in check or []:
            form.locator(selector).check()
        with page.expect_navigation():
            form.locator('button[type="submit"]').click()
        assert page.locator(".msg-success").count() == 1, page.content()[-3000:]

    def state() -> str:
        return page.locator("#order-state").get_attribute("data-state") or ""

    # 95598 agent takes the complaint in through the intake form and forwards it.
    login("agent")
    with page.expect_navigation():
        page.click('nav a[href="/orders/new/"]')
    page.select_option("#f-channel", "95598")
    page.select_option("#f-type", "complaint")
    page.select_option("#f-category", "business.tariff")
    page.fill("#f-content", "客户反映本月电费比上月高出很多，怀疑电表计量有误，要求核查。")
    page.fill("#f-customer-account_no", "3300112233")
    page.fill("#f-customer-name", "张三")
    page.fill("#f-customer-phone", "13812341234")
    page.fill("#f-customer-address", "江城市东湖路88号3单元501")
    with page.expect_navigation():
        page.click("#intake-submit")
    number = page.locator("#order-number").inner_text().strip()
    assert number.startswith("TS") and state() == "received"
    assert page.locator("#customer-phone").inner_text() == "13812341234"
    act("forward")
    assert state() == "forwarded"

    # Marketing service specialist grades (the suggestion is preselected) and dispatches by the rules.
    login("specialist")
    open_from_queue(number)
    act("grade")
    assert state() == "graded"
    act("dispatch")
    assert state() == "dispatched"
    assert "营销部" in page.locator("#leads").inner_text()

    # The lead department accepts and sends a power-supply station to verify on site.
    login("marketing")
    open_from_queue(number)
    act("accept")
    act("assign_station", check=['input[name="stations"][value="east-ps-1"]'])
    assert state() == "investigating"

    # The station returns its findings.
    login("station")
    open_from_queue(number)
    act("station_findings", {"findings": "现场核查电表运行正常，读数无误。"})

    # The lead department reports and confirms; the order is fed back.
    login("marketing")
    open_from_queue(number)
    act("submit_report", {
        "findings": "电表校验合格，电费按阶梯电价计算无误。",
        "responsibility": "非我公司责任，客户用电量增加所致。",
        "rectification": "向客户解释阶梯电价政策，提供用电分析。",
    })
    assert state() == "reported"
    # Four eyes: city-marketing has one handler, so the manager confirms the report.
    login("manager")
    open_from_queue(number)
    act("confirm_report")
    assert state() == "fed_back"

    # The specialist calls the customer back.
    login("specialist")
    open_from_queue(number)
    act("return_visit", {"customer_words": "满意"}, select={"method": "phone", "outcome": "satisfied"})
    assert state() == "visited"

    # The manager assesses and archives; personal data is masked for the manager.
    login("manager")
    open_from_queue(number, "?state=all")
    assert page.locator("#pii-masked").count() == 1
    assert page.locator("#customer-phone").inner_text() == "138****1234"
    act("assess")
    act("archive")

    assert state() == "archived"
    assert page.locator("#order-state").inner_text().strip() == "已归档"
    assert page.locator("#no-actions").is_visible()
    assert page.locator("#timeline li[data-action]").count() == 12
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "walkthrough.png"), full_page=True)
    assert WorkOrder.objects.get(number=number).state == "archived"
