from __future__ import annotations

from datetime import timedelta
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
