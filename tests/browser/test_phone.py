"""Every page of the 95598 agent's and the station investigator's day on a phone
(390 × 844, touch): no page-level horizontal scrolling, buttons and the links
one taps to move on at least 44 px tall, the customer's phone a tap-to-call
link where the role sees the number. Screenshots: test-artifacts/phone-*.png.

The pages are those the header's navigation offers the role (the test fails
if the header offers one it does not visit), plus each order page in the
states the role meets."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from griddesk.organisation.demo import build_demo_org

from .test_walkthrough import ARTIFACTS, CHROMIUM_ARGS, POLICY_WATCH, _policy_message, chromium_path, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="no chromium binary (apt-get install chromium; see `make browser-deps`)"),
]

PHONE = {"width": 390, "height": 844}
MIN_TOUCH = 44

#: What a thumb taps on a phone: every button, the form controls of the action
#: forms, the header's navigation, and the links that move on to the next page
#: (the queue's and the to-do list's order numbers, the page head's links, the pager).
TAPPABLE = ", ".join([
    "main button", "main a.button", "main select", "main input:not([type])", "main input[type=text]", "main input[type=number]",
    "main input[type=file]", "main input[type=search]", "main input[type=password]", "main label.choice", "main .filters a",
    ".mainnav a", "#inbox-bell", "#logout", "main .pagehead a", "main .pager a",
    "#todo .todo-list > li > a", "#queue td:first-child > a", "#inbox a", "#customer-phone a",
])

SMALL_TARGETS_JS = """([selector, min]) => Array.from(document.querySelectorAll(selector))
  .filter(el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden"; })
  .filter(el => el.getBoundingClientRect().height < min - 0.5)
  .map(el => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className ? "." + String(el.className).replace(/ +/g, ".") : ""} "${(el.innerText || el.value || el.name || "").trim().slice(0, 20)}" ${Math.round(el.getBoundingClientRect().height)}px`)"""


@pytest.fixture
def phone(transactional_db):
    sync_api = pytest.importorskip("playwright.sync_api")
    from django.db import connections

    connections.close_all()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
        )
        context.set_default_timeout(30_000)
        context.add_init_script(POLICY_WATCH)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda msg: problems.append(msg.text) if _policy_message(msg.text) or msg.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
        page.problems = problems  # type: ignore[attr-defined]
        try:
            yield page
        finally:
            context.close()
            browser.close()
            connections.close_all()
        assert problems == [], problems


def _day() -> dict[str, str]:
    """A demo-like day: the agent's orders in every state they meet, one with
    a site task open at the demo station and one whose findings came back."""
    from django.contrib.auth import get_user_model

    from griddesk.organisation.access import actor_for
    from griddesk.workorders import services
    from tests.walk import walk_to

    build_demo_org()
    people = [("张三", "13812341234"), ("李四", "13912345678"), ("王五", "13700001111"), ("赵六", "13600002222")]
    numbers: dict[str, str] = {}
    for i, state in enumerate(["received", "forwarded", "dispatched", "fed_back", "archived"]):
        name, phone = people[i % len(people)]
        numbers[state] = walk_to(state, customer={
            "account_no": f"330011220{i}", "name": name, "phone": phone, "category": "residential",
            "address": "江城市东湖路88号3单元501",
        }).number
    marketing = actor_for(get_user_model().objects.get(username="marketing"))
    station = actor_for(get_user_model().objects.get(username="station"))
    for key in ("site", "site_done"):
        order = walk_to("dispatched", customer={"account_no": f"33001123{len(numbers)}", "name": "孙七", "phone": "13500003333", "category": "residential"})
        services.work_order_act(order=order.number, actor=marketing, action="accept", data={})
        services.work_order_act(order=order.number, actor=marketing, action="assign_station",
                                data={"stations": ["east-ps-1"], "note": "请到现场核查表计并拍照"})
        numbers[key] = order.number
    services.work_order_act(order=numbers["site_done"], actor=station, action="station_findings",
                            data={"findings": "现场核查电表运行正常，封印完好。"})
    return numbers


def _check_page(page, base: str, role: str, name: str, path: str, ready: str, seen: set[str]) -> None:
    page.goto(f"{base}{path}")
    page.wait_for_selector(ready)
    page.wait_for_timeout(150)
    seen.add(path.split("?")[0])
    page.screenshot(path=str(ARTIFACTS / f"phone-{role}-{name}.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (role, name, width, page.evaluate(WIDEST_JS))
    small = page.evaluate(SMALL_TARGETS_JS, [TAPPABLE, MIN_TOUCH])
    assert small == [], (role, name, small)


#: For a failure message: the elements that stick out on the right.
WIDEST_JS = """Array.from(document.querySelectorAll("body *")).filter(el => el.getBoundingClientRect().right > 391)
  .slice(0, 8).map(el => el.tagName + (el.id ? "#" + el.id : "") + "." + el.className + " " + Math.round(el.getBoundingClientRect().right))"""


def _nav_paths(page) -> set[str]:
    return set(page.eval_on_selector_all(".mainnav a, #inbox-bell", "els => els.map(a => new URL(a.href).pathname)"))


@pytest.mark.django_db(transaction=True)
def test_the_agents_and_the_stations_day_fit_a_phone(live_server, phone, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    n = _day()
    page = phone
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)

    # The 95598 agent: queue (as cards), search, intake, imports, every order state, inbox.
    sign_in(page, base, "agent")
    seen: set[str] = set()
    pages = [
        ("queue", "/", "#queue"),
        ("search", "/?q=13812341234", "#queue"),
        ("intake", "/orders/new/", "#intake-submit"),
        ("imports", "/imports/", "main h1"),
        ("inbox", "/inbox/", "main h1"),
    ]
    pages += [(f"order-{state}", f"/orders/{n[state]}/", "#order-number") for state in ("received", "forwarded", "dispatched", "fed_back", "archived")]
    for name, path, ready in pages:
        _check_page(page, base, "agent", name, path, ready, seen)
    if page.locator("#nav-opinion").count():
        for name, path, ready in [("opinion-board", "/opinion/", "main h1"), ("opinion-new", "/opinion/new/", "main h1")]:
            _check_page(page, base, "agent", name, path, ready, seen)
    assert _nav_paths(page) <= seen, _nav_paths(page) - seen
    # The agent sees the number: tapping it calls the customer.
    page.goto(f"{base}/orders/{n['received']}/")
    call = page.locator('#customer-phone a[href^="tel:"]')
    assert call.count() == 1 and call.get_attribute("href") == "tel:13812341234"
    # The queue is cards on a phone: no header row, one bordered card per order.
    page.goto(f"{base}/")
    assert not page.locator("#queue thead").is_visible()
    assert page.locator("#queue tbody tr").first.evaluate("tr => getComputedStyle(tr).display") == "block"

    # The station investigator: 待我处理, the open site task, the one done, inbox.
    sign_in(page, base, "station")
    seen = set()
    for name, path, ready in [
        ("queue", "/", "#todo"),
        ("todo", "/?todo=on", "#queue"),
        ("order-site-task", f"/orders/{n['site']}/", "#action-station_findings"),
        ("order-findings-returned", f"/orders/{n['site_done']}/", "#order-number"),
        ("inbox", "/inbox/", "main h1"),
    ]:
        _check_page(page, base, "station", name, path, ready, seen)
    assert _nav_paths(page) <= seen, _nav_paths(page) - seen
    page.goto(f"{base}/orders/{n['site']}/")
    assert page.locator('#customer-phone a[href^="tel:"]').get_attribute("href") == "tel:13500003333"
    # Stacked, what the station does (the findings form) comes before the gallery and the timeline.
    top = {sel: page.locator(sel).bounding_box()["y"] for sel in ("#station-tasks", "#action-station_findings", "#attachments", "#timeline")}
    assert top["#station-tasks"] < top["#action-station_findings"] < top["#attachments"] < top["#timeline"], top
    widths = {sel: round(page.locator(sel).bounding_box()["width"]) for sel in ("#customer", "#actions", "#attachments", "#timeline")}
    assert len(set(widths.values())) == 1, widths  # every card the screen's width

    # A role that sees the number masked gets plain text, not a link to a wrong number.
    sign_in(page, base, "manager")
    page.goto(f"{base}/orders/{n['received']}/")
    assert page.locator("#pii-masked").count() == 1
    assert page.locator("#customer-phone a").count() == 0
    assert page.locator("#customer-phone").inner_text() == "138****1234"
