"""The intake's hand-written reads and writes give what the ORM gives.

The single-order intake reads the API token with the user's role, department
and company in one query, the customers with their station and company in one
query, the latest earlier order per customer and category in one query, and
writes through ``griddesk.common.rows`` (SQL built once per model). Each is
compared here with the ORM's own answer, on SQLite and on PostgreSQL.
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
from griddesk.workorders.models import Category, WorkOrder, WorkOrderEvent

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


def test_rows_insert_writes_what_save_would(org: Any) -> None:
    order = walk_to("received")
    ev = WorkOrderEvent(order=order, seq=99, action="note", actor=None, actor_name="系统", at=timezone.now(),
                        from_state="received", to_state="received", note="说明", data={"k": [1, "二"]})
    assert rows.insert(ev) is True
    assert ev.pk is not None and not ev._state.adding
    back = WorkOrderEvent.objects.get(pk=ev.pk)
    assert (back.seq, back.action, back.note, back.data, back.order_id) == (99, "note", "说明", {"k": [1, "二"]}, order.pk)


def test_rows_insert_on_conflict_skips_an_existing_key(org: Any) -> None:
    first = Customer(account_no="7300000001", name="先")
    assert rows.insert(first, on_conflict="account_no") is True
    again = Customer(account_no="7300000001", name="后")
    assert rows.insert(again, on_conflict="account_no") is False
    assert again.pk is None
    assert Customer.objects.get(account_no="7300000001").name == "先"


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


def test_rows_new_builds_what_the_model_constructor_builds(org: Any, django_assert_num_queries: Any) -> None:
    order = walk_to("received")
    customer = Customer.objects.get(pk=order.customer_id)
    category = Category.objects.get(pk=order.category_id)
    kwargs = dict(number="TS20260101000001", type="complaint", channel="95598", category=category, content="内容",
                  received_at=order.received_at, customer=customer, company_id=order.company_id,
                  created_department_id=order.created_department_id, repeat_of=None, version=1)
    fast = rows.new(WorkOrder, **kwargs)
    slow = WorkOrder(**kwargs)
    for f in WorkOrder._meta.concrete_fields:
        assert getattr(fast, f.attname) == getattr(slow, f.attname), f.name
    assert fast._state.adding is True and fast.pk is None
    with django_assert_num_queries(0):  # the related instances are cached, as the descriptor caches them
        assert fast.customer is customer and fast.category is category and fast.repeat_of is None
    # callable defaults are called per instance (no shared dict)
    a = rows.new(WorkOrderEvent, order=order, seq=1, action="x", actor_name="a", at=timezone.now(), from_state="", to_state="")
    b = rows.new(WorkOrderEvent, order=order, seq=2, action="x", actor_name="a", at=timezone.now(), from_state="", to_state="")
    assert a.data == {} and a.data is not b.data
    with pytest.raises(TypeError):
        rows.new(WorkOrder, no_such_field=1)
