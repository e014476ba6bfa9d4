"""How many notices one intake makes, and bursts collapsed into digests."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db.models import F

from griddesk.notifications import selectors, services
from griddesk.notifications.models import Delivery, Kind, Notification
from griddesk.notifications.services import Notice, notices_create
from griddesk.notifications.tasks import watch_deadlines
from griddesk.workorders.models import WorkOrder
from tests.conftest import intake_payload

from .conftest import RECEIVED

pytestmark = pytest.mark.django_db

LOG = ["griddesk.notifications.senders.LogSender"]


def _told() -> list[tuple[str, str, str]]:
    return sorted(
        (n.recipient.username, n.kind, n.dedupe_key.split(":")[0]) for n in Notification.objects.select_related("recipient")
    )


def test_one_untouched_intake_tells_each_person_once_per_event(client_for: Any, settings: Any) -> None:
    """An order taken in and never handled, watched every 30 minutes through
    its life. Before dispatch the people responsible are the specialists; they
    are escalated to as well, so the deadline passing told the specialist twice
    (overdue + escalation): 7 notices, 6 of them to one person."""
    settings.GRIDDESK_NOTIFICATION_SENDERS = LOG
    r = client_for("agent").post("/api/v1/work-orders/", intake_payload(received_at=RECEIVED.isoformat()), format="json")
    assert r.status_code == 201, r.content
    order = WorkOrder.objects.get()
    assert order.stage == "forward" and order.deadline_at is not None
    assert not Notification.objects.exists()  # the intake itself tells nobody
    now = RECEIVED
    while now <= order.deadline_at + timedelta(days=1):
        watch_deadlines(now=now)
        now += timedelta(minutes=30)
    assert _told() == [
        ("manager", "escalation", "escalation"),  # handling deadline passed: escalated to the manager
        ("specialist", "overdue", "overdue"),  # handling deadline passed (and not escalated to again)
        ("specialist", "overdue", "stage-overdue"),  # the 2 working hours to forward passed
        ("specialist", "warning", "stage-warning"),  # half the forwarding limit used
        ("specialist", "warning", "warning"),  # half the handling time used
        ("specialist", "warning", "warning"),  # 4 working hours left
    ]
    assert Notification.objects.count() == 6
    # Each notice: the inbox and the one configured sender.
    assert Delivery.objects.count() == 12
    assert Counter(Delivery.objects.values_list("channel", flat=True)) == {"inbox": 6, "log": 6}


def test_a_burst_of_bulk_intakes_is_one_digest_per_person_and_kind(client_for: Any, settings: Any) -> None:
    settings.GRIDDESK_NOTIFICATION_SENDERS = LOG
    settings.GRIDDESK_NOTICE_DIGEST = {"window_minutes": 10, "threshold": 20}
    settings.GRIDDESK_BULK_MAX = 1000
    burst = 500
    orders = [intake_payload(received_at=RECEIVED.isoformat(), customer=None, anonymous=True) for _ in range(burst)]
    r = client_for("agent").post("/api/v1/work-orders/bulk/", {"orders": orders}, format="json")
    assert r.status_code in (200, 201, 207), r.content
    assert WorkOrder.objects.count() == burst
    # 10:30: half of the 2 working hours to forward is used; 11:05: passed.
    watch_deadlines(now=RECEIVED + timedelta(minutes=90))
    watch_deadlines(now=RECEIVED + timedelta(minutes=125))
    watch_deadlines(now=RECEIVED + timedelta(minutes=125))  # a repeated run adds nothing
    specialist = get_user_model().objects.get(username="specialist")
    # Every order is still told once per person and event (the key), ...
    assert Notification.objects.filter(recipient=specialist, digest_count=0).count() == 2 * burst
    # ... but the inbox and the senders see 20 one by one plus one digest per kind.
    inbox = list(selectors.inbox(specialist.pk))
    assert len(inbox) == 2 * (20 + 1)
    digests = [n for n in inbox if n.digest_count]
    assert sorted(d.digest_count for d in digests) == [burst - 20, burst - 20]
    titles = {d.title for d in digests}
    assert titles == {f"{burst - 20} 条工单时限将到", f"{burst - 20} 条工单已超时"}, titles
    assert all(d.order_id is None and "TS" in d.body for d in digests)
    assert Delivery.objects.filter(notification__recipient=specialist).count() == 2 * (20 + 1) * 2
    assert Delivery.objects.filter(notification__digest__isnull=False).count() == 0
    assert selectors.unread_count(specialist.pk) == 42
    # Reading the digest reads what it stands for.
    services.notification_mark_read(notification_id=digests[0].pk, user_id=specialist.pk)
    assert not digests[0].items.filter(read_at__isnull=True).exists()
    assert selectors.unread_count(specialist.pk) == 41


def _notices(user_id: int, prefix: str, n: int) -> list[Notice]:
    return [Notice(user_id, None, Kind.URGED, f"{prefix}{i}", "", f"test:{prefix}:{i}") for i in range(n)]


def test_digest_grows_within_its_window_and_is_delivered_once(settings: Any, org: Any) -> None:
    settings.GRIDDESK_NOTIFICATION_SENDERS = LOG
    settings.GRIDDESK_NOTICE_DIGEST = {"window_minutes": 10, "threshold": 5}
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    from django_q.models import OrmQ, Schedule

    uid = get_user_model().objects.get(username="manager").pk
    notices_create(_notices(uid, "a", 8))
    notices_create(_notices(uid, "b", 4))
    inbox = list(selectors.inbox(uid))
    digest = next(n for n in inbox if n.digest_count)
    assert len(inbox) == 6 and digest.digest_count == 7 and digest.title == "7 条工单被催办"
    # Five one by one (queued now), the digest once, when its window closes.
    assert OrmQ.objects.count() == 5
    sends = Schedule.objects.filter(func=services.SEND_TASK)
    assert sends.count() == 1 and sends.get().next_run >= services.digest_window_end(digest) - timedelta(seconds=1)
    assert Delivery.objects.filter(notification=digest).count() == 2
    # The next window starts afresh.
    Notification.objects.update(created_at=F("created_at") - timedelta(minutes=10))
    notices_create(_notices(uid, "c", 2))
    assert len(list(selectors.inbox(uid))) == 8


def test_digests_off_with_threshold_zero(settings: Any, org: Any) -> None:
    settings.GRIDDESK_NOTICE_DIGEST = {"window_minutes": 10, "threshold": 0}
    uid = get_user_model().objects.get(username="manager").pk
    notices_create(_notices(uid, "a", 30))
    assert len(list(selectors.inbox(uid))) == 30
