"""No order gets stuck: from every reachable state of every order type there is
a path to a closed state (archived, invalid or merged) using actions that some
user of the demo organisation — other than the administrator — may take.

What is real here:

- the organisation: ``griddesk.demo.org.ensure_demo_org`` (the demo's
  departments and every demo user with their role and department, the county
  marketing handlers included); the administrator is left out on purpose — an
  order only the administrator can move is stuck;
- the orders: taken in through ``work_order_intake`` by the 95598 agent (a
  county customer) and by the marketing service specialist (no customer), and
  a 舆情防范 order through the opinion app's real story transfer
  (item intake → judge → ``story_transfer``);
- who may act: for each node, every demo user for whom the order is visible
  (``selectors.work_orders_visible_to``) and ``selectors.allowed_actions``
  lists the action; each such action is then *run* through
  ``services.work_order_act`` (its own ``_lock`` checks: role, department
  scope, four eyes) in a savepoint that is rolled back after the subtree is
  explored. An action the selector offers but the service refuses (403/404)
  fails the test too.

What the test chooses: the data of each action (each grade 1–4, a station with
and one without a station investigator, satisfied and unsatisfied return
visits, …) and the node key — (state, grade, lead departments, open station
tasks, the state a suspension came from, who submitted the current report) —
under which a reached order counts as already explored. Besides "a path to a
closed state" the test asks for a path to *archived*: invalidating or merging
an order is throwing it away, not handling it, and would otherwise make every
order at 已受理 look unstuck. ``urge`` is not
explored: it never moves an order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from griddesk.common.errors import Forbidden, NotFound, ServiceError
from griddesk.demo.org import DemoContext, ensure_demo_org
from griddesk.engines import workflow
from griddesk.engines.workflow import TERMINAL_STATES, Action, State
from griddesk.workorders import selectors, services
from griddesk.workorders.models import OrderType, StationTask, WorkOrder
from griddesk.workorders.services import CustomerData, IntakeData

pytestmark = pytest.mark.django_db

CLOSED = {s.value for s in TERMINAL_STATES}

REPORT = {"findings": "现场核实属实", "responsibility": "线路老化", "rectification": "更换线路", "company_at_fault": True}

#: The data each action is tried with (several variants where it matters).
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "grade": [{"grade": g, "complexity": "ordinary", "reason": "走查定级"} for g in (1, 2, 3, 4)],
    # east-ps-1 has a station investigator in the demo; west-ps-2 has none.
    "assign_station": [{"stations": ["east-ps-1"]}, {"stations": ["west-ps-2"]}],
    "station_findings": [{"findings": "现场核实：表计正常"}],
    "submit_report": [REPORT],
    "return_report": [{"note": "请补充调查"}],
    "return_visit": [{"method": "phone", "outcome": "satisfied"}, {"method": "phone", "outcome": "unsatisfied"}],
    "reopen": [{"reason": "客户再次反映未解决"}],
    "invalidate": [{"reason": "无效工单"}],
    "suspend": [{"reason": "等待客户提供材料", "approver": "manager"}],
}
#: Actions whose result depends on who takes them (the submitter, for four eyes).
PER_USER = {Action.SUBMIT_REPORT.value}
SKIP = {Action.URGE.value}


@dataclass
class Walk:
    ctx: DemoContext
    merge_into: str
    nodes: set[tuple[Any, ...]] = field(default_factory=set)
    edges: dict[tuple[Any, ...], set[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(set))
    who: dict[tuple[Any, ...], list[str]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    todo_mismatch: list[str] = field(default_factory=list)
    runs: int = 0


def _key(order: WorkOrder) -> tuple[Any, ...]:
    report = order.reports.order_by("-pk").values_list("submitted_by__username", flat=True).first()
    return (
        order.state,
        order.grade,
        tuple(order.lead_assignments.order_by("pk").values_list("department__code", flat=True)),
        tuple(sorted(order.station_tasks.filter(state=StationTask.TaskState.OPEN).values_list("station__code", flat=True))),
        order.suspended_from,
        report if order.state == "reported" else None,
    )


def _users(w: Walk) -> list[str]:
    return sorted(u for u in w.ctx.users if u != "admin")


def _offers(w: Walk, order: WorkOrder) -> list[tuple[str, str]]:
    """(action, username) pairs the real selectors offer on ``order`` (users
    whose role has no explored action from this state at all are not asked:
    ``allowed_actions`` starts with that same role check)."""
    out = []
    possible = set(workflow.actions_from(State(order.state))) - {Action(a) for a in SKIP}
    for username in _users(w):
        actor = w.ctx.actor(username)
        if actor.role is None or not possible & workflow.ROLE_ACTIONS[actor.role]:
            continue
        if not selectors.work_orders_visible_to(actor).filter(pk=order.pk).exists():
            continue
        for action in selectors.allowed_actions(actor, order):
            out.append((action, username))
    return out


def _todo_parity(w: Walk, order: WorkOrder, key: tuple[Any, ...]) -> None:
    """待我处理 (``selectors.todo_filter``, one query over the queue) lists an
    order for a user exactly when the per-order check (``allowed_actions``)
    offers them a main step on it — the two are written apart and must agree."""
    for username in _users(w):
        actor = w.ctx.actor(username)
        visible = selectors.work_orders_visible_to(actor)
        listed = selectors.todo_filter(visible, actor).filter(pk=order.pk).exists()
        seen = visible.filter(pk=order.pk).exists()
        main = seen and any(Action(a) not in workflow.SIDE_ACTIONS for a in selectors.allowed_actions(actor, order))
        if listed != main:
            w.todo_mismatch.append(f"{key}: {username} listed={listed} main-step-offered={main}")


def _explore(w: Walk, number: str) -> None:
    order = WorkOrder.objects.select_related("company").get(number=number)
    key = _key(order)
    w.nodes.add(key)
    _todo_parity(w, order, key)
    offers = _offers(w, order)
    w.who[key] = sorted({f"{a}:{u}" for a, u in offers})
    if order.state in CLOSED:
        return
    tried: set[tuple[str, int, str]] = set()
    for action, username in offers:
        if action in SKIP:
            continue
        variants = VARIANTS.get(action, [{}])
        if action == Action.MERGE.value:
            variants = [{"into": w.merge_into}]
        for i, data in enumerate(variants):
            slot = (action, i, username if action in PER_USER else "")
            if slot in tried:
                continue
            with transaction.atomic():
                try:
                    services.work_order_act(order=number, actor=w.ctx.actor(username), action=action, data=dict(data))
                except (Forbidden, NotFound) as exc:
                    w.refused.append(f"{key}: {username} offered {action} but refused: {exc}")
                    transaction.set_rollback(True)
                    continue
                except ServiceError:
                    transaction.set_rollback(True)  # this data does not fit here (e.g. open station tasks)
                    continue
                tried.add(slot)
                w.runs += 1
                child = _key(WorkOrder.objects.get(number=number))
                w.edges[key].add(child)
                if child not in w.nodes:
                    _explore(w, number)
                transaction.set_rollback(True)


def _stuck(w: Walk, ends: set[str]) -> list[tuple[Any, ...]]:
    """Non-closed nodes with no path to a node whose state is in ``ends``."""
    reverse: dict[tuple[Any, ...], set[tuple[Any, ...]]] = defaultdict(set)
    for a, targets in w.edges.items():
        for b in targets:
            reverse[b].add(a)
    good = {n for n in w.nodes if n[0] in ends}
    todo = list(good)
    while todo:
        for a in reverse[todo.pop()]:
            if a not in good:
                good.add(a)
                todo.append(a)
    return sorted((n for n in w.nodes if n not in good and n[0] not in CLOSED), key=str)


def _intake(ctx: DemoContext, username: str, order_type: str, *, customer: bool, external_id: str) -> WorkOrder:
    order, _ = services.work_order_intake(
        actor=ctx.actor(username),
        data=IntakeData(
            channel="95598" if username == "agent" else "inspection",
            type=order_type,
            content="走查：客户反映问题需要处理",
            received_at=timezone.now(),
            external_id=external_id,
            customer=CustomerData(account_no="3300990001", name="张三", phone="13800000000", address="东湖县城关镇")
            if customer else None,
            # No customer: marked anonymous, or intake refuses it (contact_required).
            anonymous=not customer,
        ),
    )
    return order


def _county_customer(ctx: DemoContext) -> None:
    from griddesk.customers.models import Customer

    Customer.objects.update_or_create(
        account_no="3300990001", defaults={"name": "张三", "station": ctx.dept("east-ps-1"), "category": "residential"}
    )


def _check(w: Walk, start: WorkOrder) -> None:
    _explore(w, start.number)
    closed = {n[0] for n in w.nodes if n[0] in CLOSED}
    assert not w.refused, "\n".join(w.refused[:20])
    assert not w.todo_mismatch, "待我处理 and the actions offered disagree:\n" + "\n".join(w.todo_mismatch[:20])
    stuck = _stuck(w, CLOSED)
    assert not stuck, "stuck (no path to a closed state):\n" + "\n".join(f"{n} — offered: {w.who.get(n)}" for n in stuck)
    # Stronger: throwing an order away (invalidate / merge) is not handling it —
    # every open order can also be handled through to the archive.
    stuck = _stuck(w, {"archived"})
    assert not stuck, "only closable by invalidating or merging:\n" + "\n".join(
        f"{n} — offered: {w.who.get(n)}" for n in stuck
    )
    # the walk really went through the lifecycle
    assert {"archived", "invalid"} <= closed, closed
    states = {n[0] for n in w.nodes}
    assert {"reported", "fed_back", "visited", "assessed", "suspended"} <= states, states


TYPES = [t.value for t in OrderType]


@pytest.mark.parametrize("order_type", TYPES)
def test_no_order_taken_in_by_the_95598_station_gets_stuck(order_type: str) -> None:
    ctx = ensure_demo_org()
    _county_customer(ctx)
    target = _intake(ctx, "agent", order_type, customer=True, external_id="walk-target")
    start = _intake(ctx, "agent", order_type, customer=True, external_id="walk-start")
    _check(Walk(ctx, merge_into=target.number), start)


@pytest.mark.parametrize("order_type", TYPES)
def test_no_order_taken_in_by_the_service_specialist_gets_stuck(order_type: str) -> None:
    ctx = ensure_demo_org()
    target = _intake(ctx, "specialist", order_type, customer=False, external_id="walk-target")
    start = _intake(ctx, "specialist", order_type, customer=False, external_id="walk-start")
    _check(Walk(ctx, merge_into=target.number), start)


def test_a_public_opinion_order_from_a_story_transfer_does_not_get_stuck() -> None:
    """The 舆情防范 order opened by the specialist's story transfer (key point 3)
    used to stay at 已受理: only the 95598 agent may forward, and the agent
    does not even see an order the marketing department took in."""
    from griddesk.opinion import services as opinion
    from griddesk.opinion.serializers import parse_items

    ctx = ensure_demo_org()
    items = parse_items([{
        "source_kind": "social", "source_name": "微博", "url": "https://weibo.example.com/walk/1",
        "text": "东湖县城关镇停电一整天，95598打不通，要去12345投诉", "published_at": timezone.now().isoformat(),
    }])
    (result,) = opinion.opinion_items_intake(actor=ctx.actor("specialist"), items=items)
    assert result.item is not None and result.item.story_id is not None
    story = result.item.story_id
    opinion.story_judge(story=story, actor=ctx.actor("audit"), level="high", may_cause_impact=True, needs_transfer=True)
    s = opinion.story_transfer(story=story, actor=ctx.actor("specialist"))
    start = s.work_order
    assert start is not None and start.type == OrderType.PUBLIC_OPINION and start.state == "received"
    target = _intake(ctx, "specialist", OrderType.PUBLIC_OPINION.value, customer=False, external_id="walk-target")
    _check(Walk(ctx, merge_into=target.number), start)
