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


def test_list_access_log_rows_read_back_like_orm_rows(org, client_for, make_order):
    """The list's access log is written with raw multi-row INSERTs: the rows
    must read back through the ORM (aware time, FKs) like any other."""
    from datetime import timedelta

    from django.utils import timezone

    from griddesk.customers.models import PiiAccess

    before = timezone.now()
    numbers = {make_order()["number"] for _ in range(3)}
    r = client_for("agent").get("/api/v1/work-orders/?page_size=50")
    assert r.status_code == 200
    rows = list(PiiAccess.objects.filter(via="api-list", order_number__in=numbers))
    assert {x.order_number for x in rows} == numbers
    for x in rows:
        assert x.user.username == "agent" and x.customer.account_no
        assert timezone.is_aware(x.at) and before - timedelta(seconds=1) <= x.at <= timezone.now()
    assert PiiAccess.objects.filter(via="api-list", at__gte=before - timedelta(seconds=1)).count() >= 3
