"""Customer data on the order page: masked by the API serializer's rules, and every
unmasked view recorded."""

from __future__ import annotations

import pytest

from griddesk.customers.models import PiiAccess


@pytest.mark.parametrize("username", ["manager", "leader"])
def test_manager_and_leader_see_masked_data_and_no_access_is_logged(web, order_in, username):
    order = order_in("dispatched")
    body = web(username).get(f"/orders/{order.number}/").content.decode()
    assert 'id="pii-masked"' in body
    assert "138****1234" in body
    assert "13812341234" not in body
    assert "3单元501" not in body  # the address is cut
    assert "张三" in body  # names are masked only for confidential orders
    assert not PiiAccess.objects.exists()


@pytest.mark.parametrize("username", ["agent", "specialist", "marketing"])
def test_handling_roles_see_full_data_and_the_view_is_logged(web, order_in, username):
    order = order_in("dispatched")
    body = web(username).get(f"/orders/{order.number}/").content.decode()
    assert 'id="pii-masked"' not in body
    assert "13812341234" in body and "江城市东湖路88号3单元501" in body
    access = PiiAccess.objects.get()
    assert access.user.username == username
    assert access.order_number == order.number
    assert access.via == "web"
    assert access.customer == order.customer
    # Every view counts.
    web(username).get(f"/orders/{order.number}/")
    assert PiiAccess.objects.count() == 2


def test_confidential_order_hides_the_name_from_the_lead_department(web, order_in):
    order = order_in("dispatched", anonymous=True)
    body = web("marketing").get(f"/orders/{order.number}/").content.decode()
    assert 'id="pii-masked"' in body and "张*" in body and "13812341234" not in body
    assert not PiiAccess.objects.exists()
    assert "13812341234" in web("agent").get(f"/orders/{order.number}/").content.decode()
    assert PiiAccess.objects.filter(user__username="agent").count() == 1


def test_queue_shows_no_personal_data(web, order_in):
    order_in()
    body = web("agent").get("/").content.decode()
    assert "13812341234" not in body and "张三" not in body
    assert not PiiAccess.objects.exists()


def test_a_list_page_is_one_access_log_row_naming_every_order_it_showed(org, client_for, make_order):
    """One row per view (a page of 25 orders wrote 25 rows and committed each
    query separately): who, when, from where, through which request, and every
    order and account it showed."""
    from datetime import timedelta

    from django.utils import timezone

    from griddesk.customers.models import PiiAccess
    from griddesk.customers.selectors import pii_accesses_of
    from griddesk.workorders.models import WorkOrder

    before = timezone.now()
    numbers = {make_order()["number"] for _ in range(3)}
    PiiAccess.objects.all().delete()  # the intake replies' rows
    r = client_for("agent").get("/api/v1/work-orders/?page_size=50&state=received")
    assert r.status_code == 200
    shown = {o["number"] for o in r.json()["results"]}
    assert numbers <= shown
    row = PiiAccess.objects.get()
    assert row.user.username == "agent" and row.via == "api-list"
    assert set(row.orders.split()) == shown
    accounts = set(WorkOrder.objects.filter(number__in=shown).values_list("customer__account_no", flat=True))
    assert set(row.accounts.split()) == accounts and row.count == len(accounts)
    assert row.path == "/api/v1/work-orders/?page_size=50&state=received"
    assert row.ip == "127.0.0.1"
    assert timezone.is_aware(row.at) and before - timedelta(seconds=1) <= row.at <= timezone.now()
    # "who saw this customer's data" finds the list view
    assert list(pii_accesses_of(next(iter(accounts)))) == [row]


def test_personal_data_responses_are_not_cached(org, client_for, web, make_order):
    number = make_order()["number"]
    for r in (
        client_for("agent").get(f"/api/v1/work-orders/{number}/"),
        client_for("agent").get("/api/v1/work-orders/"),
        client_for("agent").get("/api/v1/customers/3300112233/"),
        web("agent").get(f"/orders/{number}/"),
    ):
        assert r.status_code == 200
        assert r["Cache-Control"] == "no-store"
