"""The satisfaction dashboard in headless chromium: the vendored ECharts draws the
model diagram and the IPA chart, the index tile shows, no JavaScript errors."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from griddesk.organisation.demo import DEMO_PASSWORD, build_demo_org

from . import test_walkthrough
from .test_walkthrough import ARTIFACTS, chromium_path

browser_page = test_walkthrough.browser_page  # the walkthrough's chromium fixture (Debian's /usr/bin/chromium)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="no chromium binary (apt-get install chromium; see `make browser-deps`)"),
]


@pytest.mark.django_db(transaction=True)
def test_satisfaction_dashboard_renders_charts(live_server, browser_page):
    from griddesk.satisfaction import defaults
    from griddesk.satisfaction.demo import demo_satisfaction
    from griddesk.satisfaction.models import Questionnaire

    build_demo_org()
    from django.apps import apps

    defaults.seed(apps)  # the flushed database lacks the data migration's questionnaire
    Questionnaire.objects.filter(code=defaults.DEFAULT_CODE).update(bootstrap=30)
    out = demo_satisfaction(n=400, seed=31)
    assert out["responses"] == 400 and out["index"] is not None

    page = browser_page
    page.set_default_timeout(60_000)  # the machine is shared: allow a slow first paint
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: errors.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#whoami")

    page.goto(f"{base}/satisfaction/")
    page.wait_for_selector("#csi-value")
    assert 0 < float(page.locator("#csi-value").inner_text()) < 100
    # ECharts renders into a <canvas> inside each chart container.
    page.wait_for_selector("#chart-model canvas")
    page.wait_for_selector("#chart-ipa canvas")
    assert page.evaluate("typeof window.echarts") == "object"
    assert page.evaluate("echarts.getInstanceByDom(document.getElementById('chart-model')).getOption().series[0].data.length") == 8
    ipa_points = page.evaluate("echarts.getInstanceByDom(document.getElementById('chart-ipa')).getOption().series[0].data.length")
    assert ipa_points >= 3
    assert page.locator("#segments tbody tr").count() > 4
    assert page.locator("#priorities li[data-quadrant]").count() + page.locator("#keep-up li").count() == ipa_points
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "satisfaction.png"), full_page=True)
    assert errors == [], errors

    # One number drills down to as many responses as it says.
    link = page.locator("#segments a.drill").first
    n = link.get_attribute("data-n")
    with page.expect_navigation():
        link.click()
    assert page.locator("#response-count").get_attribute("data-count") == n
    assert errors == [], errors
