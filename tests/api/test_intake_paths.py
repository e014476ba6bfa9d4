"""The intake's hand-written reads and writes give what the ORM gives.

The single-order intake reads the API token with the user's role, department
and company in one query, the customers with their station and company in one
query and the latest earlier order per customer and category in one query
(``griddesk.common.rows.columns/build``); it writes through the ORM. Each read
is compared here with the ORM's own answer, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.authtoken.models import Token

from griddesk.common import rows
from griddesk.customers.models import Customer
from griddesk.customers.selectors import customers_for_intake
from griddesk.organisation.access import actor_for
from griddesk.organisation.models import Department, DepartmentType
from griddesk.organisation.selectors import actor_by_token, department_company
from griddesk.workorders import services
from griddesk.workorders.models import Category, WorkOrder

from ..conftest import intake_payload
from ..walk import walk_to


def test_actor_by_token_matches_the_orm_for_every_demo_user(org: Any) -> None:
    users = list(get_user_model().objects.all())
    assert len(users) >= 7
    seen_companies = set()
    for user in users:
        token, _ = Token.objects.get_or_create(user=user)
        found = actor_by_token(token.key)
        assert found is not None
        got_user, got = found
        expected = actor_for(get_user_model().objects.get(pk=user.pk))
        assert got_user.pk == user.pk and got_user.username == user.username
        assert got_user.is_active == user.is_active and got_user.is_superuser == user.is_superuser
        assert got.role == expected.role
        assert (got.department.pk if got.department else None) == (expected.department.pk if expected.department else None)
        assert (got.company.pk if got.company else None) == (expected.company.pk if expected.company else None)
        if got.department is not None:
            assert got.department.code == expected.department.code and got.department.path == expected.department.path
            seen_companies.add(got.company.type)
        # the Actor is attached to the user, so actor_for() does not query again
        assert actor_for(got_user) is got
    # both kinds of company are exercised (city and county)
    assert {DepartmentType.COMPANY, DepartmentType.COUNTY_COMPANY} <= seen_companies
    assert actor_by_token("no-such-token") is None


def test_token_auth_refuses_unknown_and_inactive(org: Any, client: Any) -> None:
    r = client.get("/api/v1/work-orders/", HTTP_AUTHORIZATION="Token nope")
    assert r.status_code == 401
    user = get_user_model().objects.get(username="agent")
    token, _ = Token.objects.get_or_create(user=user)
    assert client.get("/api/v1/work-orders/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    r = client.get("/api/v1/work-orders/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert r.status_code == 401


def test_customers_for_intake_gives_station_and_company(org: Any) -> None:
    stations = list(Department.objects.filter(type=DepartmentType.POWER_STATION).order_by("pk")[:3])
    assert stations
    for i, st in enumerate(stations):
        Customer.objects.create(account_no=f"77000000{i}", name=f"客户{i}", station=st)
    Customer.objects.create(account_no="770000099", name="无站")
    got = customers_for_intake([f"77000000{i}" for i in range(len(stations))] + ["770000099", "nobody"])
    assert set(got) == {f"77000000{i}" for i in range(len(stations))} | {"770000099"}
    for i, st in enumerate(stations):
        customer, company = got[f"77000000{i}"]
        orm = Customer.objects.select_related("station").get(account_no=f"77000000{i}")
        assert customer.pk == orm.pk and customer.name == orm.name and customer.sensitive == orm.sensitive
        assert customer.station.pk == st.pk and customer.station.code == st.code
        assert company.pk == department_company(st).pk
    customer, company = got["770000099"]
    assert customer.station is None and company is None


def test_recent_orders_keeps_the_latest_per_customer_and_category(org: Any) -> None:
    a = walk_to("received", customer={"account_no": "7100000001", "name": "甲"})
    b = walk_to("received", customer={"account_no": "7100000001", "name": "甲"})
    c = walk_to("received", customer={"account_no": "7100000002", "name": "乙"})
    other = Category.objects.filter(active=True).exclude(pk=a.category_id).first()
    d = walk_to("received", customer={"account_no": "7100000001", "name": "甲"}, category=other.code)
    invalid = walk_to("received", customer={"account_no": "7100000002", "name": "乙"})
    services.work_order_invalidate(order=invalid.number, actor=actor_for(get_user_model().objects.get(username="admin")),
                                   reason="重复来电")
    assert b.repeat_of_id == a.pk  # the intake found the earlier one
    since = timezone.now() - timedelta(days=90)
    customers = [a.customer_id, c.customer_id]
    got = services._recent_orders(customers, [a.category_id, other.pk], since)
    latest = {(o.customer_id, o.category_id): o.pk for o in got}
    assert latest == {(a.customer_id, a.category_id): b.pk, (a.customer_id, other.pk): d.pk, (c.customer_id, c.category_id): c.pk}
    assert invalid.pk not in latest.values()
    # fields are where the model expects them (Model.from_db fills in model order)
    for o in got:
        orm = WorkOrder.objects.get(pk=o.pk)
        assert (o.number, o.customer_id, o.category_id, o.received_at) == (orm.number, orm.customer_id, orm.category_id, orm.received_at)
    assert [o.received_at for o in got] == sorted(o.received_at for o in got)
    # the single-intake form (one customer, one category)
    one = services._recent_orders([a.customer_id], [a.category_id], since)
    assert [o.pk for o in one] == [b.pk]


def test_a_customer_created_meanwhile_is_the_one_the_order_gets(org: Any) -> None:
    """The intake's context found no customer; another intake creates it before
    this one writes: the order takes the existing row (no IntegrityError, no
    second customer), and the intake's transaction goes on."""
    from django.db import transaction

    data = services.CustomerData(account_no="7300000001", name="后")
    ctx = services._IntakeContext([])
    ctx.load_customers(["7300000001"])
    assert "7300000001" not in ctx.customers
    first = Customer.objects.create(account_no="7300000001", name="先")
    with transaction.atomic():
        got = ctx.customer(data)
        assert got.pk == first.pk and got.name == "先"
        assert Customer.objects.filter(account_no="7300000001").count() == 1  # the transaction is still usable
    new = ctx.customer(services.CustomerData(account_no="7300000002", name="新"))
    assert new.pk is not None and Customer.objects.get(pk=new.pk).name == "新"


def test_rows_build_of_a_partial_row_puts_values_in_their_fields(org: Any) -> None:
    order = walk_to("dispatched")
    cols, attnames = rows.columns(WorkOrder, "o", ("received_at", "id", "customer", "number"))
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"SELECT {cols} FROM workorders_workorder o WHERE o.id = %s", [order.pk])
        built = rows.build(WorkOrder, attnames, cur.fetchone())
    assert (built.pk, built.number, built.customer_id, built.received_at) == (
        order.pk, order.number, order.customer_id, order.received_at)
    assert built.received_at.tzinfo is not None


def test_intake_reply_and_its_access_log_commit_together(org: Any, client_for: Any) -> None:
    from griddesk.customers.models import PiiAccess

    c = client_for("agent")
    r = c.post("/api/v1/work-orders/", intake_payload(external_id="LOG-1"), content_type="application/json")
    assert r.status_code == 201, r.content
    number = r.json()["number"]
    assert r.json()["customer"]["masked"] is False
    assert PiiAccess.objects.filter(order_number=number, via="api").count() == 1
    # a retry answers with the existing order (and logs that view too)
    r2 = c.post("/api/v1/work-orders/", intake_payload(external_id="LOG-1"), content_type="application/json")
    assert r2.status_code == 200 and r2.json()["number"] == number
    assert PiiAccess.objects.filter(order_number=number, via="api").count() == 2


def test_bulk_refuses_unknown_category_without_using_a_number(org: Any, client_for: Any) -> None:
    c = client_for("agent")
    items = [
        intake_payload(external_id="NUM-1"),
        intake_payload(external_id="NUM-2", category="no.such"),
        intake_payload(external_id="NUM-3"),
    ]
    r = c.post("/api/v1/work-orders/bulk/", {"orders": items}, content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert [x["status"] for x in body["results"]] == ["created", "error", "created"]
    assert body["results"][1]["errors"]["category"][0]["code"] == "unknown_category"
    n1, n3 = body["results"][0]["number"], body["results"][2]["number"]
    assert n1[:-6] == n3[:-6] and int(n3[-6:]) == int(n1[-6:]) + 1


def test_rows_cursor_prepares_on_postgresql_and_raises_django_errors(org: Any) -> None:
    from django.db import IntegrityError, connection, transaction

    with rows.cursor() as cur:
        cur.execute("SELECT id FROM workorders_workorder WHERE external_id = %s", ["nobody"])
        assert cur.fetchone() is None
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                        ["SELECT id FROM workorders_workorder WHERE external_id = $1%"])
            # prepared unless GRIDDESK_PG_PREPARE=0 left prepare_threshold unset
            prepared = connection.settings_dict["OPTIONS"].get("prepare_threshold") is not None
            assert cur.fetchone()[0] == (1 if prepared else 0)
    Customer.objects.create(account_no="7400000001", name="甲")
    with pytest.raises(IntegrityError), transaction.atomic(), rows.cursor() as cur:
        cur.execute("INSERT INTO customers_customer (account_no, name, phone, address, id_number, category, "
                    "voltage_level, sensitive, created_at) VALUES (%s, %s, '', '', '', 'residential', '', false, %s)",
                    ["7400000001", "乙", connection.ops.adapt_datetimefield_value(timezone.now())])
    assert Customer.objects.filter(account_no="7400000001").count() == 1
