"""Notices from the core's domain events (issue 13 §4): who is told, in which
words, at which time — and nothing for a change that rolled back."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from griddesk.notifications.models import Kind, Notification
from griddesk.organisation.access import actor_for
from griddesk.satisfaction.models import VisitRule
from griddesk.workorders import domain_events
from griddesk.workorders import services as wo
from griddesk.workorders.models import WorkOrder
from tests.walk import new_order

pytestmark = pytest.mark.django_db

#: State, action and kind codes that must never reach a reader.
CODES = re.compile(
    r"\b(received|forwarded|graded|dispatched|investigating|reported|fed_back|visited|assessed|archived|suspended|"
    r"dispatch|assign_station|return_report|confirm_report|return_visit|reopen|public_opinion|city-\w+|east-ps-\d|"
    r"marketing|audit|service_center|specialist|manager|station)\b"
)


def actor(username: str) -> Any:
    return actor_for(get_user_model().objects.get(username=username))


def notices(kind: str) -> list[Notification]:
    return list(Notification.objects.filter(kind=kind).select_related("recipient").order_by("recipient__username"))


def recipients(kind: str) -> list[str]:
    return [n.recipient.username for n in notices(kind)]


def assert_words(n: Notification, *expected: str) -> None:
    text = f"{n.title}\n{n.body}"
    for word in expected:
        assert word in text, (word, text)
    assert not CODES.search(text), (CODES.search(text), text)  # type: ignore[union-attr]


def local(dt: Any) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M")


def event_at(order: WorkOrder, action: str) -> Any:
    return order.events.filter(action=action).order_by("-seq").values_list("at", flat=True).first()


@pytest.fixture
def run(django_capture_on_commit_callbacks: Any):
    """Run a core action and its on-commit work (the notices)."""

    def do(fn: Any, **kwargs: Any) -> WorkOrder:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)  # type: ignore[no-any-return]

    return do


@pytest.fixture
def graded(org: Any, run: Any) -> WorkOrder:
    o = new_order()
    run(wo.work_order_forward, order=o.number, actor=actor("agent"))
    run(wo.work_order_grade, order=o.number, actor=actor("specialist"), grade=3, complexity="ordinary")
    return WorkOrder.objects.get(pk=o.pk)


@pytest.fixture
def investigating(graded: WorkOrder, run: Any) -> WorkOrder:
    run(wo.work_order_dispatch, order=graded.number, actor=actor("specialist"))
    run(wo.work_order_accept, order=graded.number, actor=actor("marketing"))
    return WorkOrder.objects.get(pk=graded.pk)


@pytest.fixture
def reported(investigating: WorkOrder, run: Any) -> WorkOrder:
    n = investigating.number
    run(wo.work_order_assign_station, order=n, actor=actor("marketing"), stations=["east-ps-1"], note="请核对电表读数")
    run(wo.work_order_station_findings, order=n, actor=actor("station"), findings="电表读数正常")
    run(wo.work_order_submit_report, order=n, actor=actor("marketing"), findings="核实", responsibility="无责",
        rectification="解释", company_at_fault=False)
    return WorkOrder.objects.get(pk=investigating.pk)


def test_dispatch_tells_the_lead_departments_handlers(graded: WorkOrder, run: Any) -> None:
    run(wo.work_order_dispatch, order=graded.number, actor=actor("specialist"))
    o = WorkOrder.objects.get(pk=graded.pk)
    assert recipients(Kind.DISPATCHED) == ["marketing"]  # grade 3 → 营销部; not the dispatching specialist
    (n,) = notices(Kind.DISPATCHED)
    at = event_at(o, "dispatch")
    assert n.occurred_at == at and n.order_id == o.pk
    assert_words(n, o.number, "营销部", "李专责", local(at), "已定级", "已派单", local(o.deadline_at))
    # In the inbox at once, and through the configured senders (the log sender, run inline here).
    assert dict(n.deliveries.values_list("channel", "state")) == {"inbox": "sent", "log": "sent"}


def test_dispatch_to_two_departments_tells_both(graded: WorkOrder, run: Any) -> None:
    run(wo.work_order_dispatch, order=graded.number, actor=actor("specialist"), departments=["city-audit", "city-marketing"])
    assert recipients(Kind.DISPATCHED) == ["audit", "marketing"]
    assert_words(notices(Kind.DISPATCHED)[0], "监审部门、营销部")


def test_station_task_tells_the_station(investigating: WorkOrder, run: Any) -> None:
    run(wo.work_order_assign_station, order=investigating.number, actor=actor("marketing"), stations=["east-ps-1"],
        note="请核对电表读数")
    assert recipients(Kind.STATION_TASK) == ["station"]
    (n,) = notices(Kind.STATION_TASK)
    at = event_at(investigating, "assign_station")
    assert n.occurred_at == at
    assert_words(n, investigating.number, "城关供电所", "营销部", "赵营销", "请核对电表读数", local(at), "调查处理中")


def test_returned_report_tells_its_submitter(reported: WorkOrder, run: Any) -> None:
    run(wo.work_order_return_report, order=reported.number, actor=actor("manager"), note="缺少现场照片")
    assert recipients(Kind.REPORT_RETURNED) == ["marketing"]
    (n,) = notices(Kind.REPORT_RETURNED)
    at = event_at(reported, "return_report")
    assert n.occurred_at == at
    assert_words(n, reported.number, "吴经理", "缺少现场照片", local(at), "已提交报告", "调查处理中")


def test_confirmed_report_tells_whom_the_return_visit_is_for(reported: WorkOrder, run: Any) -> None:
    run(wo.work_order_confirm_report, order=reported.number, actor=actor("manager"))
    assert recipients(Kind.VISIT_ASSIGNED) == ["specialist"]  # rule "specialist": the marketing specialists
    (n,) = notices(Kind.VISIT_ASSIGNED)
    o = WorkOrder.objects.get(pk=reported.pk)
    task = o.visit_tasks.get()
    at = event_at(o, "confirm_report")
    assert n.occurred_at == at
    assert_words(n, o.number, "营销部", "吴经理", local(at), local(task.due_at), "已反馈")


def test_return_visit_for_the_customer_center(reported: WorkOrder, run: Any) -> None:
    VisitRule.objects.update_or_create(code="default", defaults={"assignee": "customer_center", "active": True})
    run(wo.work_order_confirm_report, order=reported.number, actor=actor("manager"))
    assert recipients(Kind.VISIT_ASSIGNED) == ["service_center"]
    assert_words(notices(Kind.VISIT_ASSIGNED)[0], "客户服务中心")


def test_unsatisfied_visit_tells_everyone_who_handled_the_order(reported: WorkOrder, run: Any) -> None:
    run(wo.work_order_confirm_report, order=reported.number, actor=actor("manager"))
    run(wo.work_order_return_visit, order=reported.number, actor=actor("specialist"), method="phone",
        outcome="unsatisfied", customer_words="问题没有解决")
    # marketing accepted and reported, the station returned findings, the manager confirmed; the specialist reopened.
    assert recipients(Kind.REOPENED) == ["manager", "marketing", "station"]
    (n, *_rest) = notices(Kind.REOPENED)
    o = WorkOrder.objects.get(pk=reported.pk)
    at = event_at(o, "return_visit")
    assert n.occurred_at == at
    assert_words(n, o.number, "李专责", "问题没有解决", local(at), "已反馈", "调查处理中", local(o.deadline_at))


def test_reopen_tells_the_handlers_but_not_the_reopener(reported: WorkOrder, run: Any) -> None:
    run(wo.work_order_confirm_report, order=reported.number, actor=actor("manager"))
    run(wo.work_order_return_visit, order=reported.number, actor=actor("specialist"), method="phone", outcome="satisfied")
    assert notices(Kind.REOPENED) == []  # a satisfied visit reopens nothing
    run(wo.work_order_reopen, order=reported.number, actor=actor("manager"), reason="客户再次投诉")
    assert recipients(Kind.REOPENED) == ["marketing", "station"]
    assert_words(notices(Kind.REOPENED)[0], "吴经理", "客户再次投诉", "已回访", "调查处理中")


def test_public_opinion_order_tells_its_handlers(org: Any, run: Any) -> None:
    from griddesk.workorders.serializers import IntakeSerializer
    from tests.conftest import intake_payload

    s = IntakeSerializer(data=intake_payload(type="public_opinion", channel="media", customer=None, category=None,
                                             title="网帖反映城关停电"))
    s.is_valid(raise_exception=True)
    o, _ = run(wo.work_order_intake, actor=actor("specialist"), data=s.to_data())
    # The joint monitoring team (marketing, audit, customer service center); the specialist opened it.
    assert recipients(Kind.OPINION_ORDER) == ["audit", "marketing", "service_center"]
    n = notices(Kind.OPINION_ORDER)[0]
    at = event_at(o, "create")
    assert n.occurred_at == at
    assert_words(n, o.number, "李专责", "网帖反映城关停电", local(at), "已受理")
    # Other types tell no one at intake.
    new_order()
    assert Notification.objects.filter(kind=Kind.OPINION_ORDER).count() == 3


def test_a_retried_handler_creates_nothing_new(graded: WorkOrder, run: Any) -> None:
    from griddesk.notifications import subscribers

    run(wo.work_order_dispatch, order=graded.number, actor=actor("specialist"))
    ev = graded.events.get(action="dispatch")
    again = domain_events.order_event(
        action=ev.action, order_id=ev.order_id, order_number=graded.number, seq=ev.seq, occurred_at=ev.at,
        actor_id=ev.actor_id, from_state=ev.from_state, to_state=ev.to_state, data=ev.data,
    )
    subscribers.on_dispatched(again)  # same recorded event → same id → same dedupe keys
    assert Notification.objects.filter(kind=Kind.DISPATCHED).count() == 1


def test_a_rolled_back_transition_tells_no_one(graded: WorkOrder, django_capture_on_commit_callbacks: Any) -> None:
    class Boom(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Boom), transaction.atomic():
        wo.work_order_dispatch(order=graded.number, actor=actor("specialist"))
        raise Boom
    assert callbacks == []
    assert Notification.objects.count() == 0
    assert WorkOrder.objects.get(pk=graded.pk).state == "graded"


def test_an_in_transaction_subscriber_can_veto_the_change(graded: WorkOrder, run: Any) -> None:
    seen: list[domain_events.DomainEvent] = []

    def veto(event: domain_events.DomainEvent) -> None:
        seen.append(event)
        raise RuntimeError("no")

    domain_events.subscribe(veto, names=["work_order.dispatch"], phase="in_transaction")
    try:
        with pytest.raises(RuntimeError):
            run(wo.work_order_dispatch, order=graded.number, actor=actor("specialist"))
    finally:
        domain_events.unsubscribe(veto)
    assert [e.name for e in seen] == ["work_order.dispatch"]
    assert seen[0].order_number == graded.number and seen[0].from_state == "graded" and seen[0].to_state == "dispatched"
    assert WorkOrder.objects.get(pk=graded.pk).state == "graded"
    assert Notification.objects.count() == 0


def test_urge_and_suspend_still_notify_through_events(investigating: WorkOrder, run: Any) -> None:
    run(wo.work_order_urge, order=investigating.number, actor=actor("agent"), note="客户来电催促")
    assert recipients(Kind.URGED) == ["marketing"]
    assert notices(Kind.URGED)[0].occurred_at == event_at(investigating, "urge")
    run(wo.work_order_suspend, order=investigating.number, actor=actor("marketing"), reason="等待客户提供材料",
        approver="manager")
    assert recipients(Kind.SUSPENDED) == ["manager"]


def test_the_core_does_not_import_the_apps_built_on_it() -> None:
    src = Path(wo.__file__).read_text(encoding="utf-8")
    tree = ast.parse(src)
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
    assert not {m for m in imported if m.startswith(("griddesk.notifications", "griddesk.opinion"))}, imported
    assert "griddesk.notifications" not in src and "griddesk.opinion" not in src


def test_bulk_intake_publishes_each_create(org: Any, run: Any) -> None:
    from griddesk.workorders.serializers import IntakeSerializer
    from tests.conftest import intake_payload

    def data(**kw: Any) -> Any:
        s = IntakeSerializer(data=intake_payload(**kw))
        s.is_valid(raise_exception=True)
        return s.to_data()

    seen: list[domain_events.DomainEvent] = []
    domain_events.subscribe(seen.append, names=["work_order.create"])
    try:
        results = run(wo.work_order_bulk_intake, actor=actor("specialist"), items=[
            data(), data(type="public_opinion", channel="media", customer=None, category=None, title="微博热议停电"),
        ])
    finally:
        domain_events.unsubscribe(seen.append)
    numbers = [r.order.number for r in results]
    assert [e.order_number for e in seen] == numbers and all(e.data["bulk"] for e in seen)
    assert len({e.id for e in seen}) == 2
    assert recipients(Kind.OPINION_ORDER) == ["audit", "marketing", "service_center"]
    assert {n.order.number for n in notices(Kind.OPINION_ORDER)} == {numbers[1]}


def test_the_clock_publishes_its_overdue_marks(investigating: WorkOrder, django_capture_on_commit_callbacks: Any) -> None:
    from datetime import timedelta

    from griddesk.workorders.clock_services import orders_mark_overdue

    seen: list[domain_events.DomainEvent] = []
    domain_events.subscribe(seen.append, names=["work_order.overdue"])
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert orders_mark_overdue(order_ids=[investigating.pk], now=investigating.deadline_at + timedelta(minutes=1)) == 1
    finally:
        domain_events.unsubscribe(seen.append)
    (ev,) = seen
    assert (ev.order_id, ev.order_number, ev.actor_id) == (investigating.pk, investigating.number, None)
    assert ev.seq == investigating.version + 1 and ev.from_state == ev.to_state == "investigating"


def test_subscriptions_register_once_and_unsubscribe() -> None:
    before = len(domain_events._subscriptions)
    seen: list[Any] = []
    domain_events.subscribe(seen.append, names=["work_order.test"])
    domain_events.subscribe(seen.append, names=["work_order.test"])  # ready() twice: one subscription
    assert len(domain_events._subscriptions) == before + 1 and domain_events.wants("work_order.test")
    domain_events.unsubscribe(seen.append)
    assert len(domain_events._subscriptions) == before and not domain_events.wants("work_order.test")
    with pytest.raises(ValueError):
        domain_events.subscribe(seen.append, phase="later")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        domain_events.subscribe(seen.append, names="work_order.test")
    ev = domain_events.order_event(action="dispatch", order_id=1, order_number="TS1", seq=3, occurred_at=timezone.now(),
                                   data={"a": 1})
    assert ev.id == domain_events.order_event(action="dispatch", order_id=1, order_number="TS1", seq=3,
                                              occurred_at=timezone.now()).id
    with pytest.raises(TypeError):
        ev.data["a"] = 2  # type: ignore[index]
    with pytest.raises(AttributeError):
        ev.name = "x"  # type: ignore[misc]
