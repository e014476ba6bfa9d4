"""A calendar change recomputes open orders' deadlines (django-q2 task, run inline)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.template import Context, RequestContext, Template
from django.test import RequestFactory

from griddesk.workorders import clock, clock_services, rules
from griddesk.workorders.context import sla_banner
from griddesk.workorders.models import RuleChange, WorkOrder

from .conftest import local

OVERRIDES = "/api/v1/calendar/overrides/"
NOTICE = "国务院办公厅关于2027年部分节假日安排的通知"


def place(number: str, received_at: datetime, complexity: str, state: str | None = None) -> WorkOrder:
    """Move an order's receipt (intake refuses times in the future) and give it
    the deadline intake would have computed."""
    dl = rules.handling_deadline(received_at, complexity)
    fields = {"received_at": received_at, "complexity": complexity, "deadline_at": dl.due_at, "deadline_provisional": dl.provisional}
    if state:
        fields["state"] = state
    WorkOrder.objects.filter(number=number).update(**fields)
    return WorkOrder.objects.get(number=number)


@pytest.fixture
def december(make_order):
    """An open important order received 2026-12-30: due 2027-01-06, provisional."""
    order = place(make_order()["number"], local(2026, 12, 30, 10), "important")
    assert order.deadline_at == local(2027, 1, 6, 23, 59, 59) and order.deadline_provisional
    return order


def banner_for(client_for, username):
    from django.contrib.auth import get_user_model

    request = RequestFactory().get("/")
    request.user = get_user_model().objects.get(username=username)
    return str(sla_banner(request)["calendar_banner"])


def test_entering_and_confirming_2027_recomputes_the_open_order(org, client_for, make_order, committed, december):
    closed = place(make_order()["number"], local(2026, 12, 30, 11), "important", state="archived")
    assert clock.provisional_years_in_use() == [2027]
    assert banner_for(client_for, "admin") == "2027年节假日安排尚未确认"
    assert banner_for(client_for, "agent") == ""

    body = {
        "overrides": [
            {"date": "2027-01-01", "is_workday": False},
            {"date": "2027-01-04", "is_workday": False, "note": "假设的调休"},
        ],
        "confirm_year": 2027,
        "notice": NOTICE,
    }
    with committed():
        r = client_for("admin").post(OVERRIDES, body, format="json")
    assert r.status_code == 200, r.content

    order = WorkOrder.objects.get(pk=december.pk)
    assert order.deadline_at == local(2027, 1, 7, 23, 59, 59)
    assert order.deadline_provisional is False
    # The moved deadline is audited on the order's timeline (issue 3: events).
    assert order.version == december.version + 1
    event = order.events.get(seq=order.version)
    assert (event.action, event.actor_id, event.actor_name) == ("deadline", None, "system")
    assert event.from_state == event.to_state == order.state
    assert event.data["before"] == december.deadline_at.isoformat()
    assert datetime.fromisoformat(event.data["deadline_at"]) == local(2027, 1, 7, 23, 59, 59)
    assert event.data["provisional"] is False and event.data["overdue"] is False
    untouched = WorkOrder.objects.get(pk=closed.pk)
    assert (untouched.deadline_at, untouched.deadline_provisional) == (closed.deadline_at, True)

    api = client_for("agent").get(f"/api/v1/work-orders/{order.number}/").json()
    assert api["deadline_provisional"] is False
    assert datetime.fromisoformat(api["deadline_at"]) == local(2027, 1, 7, 23, 59, 59)

    summary = RuleChange.objects.get(model=clock_services.RECOMPUTE_LABEL)
    assert summary.change == "recompute" and summary.actor.username == "admin"
    assert summary.after["recomputed"] == 1 and summary.after["still_provisional"] == 0
    assert summary.after["sample"][0]["number"] == order.number
    assert clock.provisional_years_in_use() == []
    assert banner_for(client_for, "admin") == ""

    # The deadline API now answers from the confirmed calendar.
    due = client_for("agent").get(
        "/api/v1/sla/deadline", {"received_at": "2026-12-30T10:00:00+08:00", "complexity": "important"}
    ).json()
    assert due["provisional"] is False and datetime.fromisoformat(due["due_at"]) == local(2027, 1, 7, 23, 59, 59)

    # Withdrawing the confirmation makes the deadline provisional again.
    with committed():
        assert client_for("admin").delete("/api/v1/calendar/2027/confirm/").status_code == 204
    order.refresh_from_db()
    assert order.deadline_provisional is True and order.deadline_at == local(2027, 1, 7, 23, 59, 59)
    assert RuleChange.objects.filter(model="sla.ConfirmedYear", change="delete").count() == 1
    assert RuleChange.objects.filter(model=clock_services.RECOMPUTE_LABEL).count() == 2


def test_an_override_without_confirmation_moves_the_deadline_but_stays_provisional(org, client_for, committed, december):
    with committed():
        r = client_for("admin").post(
            OVERRIDES, {"date": "2027-01-04", "is_workday": False, "source_notice": NOTICE}, format="json"
        )
    assert r.status_code == 201
    december.refresh_from_db()
    assert december.deadline_at == local(2027, 1, 7, 23, 59, 59) and december.deadline_provisional is True


def test_an_override_in_an_official_year_moves_non_provisional_deadlines(org, client_for, make_order, committed):
    # Received Friday 2026-11-27, ordinary: due Tuesday 12-01 (not provisional).
    inside = place(make_order()["number"], local(2026, 11, 27, 10), "ordinary")
    after = place(make_order()["number"], local(2026, 12, 1, 10), "ordinary")  # window starts after 11-30
    assert inside.deadline_at == local(2026, 12, 1, 23, 59, 59) and not inside.deadline_provisional
    with committed():
        r = client_for("admin").post(
            OVERRIDES, {"date": "2026-11-30", "is_workday": False, "source_notice": "江城市停电应急安排"}, format="json"
        )
    assert r.status_code == 201
    inside.refresh_from_db()
    assert inside.deadline_at == local(2026, 12, 2, 23, 59, 59) and not inside.deadline_provisional
    assert WorkOrder.objects.get(pk=after.pk).deadline_at == after.deadline_at
    summary = RuleChange.objects.get(model=clock_services.RECOMPUTE_LABEL)
    assert summary.after["range"] == ["2026-11-30", "2026-11-30"] and summary.after["recomputed"] == 1

    # Deleting it puts the deadline back.
    with committed():
        assert client_for("admin").delete(f"{OVERRIDES}2026-11-30/").status_code == 204
    inside.refresh_from_db()
    assert inside.deadline_at == local(2026, 12, 1, 23, 59, 59)


def test_recompute_runs_in_batches(org, make_order):
    numbers = [make_order()["number"] for _ in range(5)]
    for n in numbers:
        place(n, local(2026, 12, 30, 10), "important")
    WorkOrder.objects.filter(number__in=numbers).update(deadline_at=local(2027, 3, 1))  # stale
    summary = clock_services.deadlines_recompute(batch_size=2, reason="test")
    assert summary["examined"] == 5 and summary["recomputed"] == 5 and summary["still_provisional"] == 5
    assert set(WorkOrder.objects.filter(number__in=numbers).values_list("deadline_at", flat=True)) == {
        local(2027, 1, 6, 23, 59, 59)
    }
    again = clock_services.deadlines_recompute(batch_size=2)
    assert again["recomputed"] == 0  # idempotent


def test_grading_uses_the_effective_calendar(org, client_for, make_order, act, committed):
    number = make_order()["number"]
    place(number, local(2026, 11, 27, 10), "ordinary")
    with committed():
        client_for("admin").post(
            OVERRIDES, {"date": "2026-12-01", "is_workday": False, "source_notice": "江城市停电应急安排"}, format="json"
        )
    act("agent", number, "forward")
    graded = act("specialist", number, "grade", grade=3, complexity="ordinary")
    assert datetime.fromisoformat(graded["deadline_at"]) == local(2026, 12, 2, 23, 59, 59)


def test_banner_variable_in_a_template(org, client_for, december):
    from django.contrib.auth import get_user_model

    request = RequestFactory().get("/")
    request.user = get_user_model().objects.get(username="admin")
    html = Template("{% if calendar_banner %}<p>{{ calendar_banner }}</p>{% endif %}").render(RequestContext(request, {}))
    assert html == "<p>2027年节假日安排尚未确认</p>"
    request.user = get_user_model().objects.get(username="manager")
    assert Template("{% if calendar_banner %}x{% endif %}").render(RequestContext(request, {})) == ""
    assert Template("{{ calendar_banner }}").render(Context({})) == ""


def test_banner_in_english(org, december):
    from django.utils import translation

    from griddesk.sla.context import banner_text

    with translation.override("en"):
        assert banner_text([2027]) == "The 2027 holiday calendar is not confirmed"
    with translation.override("zh-hans"):
        assert banner_text([2027, 2028]) == "2027、2028年节假日安排尚未确认"


def test_recompute_covers_every_policy_kind_and_fixes_overdue_flags(org, make_order):
    """Working-days orders (set-based on PostgreSQL) and other kinds (row by row)
    in one run: stale deadlines are corrected, each with a ``deadline`` event,
    and the overdue flag follows the new deadline."""
    from datetime import timedelta

    from django.utils import timezone

    from griddesk.sla.models import SlaPolicy

    SlaPolicy.objects.create(code="fault-natural", stage="handling", kind="natural", amount=24 * 60, order_types=["fault_repair"])
    now = timezone.now()
    complaint = WorkOrder.objects.get(number=make_order()["number"])
    fault = WorkOrder.objects.get(number=make_order(type="fault_repair", category=None)["number"])
    assert fault.sla_policy == "fault-natural"
    received = now - timedelta(days=3)
    # stale, provisional deadlines; the complaint wrongly flagged overdue
    WorkOrder.objects.filter(pk=complaint.pk).update(received_at=received, deadline_at=now - timedelta(days=9),
                                                     deadline_provisional=True, overdue=True)
    WorkOrder.objects.filter(pk=fault.pk).update(received_at=received, deadline_at=now + timedelta(days=9),
                                                 deadline_provisional=True)
    summary = clock_services.deadlines_recompute(reason="test", now=now)
    assert summary["examined"] == 2 and summary["recomputed"] == 2 and summary["overdue_changed"] >= 1
    c = WorkOrder.objects.get(pk=complaint.pk)
    expected = rules.handling_deadline(received, c.complexity)
    assert (c.deadline_at, c.deadline_provisional) == (expected.due_at, expected.provisional)
    assert c.overdue is (expected.due_at < now)
    f = WorkOrder.objects.get(pk=fault.pk)
    assert f.deadline_at == received + timedelta(hours=24) and f.deadline_provisional is False
    assert f.overdue is True  # received three days ago, 24 natural hours allowed
    for o, before in ((c, complaint), (f, fault)):
        assert o.version == before.version + 1
        e = o.events.get(seq=o.version)
        assert e.action == "deadline" and e.actor_name == "system" and e.data["reason"] == "test"
        assert datetime.fromisoformat(e.data["deadline_at"]) == o.deadline_at
        assert e.data["overdue"] is o.overdue
    assert {s["number"] for s in summary["sample"]} == {c.number, f.number}
    # a second run finds nothing to change
    again = clock_services.deadlines_recompute(reason="again", now=now)
    assert again["recomputed"] == 0


def test_a_task_queued_under_the_old_sla_path_still_recomputes(org, december):
    """Tasks queued before the order clock moved to workorders name
    ``griddesk.sla.tasks.*``: they still run (sla announces the change, the
    clock's listener queues its own task, run inline here)."""
    from griddesk.common.queues import BACKGROUND, enqueue
    from griddesk.sla.models import CalendarOverride, ConfirmedYear

    CalendarOverride.objects.create(day=datetime(2027, 1, 4).date(), is_workday=False, source_notice=NOTICE)
    ConfirmedYear.objects.create(year=2027, notice=NOTICE)
    enqueue("griddesk.sla.tasks.recompute_provisional_deadlines", queue=BACKGROUND, first="2027-01-01", last="2027-12-31",
            actor_id=None, reason="queued before the move")
    december.refresh_from_db()
    assert december.deadline_at == local(2027, 1, 7, 23, 59, 59) and december.deadline_provisional is False
    summary = RuleChange.objects.get(model=clock_services.RECOMPUTE_LABEL)
    assert summary.after["reason"] == "queued before the move" and summary.after["recomputed"] == 1

    enqueue("griddesk.sla.tasks.recompute_after_rule_change", queue=BACKGROUND, order_types=["complaint"],
            actor_id=None, reason="rules, queued before the move")
    rules_run = RuleChange.objects.get(model=clock_services.RECOMPUTE_LABEL, object_id="rules")
    assert rules_run.after["reason"] == "rules, queued before the move"


def test_the_recompute_waits_for_the_commit_and_a_rollback_recomputes_nothing(org, december, django_capture_on_commit_callbacks):
    from django.db import transaction

    from griddesk.sla import services
    from tests.walk import admin_actor

    day = datetime(2027, 1, 4).date()
    with django_capture_on_commit_callbacks(execute=False) as rolled_back:
        try:
            with transaction.atomic():
                services.calendar_override_set(actor=admin_actor(), day=day, is_workday=False, source_notice=NOTICE)
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
    assert rolled_back == []

    with django_capture_on_commit_callbacks(execute=False) as pending:
        services.calendar_override_set(actor=admin_actor(), day=day, is_workday=False, source_notice=NOTICE)
    # announced on commit, not during the change
    assert not RuleChange.objects.filter(model=clock_services.RECOMPUTE_LABEL).exists()
    december.refresh_from_db()
    assert december.deadline_at == local(2027, 1, 6, 23, 59, 59)
    assert len(pending) == 1
    pending[0]()
    december.refresh_from_db()
    assert december.deadline_at == local(2027, 1, 7, 23, 59, 59)
    assert RuleChange.objects.get(model=clock_services.RECOMPUTE_LABEL).after["reason"] == "override 2027-01-04"


def test_the_migration_points_schedules_at_the_moved_tasks(db):
    from importlib import import_module

    from django.apps import apps
    from django_q.models import Schedule

    migration = import_module("griddesk.workorders.migrations.0014_clock_task_paths")
    old = Schedule.objects.create(func="griddesk.sla.tasks.recompute_provisional_deadlines", name="nightly-recompute")
    other = Schedule.objects.create(func="griddesk.notifications.tasks.watch_deadlines", name="other-watch")
    migration.forward(apps, None)
    old.refresh_from_db()
    other.refresh_from_db()
    assert old.func == "griddesk.workorders.tasks.recompute_provisional_deadlines"
    assert other.func == "griddesk.notifications.tasks.watch_deadlines"
    from griddesk.workorders import tasks

    assert callable(tasks.recompute_provisional_deadlines) and old.func.endswith(tasks.recompute_provisional_deadlines.__name__)
    migration.backward(apps, None)
    old.refresh_from_db()
    assert old.func == "griddesk.sla.tasks.recompute_provisional_deadlines"
