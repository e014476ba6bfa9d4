"""The pages the new-user walk looked at, in headless chromium: /assessment/ (its
charts drawn), an opinion story, /satisfaction/, a return visit and /inbox/ —
no JavaScript errors, words not codes, and at 390 px no horizontal page scroll.
Screenshots (desktop and 390 px) go to test-artifacts/walk-*.png."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from griddesk.organisation.demo import build_demo_org

from . import test_walkthrough
from .test_walkthrough import ARTIFACTS, chromium_path, sign_in

browser_page = test_walkthrough.browser_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="no chromium binary (apt-get install chromium; see `make browser-deps`)"),
]


def _data() -> dict[str, int]:
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from rest_framework.test import APIClient

    from griddesk.assessment.rollups import rollup_refresh
    from griddesk.notifications.tasks import watch_deadlines
    from griddesk.satisfaction import defaults
    from griddesk.satisfaction.demo import demo_satisfaction
    from griddesk.satisfaction.models import Questionnaire, VisitTask
    from tests.opinion.conftest import item_payload
    from tests.walk import walk_to

    build_demo_org()
    defaults.seed(apps)
    Questionnaire.objects.filter(code=defaults.DEFAULT_CODE).update(bootstrap=30)
    demo_satisfaction(n=300, seed=7)
    for i in range(3):
        walk_to("assessed", customer={"account_no": f"880000000{i}", "name": "张三", "phone": "13812341234", "category": "residential"})
    open_order = walk_to("investigating", customer={"account_no": "8800000010", "name": "李四", "phone": "13812341235", "category": "residential"})
    fed = walk_to("fed_back", customer={"account_no": "8800000011", "name": "王五", "phone": "13812341236", "category": "residential"})
    task = VisitTask.objects.get(order=fed, state="open")
    rollup_refresh()
    watch_deadlines(now=(open_order.deadline_at or timezone.now()) + timedelta(minutes=1))
    api = APIClient()
    api.force_authenticate(get_user_model().objects.get(username="specialist"))
    r = api.post("/api/v1/opinion/items/", item_payload(text="东湖县城关镇停电两天了，再不来电就找媒体曝光", views=40_000, reposts=500), format="json")
    assert r.status_code == 201, r.content
    return {"story": int(r.json()["story"]), "task": task.pk}


@pytest.mark.django_db(transaction=True)
def test_walked_pages_render_in_words_and_fit_a_phone(live_server, browser_page):
    ids = _data()
    page = browser_page
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: errors.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)
    base = live_server.url

    def login(username: str) -> None:
        sign_in(page, base, username)

    ARTIFACTS.mkdir(exist_ok=True)
    shots = [
        ("manager", "assessment", "/assessment/?level=company", "#chart-pareto canvas"),
        ("specialist", "opinion-story", f"/opinion/stories/{ids['story']}/", "#explanation"),
        ("manager", "satisfaction", "/satisfaction/", "#chart-model canvas"),
        ("specialist", "return-visit", f"/satisfaction/visits/{ids['task']}/", "#visit-report"),
        ("manager", "inbox", "/inbox/", "#inbox"),
    ]
    who = None
    for username, name, path, ready in shots:
        if username != who:
            login(username)
            who = username
        for width in (1360, 390):
            page.set_viewport_size({"width": width, "height": 1000})
            page.goto(f"{base}{path}")
            page.wait_for_selector(ready)
            page.wait_for_timeout(300)  # let ECharts finish its first paint
            page.screenshot(path=str(ARTIFACTS / f"walk-{name}-{width}.png"), full_page=True)
            if width == 390:
                overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                assert overflow <= 1, (name, overflow)
        body = page.inner_text("main")
        if name == "assessment":
            assert page.evaluate("echarts.getInstanceByDom(document.getElementById('chart-trend')).getOption().series[0].data.length") > 0
            assert page.evaluate("echarts.getInstanceByDom(document.getElementById('chart-pareto')).getOption().series[0].data.length") > 0
        if name == "opinion-story":
            assert "negativity" not in body and "outage ×" not in body and "转办" in body
        if name == "satisfaction":
            assert "department" not in page.inner_text("#sat-filter")
        if name == "return-visit":
            assert "phone" not in body and "核实" in body
        if name == "inbox":
            # At 390 px the inbox is cards: the time's label is the cell's data-label, not a column head.
            assert "（investigating）" not in body and "发生时间" in page.inner_html("#inbox")
        bell = page.locator("#inbox-bell svg")
        assert bell.count() == 1 and bell.bounding_box()["width"] > 0
    assert not errors, errors
