from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from griddesk.notifications.models import Notification
from griddesk.notifications.services import notify_urged
from griddesk.notifications.tasks import watch_deadlines
from griddesk.organisation.access import actor_for
from griddesk.workorders import services as wo_services

from .conftest import DEADLINE, RECEIVED

pytestmark = pytest.mark.django_db


def test_inbox_lists_unread_first_and_marks_read(client_for: Any, order_at: Any) -> None:
    o = order_at("received")
    watch_deadlines(now=RECEIVED + timedelta(days=5))  # half-used warning
    watch_deadlines(now=DEADLINE - timedelta(hours=2))  # 4-hours-left warning
    c = client_for("specialist")
    r = c.get("/api/v1/inbox/")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["count"] == 2
    first, second = body["results"]
    assert first["order"] == o.number and first["kind"] == "warning" and first["read"] is False
    assert set(first) >= {"id", "order", "kind", "title", "body", "created_at", "read"}

    r = c.post(f"/api/v1/inbox/{second['id']}/read/")
    assert r.status_code == 200 and r.json()["read"] is True
    results = c.get("/api/v1/inbox/").json()["results"]
    assert [x["id"] for x in results] == [first["id"], second["id"]]
    assert [x["read"] for x in results] == [False, True]
    assert c.get("/api/v1/inbox/?page_size=1").json()["count"] == 2


def test_others_notifications_are_404(client_for: Any, order_at: Any) -> None:
    order_at("received")
    watch_deadlines(now=RECEIVED + timedelta(days=5))
    note = Notification.objects.get()
    r = client_for("manager").post(f"/api/v1/inbox/{note.pk}/read/")
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"
    assert client_for("manager").get("/api/v1/inbox/").json()["count"] == 0
    assert client_for("specialist").post("/api/v1/inbox/999999/read/").status_code == 404


def test_inbox_needs_login(client: Any, org: Any) -> None:
    assert client.get("/api/v1/inbox/").status_code in (401, 403)


def test_urged_notifies_the_lead_handlers_once_per_urge(order_at: Any, django_user_model: Any) -> None:
    o = order_at("investigating")
    manager = actor_for(django_user_model.objects.get(username="manager"))
    wo_services.work_order_urge(order=o.number, actor=manager, note="客户再次来电")
    assert [n.recipient.username for n in notify_urged(o.number)] == ["marketing"]
    assert notify_urged(o.number) == []  # same urge: not again
    wo_services.work_order_urge(order=o.number, actor=manager)
    notify_urged(o)
    assert Notification.objects.filter(kind="urged").count() == 2


@pytest.mark.django_db(transaction=True)
def test_urging_over_the_api_notifies_the_lead_handlers(org, client_for, act):
    # transaction=True: the notice is sent from the urge's on_commit hook.
    from tests.walk import walk_to

    order = walk_to("dispatched")  # grade 3 → city marketing
    act("agent", order.number, "urge", note="客户第三次来电催促")
    inbox = client_for("marketing").get("/api/v1/inbox/").json()["results"]
    # Newest first: the urge, then the dispatch that brought the order to marketing.
    assert [(n["kind"], n["order"]) for n in inbox] == [("urged", order.number), ("dispatched", order.number)]
    assert inbox[0]["occurred_at"] is not None
    assert client_for("audit").get("/api/v1/inbox/").json()["results"] == []
