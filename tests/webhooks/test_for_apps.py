"""What the webhooks offer the apps built on them (ADR 0030): a delivery with a
body the app built, dedicated subscriptions that get no public events, and
listeners on the recorded attempts."""

from __future__ import annotations

import uuid
from typing import Any

from griddesk.webhooks import services
from griddesk.webhooks.models import Attempt, Delivery
from tests.walk import admin_actor


def test_an_enqueued_body_is_delivered_once_signed(receiver: Any, committed: Any, make_order: Any) -> None:
    from standardwebhooks.webhooks import Webhook

    sub, secret = services.subscription_create(actor=admin_actor(), url=receiver.url, events=[], dedicated=True)
    committed(make_order)  # ordinary events do not reach a dedicated subscription
    event_id = uuid.uuid4()
    seen: list[tuple[int, str]] = []

    def listener(d: Delivery, a: Attempt) -> None:
        seen.append((d.pk, a.outcome))

    def failing(d: Delivery, a: Attempt) -> None:
        raise RuntimeError("a broken listener")

    services.on_attempt(failing)
    services.on_attempt(listener)
    services.on_attempt(listener)  # twice: once
    try:
        d = committed(services.delivery_enqueue, subscription=sub, event_id=event_id, event_type="x.happened",
                      payload={"type": "x.happened", "data": {"a": 1}}, order_number="TS1")
        again = committed(services.delivery_enqueue, subscription=sub, event_id=event_id, event_type="x.happened",
                          payload={"type": "x.happened", "data": {"a": 2}})
    finally:
        services._attempt_listeners.remove(failing)
        services._attempt_listeners.remove(listener)
    assert again.pk == d.pk and Delivery.objects.filter(subscription=sub).count() == 1
    (got,) = receiver.got
    assert Webhook(secret).verify(got.body, got.headers) == {"type": "x.happened", "data": {"a": 1}}
    d.refresh_from_db()
    assert d.state == "delivered" and Attempt.objects.filter(delivery=d).count() == 1  # the failing listener undid nothing
    assert seen == [(d.pk, "delivered")]


def test_only_a_dedicated_subscription_may_have_no_event_types(client_for: Any) -> None:
    r = client_for("admin").post("/api/v1/webhooks/", {"url": "http://127.0.0.1:9/h", "events": []}, format="json")
    assert r.status_code == 400 and r.json()["errors"]["events"][0]["code"] == "required"
