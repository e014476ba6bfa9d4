"""The inbox in the web UI (bell with unread count, inbox page, mark read) and
the queue's deadline display (overdue flag, suspended, provisional, order)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from griddesk.notifications.models import Notification
from griddesk.notifications.tasks import watch_deadlines
from griddesk.workorders.models import WorkOrder

from .conftest import DEADLINE

pytestmark = pytest.mark.django_db


def login(username: str) -> Client:
    c = Client()
    c.force_login(get_user_model().objects.get(username=username))
    return c


def bell(html: str) -> str | None:
    m = re.search(r'id="inbox-bell"[^>]*>.*?(?:<span class="bell-count">(\d+)</span>)?</a>', html, re.S)
    assert m, "no bell in the header"
    return m.group(1)


def test_bell_inbox_and_mark_read(order_at: Any) -> None:
    o = order_at("investigating")
    watch_deadlines(now=DEADLINE + timedelta(minutes=1))
    c = login("manager")  # escalation notice
    assert bell(c.get("/").content.decode()) == "1"
    page = c.get("/inbox/").content.decode()
    assert o.number in page and 'class="unread"' in page
    note = Notification.objects.get(recipient__username="manager")
    r = c.post(f"/inbox/{note.pk}/read/", {"next": "order"})
    assert r.status_code == 302 and r["Location"].endswith(f"/orders/{o.number}/")
    note.refresh_from_db()
    assert note.read_at is not None
    assert bell(c.get("/").content.decode()) is None
    # someone else's notice is not found; GET does not mark read
    other = Notification.objects.exclude(recipient__username="manager").first()
    assert c.post(f"/inbox/{other.pk}/read/").status_code == 404
    assert login("marketing").get(f"/inbox/{other.pk}/read/").status_code == 405


def test_mark_all_read(order_at: Any) -> None:
    order_at("investigating")
    order_at("investigating")
    watch_deadlines(now=DEADLINE + timedelta(minutes=1))
    c = login("marketing")
    assert bell(c.get("/inbox/").content.decode()) == "2"
    c.post("/inbox/read-all/")
    assert not Notification.objects.filter(recipient__username="marketing", read_at__isnull=True).exists()
    assert "/inbox/" in login("marketing").get("/inbox/?unread=1").content.decode()


def test_inbox_needs_login(db: Any) -> None:
    assert Client().get("/inbox/").status_code == 302


def test_queue_shows_overdue_suspended_and_provisional_and_sorts_by_time_left(org: Any) -> None:
    from django.utils import timezone

    from tests.conftest import intake_payload
    from tests.walk import walk_to

    accounts = iter(range(3300200001, 3300200010))

    def order_at(state: str, received: Any, deadline: Any) -> WorkOrder:
        customer = {**intake_payload()["customer"], "account_no": str(next(accounts))}
        o = walk_to(state, customer=customer)
        WorkOrder.objects.filter(pk=o.pk).update(received_at=received, deadline_at=deadline)
        return WorkOrder.objects.get(pk=o.pk)

    now = timezone.now()
    late = order_at("investigating", received=now - timedelta(days=5), deadline=now - timedelta(hours=1))
    soon = order_at("investigating", received=now - timedelta(days=1), deadline=now + timedelta(hours=2))
    later = order_at("investigating", received=now - timedelta(days=1), deadline=now + timedelta(days=3))
    paused = order_at("investigating", received=now - timedelta(days=1), deadline=now + timedelta(hours=1))
    WorkOrder.objects.filter(pk=paused.pk).update(state="suspended", suspended_from="investigating", suspended_at=now)
    WorkOrder.objects.filter(pk=later.pk).update(deadline_provisional=True)
    watch_deadlines(now=now)  # flags the late one overdue
    html = login("marketing").get("/").content.decode()
    rows = re.findall(r'<tr data-number="([^"]+)">(.*?)</tr>', html, re.S)
    numbers = [n for n, _ in rows]
    # running clocks by time left, then suspended ones
    assert [n for n in numbers if n in {late.number, soon.number, later.number, paused.number}] == [
        late.number, soon.number, later.number, paused.number,
    ]
    cells = dict(rows)
    assert "overdue-flag" in cells[late.number] and "deadline-red" in cells[late.number]
    assert "deadline-suspended" in cells[paused.number] and "overdue-flag" not in cells[paused.number]
    assert 'class="badge provisional"' in cells[later.number]
    assert "deadline-amber" in cells[soon.number]


def test_inbox_pages_keep_the_unread_filter(org: Any) -> None:
    user = get_user_model().objects.get(username="manager")
    Notification.objects.bulk_create(
        [Notification(recipient=user, kind="warning", title=f"提醒 {i}", dedupe_key=f"pager-test-{i}") for i in range(35)]
    )
    c = login("manager")
    first = c.get("/inbox/?unread=1").content.decode()
    assert 'href="?unread=1&amp;page=2"' in first
    assert "第 1 / 2 页" in first
    second = c.get("/inbox/?unread=1&page=2").content.decode()
    assert 'href="?unread=1&amp;page=1"' in second
    everything = c.get("/inbox/").content.decode()
    assert 'href="?page=2"' in everything


def test_inbox_notices_and_columns_in_words(order_at: Any) -> None:
    o = order_at("investigating")
    watch_deadlines(now=DEADLINE + timedelta(minutes=1))
    page = login("manager").get("/inbox/").content.decode()
    note = Notification.objects.get(recipient__username="manager", order=o)
    assert "调查处理中" in note.body and "investigating" not in note.body  # the state by its label
    assert "（investigating）" not in page and "(investigating)" not in page
    head = re.search(r'<table class="grid" id="inbox">.*?</thead>', page, re.S).group(0)
    # The column is when what the notice tells happened (the event; for a deadline notice, when it was raised).
    assert "发生时间" in head and "受理时间" not in head


def test_inbox_shows_when_the_event_happened(org: Any) -> None:
    from zoneinfo import ZoneInfo

    user = get_user_model().objects.get(username="marketing")
    happened = datetime(2026, 3, 2, 1, 30, tzinfo=ZoneInfo("UTC"))  # 09:30 in Shanghai
    Notification.objects.create(recipient=user, kind="dispatched", title="工单已派发至营销部", dedupe_key="event-time-1",
                                occurred_at=happened)
    page = login("marketing").get("/inbox/").content.decode()
    row = re.search(r'<tr data-id=.*?</tr>', page, re.S).group(0)
    assert "2026-03-02 09:30" in row and "派发到本部门" in row  # business time; the kind by its label


def test_the_bell_is_an_inline_svg_icon(org: Any) -> None:
    html = login("manager").get("/").content.decode()
    link = re.search(r'<a [^>]*id="inbox-bell".*?</a>', html, re.S).group(0)
    assert "<svg" in link and "&#128276;" not in link and "\U0001f514" not in link
    assert 'aria-label="收件箱"' in link or "aria-label=" in link
