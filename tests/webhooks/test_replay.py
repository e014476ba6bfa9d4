"""Replay: one delivery, or a subscription's deliveries of a time range, sent again
(same body and webhook-id) with a fresh round of retries; the log lists every attempt."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from griddesk.webhooks import services
from griddesk.webhooks.models import Delivery


def test_replaying_one_delivery(receiver: Any, subscribe: Any, make_order: Any, committed: Any, client_for: Any) -> None:
    sub_id, _ = subscribe(receiver.url, ["work_order.created"])
    committed(make_order)
    (d,) = Delivery.objects.all()
    c = client_for("admin")
    r = committed(c.post, f"/api/v1/webhooks/{sub_id}/deliveries/{d.pk}/replay/")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["state"] == "pending" and body["replayed_at"]  # queued; sent once the request commits
    assert len(receiver.got) == 2
    assert receiver.got[0].headers["webhook-id"] == receiver.got[1].headers["webhook-id"] == body["webhook_id"]
    log = c.get(f"/api/v1/webhooks/{sub_id}/deliveries/").json()
    (row,) = log["results"]
    assert row["id"] == d.pk and row["state"] == "delivered" and row["attempts"] == 2
    assert [a["number"] for a in row["attempt_log"]] == [1, 2]


def test_a_replayed_dead_delivery_gets_a_new_round_of_retries(receiver: Any, subscribe: Any, make_order: Any,
                                                              committed: Any, client_for: Any) -> None:
    sub_id, _ = subscribe(receiver.url, ["work_order.created"])
    committed(make_order)
    d = Delivery.objects.get()
    Delivery.objects.filter(pk=d.pk).update(state="dead", attempts=8)
    receiver.answers = [500]
    r = committed(client_for("admin").post, f"/api/v1/webhooks/{sub_id}/deliveries/{d.pk}/replay/")
    assert r.status_code == 200
    d.refresh_from_db()
    # the 9th attempt failed, but it is the first of the new round: a retry in about 5 s, not dead
    assert d.state == "pending" and d.attempts == 9 and d.round_start == 8
    assert 3 <= (d.next_attempt_at - timezone.now()).total_seconds() <= 6


def test_replaying_a_time_range(receiver: Any, subscribe: Any, make_order: Any, committed: Any, client_for: Any) -> None:
    sub_id, _ = subscribe(receiver.url, ["work_order.created"])
    for _ in range(3):
        committed(make_order)
    old = Delivery.objects.order_by("pk").first()
    assert old is not None
    Delivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    since = (timezone.now() - timedelta(hours=1)).isoformat()
    until = (timezone.now() + timedelta(minutes=1)).isoformat()
    r = committed(client_for("admin").post, f"/api/v1/webhooks/{sub_id}/replay/", {"since": since, "until": until},
                  format="json")
    assert r.status_code == 200 and r.json() == {"replayed": 2}
    assert len(receiver.got) == 5
    r = client_for("admin").post(f"/api/v1/webhooks/{sub_id}/replay/", {"since": until, "until": since}, format="json")
    assert r.status_code == 400 and r.json()["errors"]["until"][0]["code"] == "bad_range"


def test_replay_refusals(receiver: Any, subscribe: Any, make_order: Any, committed: Any, client_for: Any) -> None:
    sub_id, _ = subscribe(receiver.url, ["work_order.created"])
    receiver.answers = [500]
    committed(make_order)
    d = Delivery.objects.get()
    c = client_for("admin")
    r = c.post(f"/api/v1/webhooks/{sub_id}/deliveries/{d.pk}/replay/")
    assert r.status_code == 409 and r.json()["code"] == "delivery_pending"
    assert c.post(f"/api/v1/webhooks/{sub_id}/deliveries/999999/replay/").status_code == 404
    assert client_for("manager").post(f"/api/v1/webhooks/{sub_id}/deliveries/{d.pk}/replay/").status_code == 403
    assert client_for("manager").get(f"/api/v1/webhooks/{sub_id}/deliveries/").status_code == 403
    c.patch(f"/api/v1/webhooks/{sub_id}/", {"active": False}, format="json")
    Delivery.objects.filter(pk=d.pk).update(state="dead")
    r = c.post(f"/api/v1/webhooks/{sub_id}/deliveries/{d.pk}/replay/")
    assert r.status_code == 409 and r.json()["code"] == "subscription_inactive"
    assert services.REPLAY_MAX >= 1000
