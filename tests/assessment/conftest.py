"""A varied set of complaints driven through the real services on a simulated clock."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from griddesk.customers.models import Customer
from griddesk.demo.clock import simulated_clock
from griddesk.organisation.access import actor_for
from griddesk.workorders import services
from griddesk.workorders.models import WorkOrder
from griddesk.workorders.serializers import IntakeSerializer
from tests.conftest import intake_payload

SH = ZoneInfo("Asia/Shanghai")
_acct = itertools.count(1)


def actor(username: str) -> Any:
    return actor_for(get_user_model().objects.get(username=username))


@dataclass
class Spec:
    received: datetime
    handle_hours: float = 2.0  # wall-clock time from receipt to the report's confirmation
    account: str | None = None
    station: str | None = None
    customer_category: str = "residential"
    category: str = "business.tariff"
    channel: str = "95598"
    at_fault: bool = False
    outcome: str = "satisfied"
    urges: int = 0
    reopen: bool = False
    reporter: str = "admin"
    stop: str = "assessed"  # assessed / archived / visited / investigating / received / invalid
    content: str = "客户反映本月电费比上月高出很多，要求核查。"


def customer(account: str, station: str | None, category: str = "residential") -> Customer:
    from griddesk.organisation.models import Department

    st = Department.objects.get(code=station) if station else None
    c, _ = Customer.objects.get_or_create(
        account_no=account, defaults={"name": "客户" + account[-3:], "station": st, "category": category}
    )
    return c


def drive(spec: Spec) -> WorkOrder:
    account = spec.account or f"77{next(_acct):08d}"
    admin = actor("admin")
    with simulated_clock() as clock:
        clock.at = spec.received - timedelta(days=1)
        customer(account, spec.station, spec.customer_category)  # a customer since the day before
        clock.at = spec.received + timedelta(minutes=5)
        s = IntakeSerializer(
            data=intake_payload(
                received_at=spec.received.isoformat(), category=spec.category, channel=spec.channel, content=spec.content,
                customer={"account_no": account, "name": "客户", "phone": "13800000000", "address": "某路1号",
                          "category": spec.customer_category},
            )
        )
        s.is_valid(raise_exception=True)
        order, _ = services.work_order_intake(actor=actor("agent"), data=s.to_data())
        n = order.number

        def act(action: str, who: Any = admin, **data: Any) -> None:
            services.work_order_act(order=n, actor=who, action=action, data=data)

        if spec.stop == "received":
            return WorkOrder.objects.get(pk=order.pk)
        if spec.stop == "invalid":
            act("invalidate", reason="重复")
            return WorkOrder.objects.get(pk=order.pk)
        act("forward")
        act("grade", grade=3, complexity="ordinary", reason="测试定级")
        act("dispatch")
        act("accept")
        for _i in range(spec.urges):
            act("urge", note="客户催办")
        if spec.stop == "investigating":
            return WorkOrder.objects.get(pk=order.pk)
        report = dict(findings="核实", responsibility="分析", rectification="整改", company_at_fault=spec.at_fault)
        reporter = admin if spec.reporter == "admin" else actor(spec.reporter)
        act("submit_report", reporter, **report)
        clock.at = spec.received + timedelta(hours=spec.handle_hours)
        act("confirm_report", actor("manager"))
        if spec.reopen:
            act("return_visit", method="phone", outcome="unsatisfied", customer_words="还是不满意")
            act("submit_report", reporter, **report)
            clock.at = clock.at + timedelta(hours=1)
            act("confirm_report", actor("manager"))
        act("return_visit", method="phone", outcome=spec.outcome)
        if spec.stop == "visited":
            return WorkOrder.objects.get(pk=order.pk)
        act("assess")
        if spec.stop == "archived":
            act("archive", note="归档")
    return WorkOrder.objects.get(pk=order.pk)


@pytest.fixture
def drive_order(org: Any):
    return drive


OCT = datetime(2026, 10, 12, 9, 0, tzinfo=SH)  # Monday


@pytest.fixture
def dataset(drive_order):
    """About twenty complaints of October 2026, varied on every KPI, across the
    city and two counties, four stations, two handlers; plus noise outside the
    period, an invalid order, a non-complaint and orders still open."""
    d = lambda days, hours=0: OCT + timedelta(days=days, hours=hours)  # noqa: E731
    specs = [
        Spec(received=d(0), station="east-ps-1", handle_hours=3),
        Spec(received=d(0, 1), station="east-ps-1", handle_hours=100, at_fault=True),  # overdue
        Spec(received=d(1), station="east-ps-2", outcome="basically_satisfied", urges=1),
        Spec(received=d(1, 2), station="east-ps-2", account="7100000001", at_fault=True, reopen=True),
        Spec(received=d(8), station="east-ps-2", account="7100000001", channel="12345"),  # repeat + escalated
        Spec(received=d(2), station="west-ps-1", outcome="unreachable", handle_hours=5),
        Spec(received=d(2, 3), station="west-ps-1", channel="media", at_fault=True, stop="archived"),
        Spec(received=d(3), station="west-ps-3", customer_category="commercial", handle_hours=200),
        Spec(received=d(3, 1), station=None, reporter="marketing", at_fault=True),
        Spec(received=d(4), station=None, reporter="marketing", category="service.attitude", at_fault=True),
        Spec(received=d(4, 2), station=None, reporter="marketing", category="service.attitude", at_fault=True),
        Spec(received=d(5), station=None, category="service.attitude", stop="archived"),
        Spec(received=d(9), station="east-ps-1", stop="investigating"),  # open: counts in received only
        Spec(received=d(9, 1), station="west-ps-1", stop="received"),
        Spec(received=d(10), station="east-ps-1", stop="invalid"),  # excluded everywhere
        Spec(received=d(-20), station="east-ps-1", at_fault=True),  # September: previous period
        Spec(received=d(-20, 2), station="west-ps-1"),
        Spec(received=d(30), station="east-ps-1"),  # November
    ]
    orders = [drive_order(s) for s in specs]
    # customers who never complained still count in the 万户 denominators
    from griddesk.demo.clock import simulated_clock
    from griddesk.organisation.models import Department

    with simulated_clock() as clock:
        clock.at = OCT - timedelta(days=60)
        for i, code in enumerate(["east-ps-1", "east-ps-3", "west-ps-2", "north-ps-1"]):
            Customer.objects.create(account_no=f"7900000{i:03d}", name="静默客户", station=Department.objects.get(code=code))
        clock.at = OCT + timedelta(days=40)  # joined after October: not in October's denominator
        Customer.objects.create(account_no="7900000999", name="新客户", station=Department.objects.get(code="east-ps-1"))
    from griddesk.assessment.rollups import rollup_refresh

    rollup_refresh()  # the scorecards read the rollups: refresh them as the 10-minute schedule would
    return orders


