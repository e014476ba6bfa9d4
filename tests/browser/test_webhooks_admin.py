"""The webhook admin pages (read-only delivery log) in headless chromium, at
desktop width and at 390 px (no horizontal page scroll). Screenshots go to
test-artifacts/webhooks-admin-*.png."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from . import test_walkthrough
from .test_walkthrough import ARTIFACTS, build_demo_org, sign_in

browser_page = test_walkthrough.browser_page
pytestmark = test_walkthrough.pytestmark


@pytest.mark.django_db(transaction=True)
def test_the_delivery_log_pages(live_server, browser_page, settings):
    from django.contrib.auth import get_user_model

    from griddesk.organisation.access import actor_for
    from griddesk.webhooks import services
    from griddesk.webhooks.models import Delivery
    from tests.conftest import restore_seed_data
    from tests.walk import new_order

    restore_seed_data()
    build_demo_org()
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    settings.GRIDDESK_WEBHOOK_ALLOWED_HOSTS = "127.0.0.1"
    admin = actor_for(get_user_model().objects.get(username="admin"))
    services.subscription_create(actor=admin, url="http://127.0.0.1:9/hook", events=["work_order.created"],
                                 description="95598 中心回复接口")
    order = new_order()  # committed (transactional test): queued and attempted — port 9 refuses, a retry is due
    d = Delivery.objects.get()
    assert d.attempts == 1 and d.state == "pending"

    page = browser_page
    base = live_server.url
    sign_in(page, base, "admin")
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1360, 390):
        page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
        for name, path in (("list", "/admin/webhooks/delivery/"), ("detail", f"/admin/webhooks/delivery/{d.pk}/change/")):
            page.goto(f"{base}{path}")
            page.wait_for_selector("#content")
            text = page.inner_text("#content")
            assert order.number in text or name == "detail"
            if name == "detail":
                assert "失败，将重试" in text and "ConnectionRefusedError" in text
            page.screenshot(path=str(ARTIFACTS / f"webhooks-admin-{name}-{width}.png"), full_page=True)
            if width == 390:
                assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"{base}/admin/webhooks/subscription/")
    assert "95598 中心回复接口" in page.inner_text("#content")
