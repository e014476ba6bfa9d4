"""``griddesk demo``: the walked demo set and the scaled bulk loader."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from griddesk.customers.models import Customer
from griddesk.demo.bulk import BULK_EXT_PREFIX
from griddesk.demo.org import EXTRA_USERS
from griddesk.engines.workflow import OPEN_STATES, State
from griddesk.organisation.demo import DEMO_USERS
from griddesk.workorders.models import NumberSequence, WorkOrder
from tests.conftest import intake_payload

from .checks import assert_orders_consistent

pytestmark = pytest.mark.django_db

NUMBER = re.compile(r"^(TS|JB|YJ|JY|BY|ZX|GZ|FW|YQ)\d{8}\d{6}$")


def demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def _orders(**filters: object) -> list[WorkOrder]:
    return list(WorkOrder.objects.filter(**filters).select_related("customer__station"))


def test_walked_demo_has_every_state_with_a_consistent_history() -> None:
    out = demo("--per-state", "1")
    orders = _orders()
    states = Counter(o.state for o in orders)
    assert set(states) == {s.value for s in State}, states
    assert_orders_consistent(orders)
    # reopened (unsatisfied return visit / manager) and overdue orders are there too
    assert any(o.reopen_count and o.state == "investigating" for o in orders)
    assert any(o.reopen_count and o.state == "archived" for o in orders)
    now = timezone.now()
    open_values = {s.value for s in OPEN_STATES}
    assert sum(o.state in open_values and o.deadline_at < now for o in orders) >= 2
    assert any(o.state in open_values and o.deadline_at > now for o in orders)
    # every type and channel, orders received over weeks, customers of every category
    assert {o.type for o in orders} >= {"complaint", "report", "opinion", "suggestion", "praise", "inquiry", "fault_repair", "service_request", "public_opinion"}
    assert {o.channel for o in orders} == {"95598", "online", "wechat", "alipay", "hall", "12345", "media", "inspection"}
    assert min(o.received_at for o in orders) < now - timedelta(days=9)
    assert {c.category for c in Customer.objects.all()} == {"residential", "commercial", "large_industry", "agricultural"}
    assert Customer.objects.filter(sensitive=True).exists()
    # account holders from before the first order: 万户投诉率 counts the
    # customers a unit had in the period
    first = min(o.received_at for o in orders)
    assert not Customer.objects.filter(created_at__gte=first).exists()
    assert all(NUMBER.match(o.number) for o in orders)
    # events were written by the services, by the users whose role takes each step
    actors = set(WorkOrder.objects.values_list("events__actor_name", flat=True))
    assert {"agent", "specialist", "manager"} <= actors
    assert actors & {"east_marketing", "west_marketing", "north_marketing", "marketing", "audit", "service_center"}
    # the logins table
    for username, *_ in [*DEMO_USERS, *EXTRA_USERS]:
        assert re.search(rf"^{username}\s", out, re.M), username
    assert "griddesk-demo" in out


def test_demo_runs_twice_without_duplicating() -> None:
    demo("--per-state", "1", "--no-logins")
    first = WorkOrder.objects.count()
    customers = Customer.objects.count()
    out = demo("--per-state", "1", "--no-logins")
    assert WorkOrder.objects.count() == first
    assert Customer.objects.count() == customers
    assert "0 created" in out


def test_bulk_loader_numbers_history_and_later_intake(client_for) -> None:
    out = demo("--per-state", "0", "--customers", "40", "--orders", "400", "--batch", "150", "--days", "20", "--no-logins")
    assert "400 created" in out
    bulk = _orders(external_id__startswith=BULK_EXT_PREFIX)
    assert len(bulk) == 400
    assert_orders_consistent(bulk)
    numbers = [o.number for o in bulk]
    assert len(set(numbers)) == len(numbers)
    assert all(NUMBER.match(n) for n in numbers)
    # the sequences were advanced past every number handed out
    highest: dict[str, int] = {}
    for n in numbers:
        highest[n[:10]] = max(highest.get(n[:10], 0), int(n[10:]))
    last = dict(NumberSequence.objects.values_list("key", "last"))
    assert all(last[k] >= v for k, v in highest.items())
    # numbers follow the customer's local receipt day
    tz = ZoneInfo("Asia/Shanghai")
    assert all(o.number[2:10] == o.received_at.astimezone(tz).strftime("%Y%m%d") for o in bulk)
    assert len({o.state for o in bulk}) >= 8
    assert all(o.customer.station_id for o in bulk)

    # intake on the busiest bulk day continues after the bulk block
    key = max((k for k in highest if k.startswith("TS")), key=lambda k: highest[k])
    day = datetime.strptime(key[2:], "%Y%m%d").replace(hour=12, tzinfo=tz)
    received = min(day, timezone.now() - timedelta(minutes=1))
    r = client_for("agent").post("/api/v1/work-orders/", intake_payload(received_at=received.isoformat()), format="json")
    assert r.status_code == 201, r.content
    assert r.json()["number"] == f"{key}{last[key] + 1:06d}"
    bulk_r = client_for("agent").post(
        "/api/v1/work-orders/bulk/",
        {"orders": [intake_payload(received_at=received.isoformat()) for _ in range(3)]},
        format="json",
    )
    assert bulk_r.status_code == 200 and bulk_r.json()["created"] == 3
    assert len(set(WorkOrder.objects.values_list("number", flat=True))) == WorkOrder.objects.count()

    # bulk orders carry on through the real services (reports, leads etc. are in place)
    next_action = {"received": "forward", "dispatched": "accept", "reported": "confirm_report", "assessed": "archive"}
    carried = [o for o in bulk if o.state in next_action][:6]
    assert carried
    for o in carried:
        r = client_for("admin").post(f"/api/v1/work-orders/{o.number}/actions/", {"action": next_action[o.state]}, format="json")
        assert r.status_code == 200, r.content
    assert_orders_consistent(_orders(pk__in=[o.pk for o in carried]))

    # topping up adds only the difference
    demo("--per-state", "0", "--customers", "40", "--orders", "450", "--batch", "150", "--days", "20", "--no-logins")
    assert WorkOrder.objects.filter(external_id__startswith=BULK_EXT_PREFIX).count() == 450
    out = demo("--per-state", "0", "--customers", "40", "--orders", "450", "--no-logins")
    assert "nothing to add" in out


def test_reset_wipes_orders_but_never_reuses_numbers() -> None:
    demo("--per-state", "0", "--orders", "120", "--customers", "30", "--no-logins")
    before = set(WorkOrder.objects.values_list("number", flat=True))
    demo("--reset", "--per-state", "0", "--no-logins")
    assert WorkOrder.objects.count() == 0
    demo("--per-state", "0", "--orders", "120", "--customers", "30", "--no-logins")
    assert not before & set(WorkOrder.objects.values_list("number", flat=True))
    assert WorkOrder.objects.values("state").annotate(n=Count("id")).count() >= 5


def test_demo_loads_opinion_stories_and_a_satisfaction_index_once() -> None:
    from griddesk.opinion.models import OpinionItem, Story
    from griddesk.satisfaction.models import IndexSnapshot, SurveyResponse

    out = demo("--per-state", "1", "--no-logins")
    items, stories, responses = OpinionItem.objects.count(), Story.objects.count(), SurveyResponse.objects.count()
    assert items > 20 and stories > 3 and responses >= 500
    # the riskiest demo story was transferred into a public-opinion prevention order
    assert WorkOrder.objects.filter(type="public_opinion", number__startswith="YQ").exists()
    snap = IndexSnapshot.objects.latest("pk")
    assert snap.result["index"]
    assert "satisfaction index" in out
    demo("--per-state", "1", "--no-logins")
    assert (OpinionItem.objects.count(), Story.objects.count(), SurveyResponse.objects.count()) == (items, stories, responses)


def test_no_modules_skips_opinion_and_satisfaction() -> None:
    from griddesk.opinion.models import OpinionItem
    from griddesk.satisfaction.models import SurveyResponse

    demo("--per-state", "1", "--no-logins", "--no-modules")
    assert not OpinionItem.objects.exists() and not SurveyResponse.objects.exists()

