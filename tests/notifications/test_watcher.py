from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django_q.models import Schedule

from griddesk.notifications.models import Delivery, Notification, WatchThreshold
from griddesk.notifications.tasks import watch_deadlines

from .conftest import DEADLINE, RECEIVED

pytestmark = pytest.mark.django_db


def notices() -> list[tuple[str, str, str]]:
    return sorted(
        (n.kind, n.recipient.username, n.order.number if n.order else "")
        for n in Notification.objects.select_related("recipient", "order")
    )


def test_defaults_seeded_by_migration() -> None:
    assert WatchThreshold.objects.get(code="half-used").fraction_used == 0.5
    assert WatchThreshold.objects.get(code="4-hours-left").hours_left == 4
    # issue 3: "4 working hours left" replaces the natural-hours warning
    assert WatchThreshold.objects.get(code="4-hours-left").active is False
    wh = WatchThreshold.objects.get(code="4-working-hours-left")
    assert (wh.working_hours_left, wh.hours_left, wh.active) == (4, None, True)
    s = Schedule.objects.get(func="griddesk.notifications.tasks.watch_deadlines")
    assert (s.schedule_type, s.minutes) == (Schedule.MINUTES, 5)


def test_no_threshold_crossed(order_at: Any) -> None:
    order_at("received")
    counts = watch_deadlines(now=RECEIVED + timedelta(days=4, hours=23))
    assert Notification.objects.count() == 0
    assert counts.get("warning", 0) == 0


def test_half_time_used_warns_the_specialist_before_dispatch(order_at: Any) -> None:
    o = order_at("received")
    counts = watch_deadlines(now=RECEIVED + timedelta(days=5))
    assert notices() == [("warning", "specialist", o.number)]
    n = Notification.objects.get()
    assert n.dedupe_key.startswith(f"warning:half-used:{o.number}:")
    assert o.number in n.title
    assert counts["warning"] == 1
    # the inbox delivery is recorded as sent, the log sender ran inline
    assert sorted(Delivery.objects.values_list("channel", "state")) == [("inbox", "sent"), ("log", "sent")]


def test_hours_left_warns_the_lead_handlers_after_dispatch(order_at: Any) -> None:
    o = order_at("dispatched", received=DEADLINE - timedelta(days=30))  # half used long ago
    WatchThreshold.objects.filter(code="half-used").update(active=False)
    WatchThreshold.objects.filter(code="4-hours-left").update(active=True)
    WatchThreshold.objects.filter(code="4-working-hours-left").update(active=False)
    watch_deadlines(now=DEADLINE - timedelta(hours=4, minutes=1))
    assert Notification.objects.count() == 0
    watch_deadlines(now=DEADLINE - timedelta(hours=3))
    # grade 3 → the marketing department leads; its handler is "marketing"
    assert notices() == [("warning", "marketing", o.number)]


def test_edited_threshold_is_used(order_at: Any) -> None:
    order_at("received")
    WatchThreshold.objects.filter(code="half-used").update(fraction_used="0.8")
    watch_deadlines(now=RECEIVED + timedelta(days=7))
    assert Notification.objects.count() == 0
    watch_deadlines(now=RECEIVED + timedelta(days=8))
    assert [n[0] for n in notices()] == ["warning"]


def test_overdue_notifies_handlers_and_escalates_to_manager_and_specialist(order_at: Any) -> None:
    o = order_at("investigating")
    counts = watch_deadlines(now=DEADLINE + timedelta(minutes=1))
    assert notices() == [
        ("escalation", "manager", o.number),
        ("escalation", "specialist", o.number),
        ("overdue", "marketing", o.number),
    ]
    assert counts["overdue"] == 1 and counts["escalation"] == 2


def test_closed_and_deadline_less_orders_are_ignored(order_at: Any) -> None:
    order_at("archived")
    o = order_at("received")
    o.__class__.objects.filter(pk=o.pk).update(deadline_at=None)
    assert watch_deadlines(now=DEADLINE + timedelta(days=1)).get("orders", 0) == 0
    assert Notification.objects.count() == 0


def test_each_notice_is_sent_once(order_at: Any) -> None:
    order_at("investigating")
    first = watch_deadlines(now=DEADLINE + timedelta(minutes=1))
    assert first["overdue"] == 1
    deliveries = Delivery.objects.count()
    second = watch_deadlines(now=DEADLINE + timedelta(minutes=6))
    assert second.get("overdue", 0) == 0 and second.get("escalation", 0) == 0
    assert Notification.objects.count() == 3
    assert Delivery.objects.count() == deliveries


def test_moved_deadline_warns_again(order_at: Any) -> None:
    o = order_at("received")
    watch_deadlines(now=RECEIVED + timedelta(days=5))
    o.__class__.objects.filter(pk=o.pk).update(deadline_at=DEADLINE + timedelta(days=2))
    watch_deadlines(now=RECEIVED + timedelta(days=6, hours=1))
    assert Notification.objects.filter(kind="warning").count() == 2


def test_working_hours_left_counts_business_hours_on_working_days(order_at: Any) -> None:
    # Due Monday 2026-03-09 10:30: four working hours before that is Friday
    # 15:30 (Fri 15:30–17:30 + Mon 08:30–10:30), not Monday 06:30.
    from .conftest import SH

    due = datetime(2026, 3, 9, 10, 30, tzinfo=SH)
    o = order_at("dispatched", received=due - timedelta(days=30), deadline=due)
    WatchThreshold.objects.filter(code="half-used").update(active=False)
    watch_deadlines(now=datetime(2026, 3, 6, 15, 29, tzinfo=SH))
    assert Notification.objects.count() == 0
    watch_deadlines(now=datetime(2026, 3, 6, 15, 31, tzinfo=SH))
    assert notices() == [("warning", "marketing", o.number)]
    n = Notification.objects.get()
    assert n.dedupe_key.startswith(f"warning:4-working-hours-left:{o.number}:")


def test_watcher_sets_the_overdue_flag_once_with_an_event(order_at: Any) -> None:
    o = order_at("investigating")
    assert o.overdue is False
    watch_deadlines(now=DEADLINE - timedelta(minutes=1))
    o.refresh_from_db()
    assert o.overdue is False
    counts = watch_deadlines(now=DEADLINE + timedelta(minutes=1))
    assert counts["marked_overdue"] == 1
    o2 = o.__class__.objects.get(pk=o.pk)
    assert o2.overdue is True and o2.version == o.version + 1
    event = o2.events.get(seq=o2.version)
    assert (event.action, event.actor_name, event.from_state, event.to_state) == ("overdue", "system", "investigating", "investigating")
    again = watch_deadlines(now=DEADLINE + timedelta(minutes=6))
    assert again.get("marked_overdue", 0) == 0
    assert o.__class__.objects.get(pk=o.pk).version == o2.version


def test_suspended_orders_are_not_watched(order_at: Any) -> None:
    o = order_at("investigating")
    o.__class__.objects.filter(pk=o.pk).update(state="suspended", suspended_from="investigating", suspended_at=RECEIVED)
    counts = watch_deadlines(now=DEADLINE + timedelta(days=1))
    assert counts.get("orders", 0) == 0
    assert Notification.objects.count() == 0
    assert o.__class__.objects.get(pk=o.pk).overdue is False
