"""A photo attached on a phone-sized screen (390×844): the file input (camera on a
real phone), stage and note, then the gallery shows the thumbnail with its EXIF
time and GPS. Screenshot in test-artifacts/attachments-mobile.png."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from griddesk.organisation.demo import DEMO_PASSWORD, build_demo_org

from .test_walkthrough import ARTIFACTS, CHROMIUM_ARGS, chromium_path

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="no chromium binary (apt-get install chromium; see `make browser-deps`)"),
]


@pytest.fixture
def phone_page(transactional_db):
    sync_api = pytest.importorskip("playwright.sync_api")
    from django.db import connections

    connections.close_all()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 390, "height": 844},
            device_scale_factor=2, is_mobile=True, has_touch=True,
        )
        context.set_default_timeout(60_000)
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()
            connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_attach_a_site_photo_on_a_phone(live_server, phone_page, settings, tmp_path):
    from django.contrib.auth import get_user_model

    from griddesk.attachments.models import Attachment
    from griddesk.organisation.access import actor_for
    from griddesk.workorders import services
    from griddesk.workorders.serializers import IntakeSerializer

    from ..attachments import files
    from ..conftest import intake_payload

    settings.MEDIA_ROOT = tmp_path
    build_demo_org()
    s = IntakeSerializer(data=intake_payload())
    s.is_valid(raise_exception=True)
    order, _ = services.work_order_intake(actor=actor_for(get_user_model().objects.get(username="agent")), data=s.to_data())

    page = phone_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "agent")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#whoami")
    page.goto(f"{base}/orders/{order.number}/")
    file_input = page.locator("#attach-file")
    assert file_input.get_attribute("capture") == "environment"
    assert file_input.get_attribute("accept").startswith("image/*,audio/*,")

    photo = tmp_path / "表箱现场.jpg"
    photo.write_bytes(files.jpeg((1600, 1200), taken="2026:12:03 10:15:42", gps=(30.59017, 114.30033)))
    file_input.set_input_files(str(photo))
    page.select_option("#attach-stage", "order")
    page.fill("#attach-note", "表箱封印完好，读数 03512")
    with page.expect_navigation():
        page.click('#attach-form button[type="submit"]')
    assert page.locator(".msg-success").count() == 1
    item = page.locator("#attachments li.attachment").first
    assert item.locator(".exif-time").inner_text() == "2026-12-03 10:15:42"
    assert item.locator(".exif-gps").inner_text() == "30.59017, 114.30033"
    # The thumbnail really loaded (served through the API with the session).
    img = item.locator("img")
    img.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    assert page.evaluate("img => img.naturalWidth", img.element_handle()) == 320
    # Nothing wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert Attachment.objects.get().filename == "表箱现场.jpg"
    item.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "attachments-mobile.png"), full_page=False)
    assert errors == []
