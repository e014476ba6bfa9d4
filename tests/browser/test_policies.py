"""The pages not walked elsewhere work under the Content-Security-Policy; an
inline script without the page's nonce is blocked (and the watch sees it)."""

from __future__ import annotations

import pytest

from tests.browser import test_walkthrough
from tests.browser.test_walkthrough import DEMO_PASSWORD, build_demo_org

pytestmark = test_walkthrough.pytestmark
browser_page = test_walkthrough.browser_page


@pytest.mark.django_db(transaction=True)
def test_pages_run_under_the_content_security_policy(live_server, browser_page):
    from tests.conftest import restore_seed_data

    restore_seed_data()
    build_demo_org()
    page = browser_page
    base = live_server.url
    response = page.goto(f"{base}/accounts/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.fill("#id_username", "admin")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#whoami")

    answer = page.goto(f"{base}/assessment/")
    assert "script-src 'self' 'nonce-" in answer.headers["content-security-policy"]  # a page with an inline script
    # its inline script ran (the nonce let it) and drew the charts
    page.wait_for_function("window.echarts && echarts.getInstanceByDom(document.getElementById('chart-trend'))")
    page.goto(f"{base}/satisfaction/weights/")
    page.wait_for_load_state("load")
    page.goto(f"{base}/api/docs/")
    page.wait_for_selector("#swagger-ui .info")  # Swagger UI's init script is a file, not inline
    page.goto(f"{base}/admin/")
    page.wait_for_selector("#content")
    assert page.policy_violations == []

    # An injected inline script is refused, and the watch reports it.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_function("() => true")
    assert page.evaluate("typeof window.injected") == "undefined"
    page.wait_for_timeout(300)
    assert any("script-src" in v for v in page.policy_violations), page.policy_violations
    page.expected_policy_violations = len(page.policy_violations)
