"""The order print view (打印): A4, Chinese, no navigation; the customer masked
and logged exactly as on the order page; the same visibility (404 otherwise)."""

from __future__ import annotations

import pytest

from griddesk.customers.models import PiiAccess


def _print(web, username, number):
    return web(username).get(f"/orders/{number}/print/")


def test_print_page_is_an_a4_chinese_document_without_navigation(web, order_in):
    order = order_in("fed_back")
    r = _print(web, "specialist", order.number)
    assert r.status_code == 200
    assert "no-store" in r["Cache-Control"]  # personal data: not kept by the browser or a proxy
    body = r.content.decode()
    assert 'lang="zh-hans"' in body and "print.css" in body
    assert 'class="mainnav"' not in body and 'id="langswitch"' not in body  # no site navigation
    assert "客户服务工单" in body and order.company.name in body and order.number in body
    assert "投诉" in body  # the type, in Chinese
    assert order.get_state_display() in body
    assert "调查报告" in body and "核实" in body  # the report (as PATH submitted it)
    # The timeline names people (full names, not user names) in Beijing time.
    assert "李专责" in body and "赵营销" in body
    from django.utils import timezone

    created = order.events.get(action="create")
    local = timezone.localtime(created.at, timezone=__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    assert local.strftime("%Y-%m-%d %H:%M") in body
    assert 'id="print-button"' in body


def test_print_css_declares_a4(client):
    from django.contrib.staticfiles import finders

    with open(finders.find("web/print.css"), encoding="utf-8") as f:
        css = f.read()
    assert "size: A4" in css and "@media print" in css


def test_print_page_is_chinese_even_for_an_english_session(web, order_in):
    order = order_in("received")
    c = web("agent")
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "My queue" in c.get("/").content.decode()  # the session is English
    body = c.get(f"/orders/{order.number}/print/").content.decode()
    assert "客户服务工单" in body and "Customer service work order" not in body


@pytest.mark.parametrize("username", ["manager", "leader"])
def test_masked_roles_get_masked_customer_data_and_no_access_row(web, order_in, username):
    order = order_in("dispatched")
    body = _print(web, username, order.number).content.decode()
    assert 'id="print-pii-masked"' in body and "138****1234" in body
    assert "13812341234" not in body and "3单元501" not in body
    assert not PiiAccess.objects.exists()


def test_unmasked_view_is_logged_like_the_order_page(web, order_in):
    order = order_in("dispatched")
    body = _print(web, "marketing", order.number).content.decode()
    assert "13812341234" in body and "江城市东湖路88号3单元501" in body
    access = PiiAccess.objects.get()
    assert access.user.username == "marketing" and access.order_number == order.number
    assert access.via == "web-print"
    assert access.path == f"/orders/{order.number}/print/"


def test_confidential_order_prints_masked_for_the_lead_department(web, order_in):
    order = order_in("dispatched", anonymous=True)
    body = _print(web, "marketing", order.number).content.decode()
    assert "张*" in body and "13812341234" not in body
    assert not PiiAccess.objects.exists()


def test_invisible_order_is_404(web, order_in):
    order = order_in("received")  # not dispatched: the station sees nothing of it
    assert web("station").get(f"/orders/{order.number}/").status_code == 404
    assert _print(web, "station", order.number).status_code == 404
    assert _print(web, "agent", "TS-NOPE").status_code == 404


def test_anonymous_user_is_sent_to_login(client, order_in):
    order = order_in("received")
    r = client.get(f"/orders/{order.number}/print/")
    assert r.status_code == 302 and "login" in r["Location"]


def test_order_page_links_to_the_print_view(web, order_in):
    order = order_in("received")
    body = web("agent").get(f"/orders/{order.number}/").content.decode()
    assert f'href="/orders/{order.number}/print/"' in body and "打印" in body
