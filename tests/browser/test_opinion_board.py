"""The public-opinion board in headless chromium: demo items loaded through the
real intake, the board sorted by risk with its sparklines and trend charts
drawn by the vendored ECharts, no JavaScript errors; the riskiest new story
opened (risk explanation, highlighted text), judged by a monitoring-team
handler and transferred by the specialist through the forms; personal numbers
masked for a role without personal-data rights."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from griddesk.organisation.demo import build_demo_org

from ..conftest import restore_seed_data
from . import test_walkthrough
from .test_walkthrough import ARTIFACTS, chromium_path, sign_in

browser_page = test_walkthrough.browser_page  # the walkthrough's chromium fixture (Debian's /usr/bin/chromium)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="no chromium binary (apt-get install chromium; see `make browser-deps`)"),
]

RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


@pytest.mark.django_db(transaction=True)
def test_opinion_board_judge_and_transfer(live_server, browser_page):
    from griddesk.opinion.demo import load_opinion_demo
    from griddesk.opinion.models import Story, StoryEvent
    from griddesk.workorders.models import WorkOrder

    restore_seed_data()  # the flushed database lacks the data migrations' risk settings and keywords
    build_demo_org()
    out = load_opinion_demo()
    assert out["items"] > 40 and out["stories"] > 5

    page = browser_page
    base = live_server.url
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))

    def login(username: str) -> None:
        sign_in(page, base, username)

    # A handler of the joint monitoring team (audit department) opens the board.
    login("audit")
    page.goto(f"{base}/opinion/")
    rows = page.locator("#stories tbody tr")
    assert rows.count() >= 5
    keys = []
    for i in range(rows.count()):
        level = rows.nth(i).locator("td").nth(0).locator(".badge").get_attribute("class").split("risk-")[1].split()[0]
        score = float(rows.nth(i).locator("td").nth(1).inner_text())
        keys.append((RANK[level], score))
    assert keys == sorted(keys, reverse=True), keys  # riskiest first
    # ECharts drew every sparkline and both trend charts.
    page.wait_for_function("document.querySelectorAll('#trend-topic canvas, #trend-area canvas').length >= 2")
    assert page.locator("[data-spark] canvas").count() == rows.count()
    assert page.locator("#trend-topic canvas").count() >= 1 and page.locator("#trend-area canvas").count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "opinion-board.png"), full_page=True)

    # The riskiest story still new: filter, open it.
    page.select_option('#board-filters select[name="state"]', "new")
    with page.expect_navigation():
        page.click('#board-filters button[type="submit"]')
    first = page.locator("#stories tbody tr").first
    story_id = int(first.get_attribute("data-story"))
    expected = Story.objects.filter(state="new").order_by("-risk_rank", "-risk_score", "-last_seen", "-id").first()
    assert expected is not None and story_id == expected.pk
    with page.expect_navigation():
        first.locator("td.excerpt a").click()
    page.wait_for_selector("#explanation")
    signals = page.locator("#explanation tbody tr td:first-child").all_inner_texts()
    assert {"负面情绪", "话题严重度", "传播量"} <= set(signals), signals  # the signals by name, not code
    assert page.locator(".copy .content mark").count() >= 1  # places, keywords highlighted
    page.wait_for_function("document.querySelectorAll('#story-spark canvas').length >= 1")

    # Judge (研判) through the form.
    form = page.locator("#form-judge")
    form.locator('select[name="level"]').select_option("high")
    form.locator('input[name="may_cause_impact"]').check()
    form.locator('input[name="needs_transfer"]').check()
    form.locator('textarea[name="note"]').fill("停电集中、情绪激烈，可能引发投诉")
    with page.expect_navigation():
        form.locator('button[type="submit"]').click()
    assert page.locator("#story-state").inner_text().strip() in ("已研判", "Judged")
    assert page.locator("#form-transfer").count() == 0  # the audit handler may not transfer

    # The marketing service specialist transfers it: a prevention work order opens.
    login("specialist")
    page.goto(f"{base}/opinion/stories/{story_id}/")
    page.locator("#form-transfer textarea[name=note]").fill("转营销部牵头处理")
    with page.expect_navigation():
        page.locator('#form-transfer button[type="submit"]').click()
    page.wait_for_selector("#work-order-link")
    number = page.locator("#work-order-link").inner_text().strip()
    order = WorkOrder.objects.get(number=number)
    assert order.type == "public_opinion" and order.opinion_story.pk == story_id
    s = Story.objects.get(pk=story_id)
    assert s.state == "transferred" and s.judged_level == "high"
    assert [e.action for e in StoryEvent.objects.filter(story=s).order_by("seq")][-2:] == ["judge", "transfer"]
    page.screenshot(path=str(ARTIFACTS / "opinion-story.png"), full_page=True)

    # A leader (no personal-data rights) sees the 12345 transfer's numbers masked.
    login("leader")
    hotline = Story.objects.get(items__source_kind="12345")
    page.goto(f"{base}/opinion/stories/{hotline.pk}/")
    text = page.locator(".copy .content").first.inner_text()
    assert "13900001111" not in text and "139****1111" in text and "3300998877" not in text
    assert page.locator(".copy .badge.masked").count() >= 1

    page.goto(f"{base}/opinion/")
    page.wait_for_function("document.querySelectorAll('#trend-topic canvas').length >= 1")
    assert not errors, errors
