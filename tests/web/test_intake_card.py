"""The intake form's customer card (HTMX endpoint) per role: masked without
personal-data rights, phone lookup refused for them and logged for the
others; the phone offer and the area select on the form (issue 13 §2)."""

from __future__ import annotations

import pytest

from griddesk.customers.models import Customer, CustomerChange, PiiAccess
from griddesk.organisation.models import Department
from griddesk.workorders.models import WorkOrder

from .test_intake import form

URL = "/orders/new/customer-card/"


@pytest.fixture
def east(org):
    return Customer.objects.create(
        account_no="7700000001", name="陈东湖", phone="13700000001", station=Department.objects.get(code="east-ps-1"),
    )


def card(web, username, **params):
    return web(username).get(URL, params)


@pytest.mark.parametrize("username", ["agent", "specialist", "admin"])
def test_account_card_is_plain_and_logged_for_personal_data_roles(web, east, username):
    r = card(web, username, **{"customer.account_no": "7700000001"})
    body = r.content.decode()
    assert r.status_code == 200 and 'id="card"' in body
    assert "陈东湖" in body and "13700000001" in body and "城关供电所" in body and "居民" in body
    row = PiiAccess.objects.get(user__username=username)
    assert row.via == "web-intake-card" and row.accounts == " 7700000001 " and row.path.startswith(URL)


@pytest.mark.parametrize("username", ["manager", "leader"])
def test_account_card_is_masked_and_not_logged_without_personal_data_rights(web, east, username):
    r = card(web, username, **{"customer.account_no": "7700000001"})
    body = r.content.decode()
    assert r.status_code == 200 and 'id="card"' in body
    assert "陈**" in body and "137****0001" in body and "陈东湖" not in body and "13700000001" not in body
    assert "按您的角色已隐藏个人信息" in body
    assert not PiiAccess.objects.exists()


@pytest.mark.parametrize("username", ["manager", "leader"])
def test_phone_lookup_is_refused_without_personal_data_rights(web, east, username):
    r = card(web, username, **{"customer.phone": "13700000001"})
    body = r.content.decode()
    assert r.status_code == 403 and 'data-code="phone_lookup_forbidden"' in body
    assert "陈" not in body and "7700000001" not in body
    assert not PiiAccess.objects.exists()


def test_phone_lookup_is_logged_even_when_nothing_is_found(web, east):
    r = card(web, "agent", **{"customer.phone": "13911112222"})
    assert r.status_code == 200 and 'id="card-no-match"' in r.content.decode()
    row = PiiAccess.objects.get()
    assert row.via == "web-intake-phone" and row.fields.startswith("search:phone") and row.count == 0


def test_phone_lookup_finds_the_customer_and_logs_once(web, east):
    r = card(web, "agent", **{"customer.phone": "13700000001"})
    body = r.content.decode()
    assert r.status_code == 200 and 'data-account="7700000001"' in body and "陈东湖" in body
    assert r["Cache-Control"] == "no-store"
    row = PiiAccess.objects.get()
    assert row.via == "web-intake-phone" and row.accounts == " 7700000001 "


def test_a_shared_phone_gives_a_choice_list(web, east):
    Customer.objects.create(account_no="7700000002", name="吴西山", phone="13700000001",
                            station=Department.objects.get(code="west-ps-1"))
    r = card(web, "agent", **{"customer.phone": "13700000001"})
    body = r.content.decode()
    assert r.status_code == 200 and 'id="card-choices"' in body
    assert body.count('class="link pick-account"') == 2 and "吴西山" in body and "陈东湖" in body
    assert PiiAccess.objects.get().count == 2


def test_a_station_handler_looks_up_only_customers_of_their_orders(web, east):
    r = card(web, "station", **{"customer.phone": "13700000001"})
    assert r.status_code == 200 and 'id="card-no-match"' in r.content.decode()
    r = card(web, "station", **{"customer.account_no": "7700000001"})
    assert 'id="card-new"' in r.content.decode()  # not theirs: answered like an unknown account


def test_short_or_bad_input(web, east):
    r = card(web, "agent", **{"customer.phone": "1370"})
    assert r.status_code == 200 and r.content.decode().strip() == ""
    assert not PiiAccess.objects.exists()  # nothing searched yet
    r = card(web, "agent", **{"customer.phone": "137<script>"})
    assert r.status_code == 400 and 'data-code="invalid_phone"' in r.content.decode()
    r = card(web, "agent", **{"customer.account_no": "77-00"})
    assert r.status_code == 400 and 'data-code="invalid_account_no"' in r.content.decode()
    r = card(web, "agent", **{"customer.account_no": "7700009999"})
    assert r.status_code == 200 and "将新建客户档案" in r.content.decode()


def test_card_requires_sign_in(client, east):
    r = client.get(URL, {"customer.account_no": "7700000001"})
    assert r.status_code == 302 and "/login" in r["Location"]


def test_the_card_offers_a_new_number_and_the_form_applies_it(web, east):
    r = card(web, "agent", **{"customer.account_no": "7700000001", "customer.phone": "13799999999"})
    body = r.content.decode()
    assert 'name="update_customer_phone"' in body and "来电号码" in body
    # not ticked: kept on the order only
    r = web("agent").post("/orders/new/", form(**{"customer.account_no": "7700000001", "customer.phone": "13799999999"}))
    assert r.status_code == 302
    first = WorkOrder.objects.latest("pk")
    east.refresh_from_db()
    assert first.contact_phone == "13799999999" and east.phone == "13700000001" and first.company.code == "east"
    # ticked: the customer's phone follows, with history naming the order
    r = web("agent").post("/orders/new/", form(**{"customer.account_no": "7700000001", "customer.phone": "13799999999",
                                                  "update_customer_phone": "true"}))
    assert r.status_code == 302
    second = WorkOrder.objects.latest("pk")
    east.refresh_from_db()
    assert east.phone == "13799999999"
    change = CustomerChange.objects.get()
    assert change.order_number == second.number and change.old_value == "13700000001"
    # the card shows the history, masked for a manager
    body = card(web, "manager", **{"customer.account_no": "7700000001"}).content.decode()
    assert "137****0001" in body and "137****9999" in body and second.number in body
    assert "王坐席" in body


def test_the_same_number_offers_nothing(web, east):
    body = card(web, "agent", **{"customer.account_no": "7700000001", "customer.phone": "137 0000 0001"}).content.decode()
    assert 'name="update_customer_phone"' not in body


def test_the_repeat_warning_names_the_open_order(web, east):
    r = web("agent").post("/orders/new/", form(**{"customer.account_no": "7700000001", "customer.phone": "13700000001"}))
    order = WorkOrder.objects.latest("pk")
    body = card(web, "agent", **{"customer.account_no": "7700000001", "category": "business.tariff"}).content.decode()
    assert 'id="card-repeat"' in body and order.number in body and "重复投诉" in body
    assert "已受理" in body and "received" not in body
    body = card(web, "agent", **{"customer.account_no": "7700000001", "category": "business.metering"}).content.decode()
    assert 'id="card-repeat"' not in body
    assert r.status_code == 302


def test_the_form_has_the_area_select_and_uses_it(web, org):
    page = web("agent").get("/orders/new/").content.decode()
    assert 'name="area"' in page and "东湖县供电公司" in page and 'hx-get="/orders/new/customer-card/"' in page
    r = web("agent").post("/orders/new/", form(**{"customer.account_no": "7700000055", "area": "west"}))
    assert r.status_code == 302
    assert WorkOrder.objects.latest("pk").company.code == "west"
    r = web("agent").post("/orders/new/", form(**{"customer.account_no": "7700000056", "area": "nowhere"}))
    body = r.content.decode()
    assert r.status_code == 400 and "未知的区域" in body


def test_a_refused_form_reloads_the_card(web, east):
    r = web("agent").post("/orders/new/", form(**{"customer.account_no": "7700000001", "content": ""}))
    body = r.content.decode()
    assert r.status_code == 400
    slot = body[body.index('id="customer-card"'):]
    assert 'hx-trigger="load"' in slot[:400]
