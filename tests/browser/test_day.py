"""One working day in the web UI, every role on its own screen, with a screenshot
per step (test-artifacts/day-*.png):

- the marketing service specialist grades, routes and dispatches a complaint;
- the lead department (营销部) accepts it and sends the power-supply station;
- the station investigator, on a 390 × 844 phone, finds the task under 待我处理,
  opens it, attaches a site photo (a JPEG with EXIF time and GPS) and returns findings;
- the lead department writes the report: the station's findings are carried
  over into it and the station's photo is shown beside it;
- the manager confirms the report (one handler in 营销部: four eyes) — the
  specialist's role does not confirm reports;
- the specialist makes the return visit on the return-visit page;
- the manager opens the assessment page (KPI tiles, charts) and the monthly
  PDF report link answers with a PDF.

The other orders of the day (the demo-like backdrop the assessment counts)
are walked through the services."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from griddesk.organisation.demo import build_demo_org

from .test_phone import PHONE, SMALL_TARGETS_JS, TAPPABLE
from .test_walkthrough import ARTIFACTS, CHROMIUM_ARGS, POLICY_WATCH, _policy_message, chromium_path, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="no chromium binary (apt-get install chromium; see `make browser-deps`)"),
]


@pytest.fixture
def screens(transactional_db):
    """``(desk, phone)``: a desktop page and a phone page (390 × 844, touch) in one browser."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from django.db import connections

    connections.close_all()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        # reduced motion: the charts draw at once, so a screenshot shows them whole
        common = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai", "reduced_motion": "reduce"}
        contexts = [
            browser.new_context(viewport={"width": 1360, "height": 1000}, **common),
            browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, **common),
        ]
        problems: list[str] = []
        pages = []
        for context in contexts:
            context.set_default_timeout(30_000)
            context.add_init_script(POLICY_WATCH)
            page = context.new_page()
            page.on("console", lambda msg: problems.append(msg.text) if _policy_message(msg.text) or msg.type == "error" else None)
            page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
            pages.append(page)
        try:
            yield pages[0], pages[1]
        finally:
            for context in contexts:
                context.close()
            browser.close()
            connections.close_all()
        assert problems == [], problems


def _backdrop() -> None:
    """Earlier orders of the month, so the manager's assessment has figures."""
    from tests.walk import walk_to

    for i, state in enumerate(["assessed", "assessed", "archived", "visited", "investigating"]):
        walk_to(state, customer={"account_no": f"77000000{i:02d}", "name": "钱八", "phone": f"1370000{i:04d}", "category": "residential"})


@pytest.mark.django_db(transaction=True)
def test_a_day_of_the_specialist_the_lead_department_the_station_and_the_manager(live_server, screens, settings, tmp_path):
    from griddesk.assessment.rollups import rollup_refresh
    from griddesk.attachments.models import Attachment
    from griddesk.satisfaction.models import VisitTask
    from griddesk.workorders.models import WorkOrder
    from tests.walk import walk_to

    from ..attachments import files

    settings.MEDIA_ROOT = tmp_path
    build_demo_org()
    _backdrop()
    number = walk_to("forwarded", customer={
        "account_no": "3300112299", "name": "张三", "phone": "13812341234", "category": "residential",
        "address": "江城市东湖路88号3单元501",
    }).number
    desk, phone = screens
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    step = iter(range(1, 100))

    def shot(page, name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"day-{next(step):02d}-{name}.png"), full_page=True)

    def open_from_queue(page, query: str = "") -> None:
        page.goto(f"{base}/{query}")
        with page.expect_navigation():
            page.click(f'#queue a[href="/orders/{number}/"]')
        page.wait_for_selector("#order-number")

    def act(page, action: str, fill: dict[str, str] | None = None, *, select: dict[str, str] | None = None,
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

    def state(page) -> str:
        return page.locator("#order-state").get_attribute("data-state") or ""

    # ── The specialist: grade (the suggestion is preselected), route, dispatch.
    sign_in(desk, base, "specialist")
    open_from_queue(desk)
    assert desk.locator("#action-grade select[name=grade]").input_value() == "3"
    shot(desk, "specialist-grade")
    act(desk, "grade")
    assert state(desk) == "graded"
    act(desk, "dispatch")
    assert state(desk) == "dispatched" and "营销部" in desk.locator("#leads").inner_text()
    shot(desk, "specialist-dispatched")

    # ── The lead department accepts and sends the station on site.
    sign_in(desk, base, "marketing")
    open_from_queue(desk)
    act(desk, "accept")
    act(desk, "assign_station", {"note": "请到现场核查表计并拍照"}, check=['input[name="stations"][value="east-ps-1"]'])
    assert state(desk) == "investigating"
    shot(desk, "lead-station-sent")

    # ── The station investigator on a phone: 待我处理 → the order → photo → findings.
    sign_in(phone, base, "station")
    todo = phone.locator(f'#todo li[data-todo="{number}"]')
    assert todo.count() == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "station-phone-todo")
    with phone.expect_navigation():
        todo.locator("a").click()
    assert phone.locator("#station-tasks").inner_text().count("请到现场核查表计并拍照") == 1
    photo = tmp_path / "表箱现场.jpg"
    photo.write_bytes(files.jpeg((1600, 1200), taken="2026:12:03 10:15:42", gps=(30.59017, 114.30033)))
    phone.locator("#attach-file").set_input_files(str(photo))
    assert phone.locator("#attach-stage").input_value() == "station_findings"
    phone.fill("#attach-note", "表箱封印完好，读数 03512")
    with phone.expect_navigation():
        phone.click('#attach-form button[type="submit"]')
    assert phone.locator(".msg-success").count() == 1
    item = phone.locator("#attachments li.attachment").first
    assert item.locator(".exif-time").inner_text() == "2026-12-03 10:15:42"
    phone.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=item.locator("img").element_handle())
    act(phone, "station_findings", {"findings": "现场核查电表运行正常，封印完好，读数无误。"})
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert phone.evaluate(SMALL_TARGETS_JS, [TAPPABLE, 44]) == []
    shot(phone, "station-phone-findings-returned")

    # ── The lead department writes the report: the findings carried over, the photo beside them.
    sign_in(desk, base, "marketing")
    open_from_queue(desk)
    findings = desk.locator("#action-submit_report textarea[name=findings]")
    assert findings.input_value() == "城关供电所：现场核查电表运行正常，封印完好，读数无误。"
    photos = desk.locator("#report-station-photos img")
    assert photos.count() == 1 and photos.get_attribute("alt") == "表箱现场.jpg"
    desk.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photos.element_handle())
    desk.locator("#action-submit_report").scroll_into_view_if_needed()
    shot(desk, "lead-report-form")
    findings.fill(findings.input_value() + "\n电表校验合格，电费按阶梯电价计算无误。")
    act(desk, "submit_report", {
        "responsibility": "非我公司责任，客户用电量增加所致。",
        "rectification": "向客户解释阶梯电价政策，提供用电分析。",
    })
    assert state(desk) == "reported"
    assert "城关供电所：现场核查电表运行正常" in desk.locator("#reports").inner_text()
    report_photo = desk.locator("#reports-station-photos img")  # the report shows the station's photo
    assert report_photo.count() == 1 and report_photo.get_attribute("alt") == "表箱现场.jpg"
    desk.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=report_photo.element_handle())
    shot(desk, "lead-reported")

    # ── Four eyes: 营销部 has one handler, so the manager confirms.
    sign_in(desk, base, "manager")
    open_from_queue(desk)
    act(desk, "confirm_report")
    assert state(desk) == "fed_back"

    # ── The specialist calls the customer back from the return-visit page.
    sign_in(desk, base, "specialist")
    task = VisitTask.objects.get(order__number=number, state="open")
    desk.goto(f"{base}/satisfaction/visits/")
    with desk.expect_navigation():
        desk.click(f'a[href="/satisfaction/visits/{task.pk}/"]')
    assert desk.locator("#visit-state").inner_text() == "待回访"
    assert desk.locator('#visit-phone a[href="tel:13812341234"]').count() == 1
    assert "城关供电所：现场核查电表运行正常" in desk.locator("#visit-report").inner_text()
    shot(desk, "specialist-return-visit")
    desk.select_option("#v-method", "phone")
    desk.select_option("#v-outcome", "satisfied")
    desk.select_option("#v-solved", "1")
    desk.fill("#v-words", "解释清楚了，满意")
    with desk.expect_navigation():
        desk.click("#record-outcome")
    assert desk.locator("#visit-state").inner_text() == "已回访"
    assert WorkOrder.objects.get(number=number).state == "visited"
    shot(desk, "specialist-visited")

    # ── The manager: assessment (KPI tiles, charts) and the monthly PDF.
    rollup_refresh()
    sign_in(desk, base, "manager")
    with desk.expect_navigation():
        desk.click("#nav-assessment")
    desk.wait_for_selector("#chart-trend canvas")
    tiles = desk.locator("#kpi-tiles")
    assert tiles.locator("> *").count() >= 3 and any(ch.isdigit() for ch in tiles.inner_text())
    desk.wait_for_timeout(300)  # ECharts' first paint
    shot(desk, "manager-assessment")
    href = desk.locator("#pdf-report").get_attribute("href")
    pdf = desk.request.get(f"{base}{href}")
    assert pdf.status == 200 and pdf.headers["content-type"].startswith("application/pdf")
    assert pdf.body()[:5] == b"%PDF-"
    open_from_queue(desk, "?state=all")
    assert desk.locator("#attachments li.attachment img").count() == 1
    shot(desk, "manager-order")
    assert Attachment.objects.filter(order__number=number, stage="station_findings").count() == 1
