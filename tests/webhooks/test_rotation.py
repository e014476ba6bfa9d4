"""Secret rotation: a new secret once; both sign during the overlap, only the new one after."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from griddesk.webhooks.models import Subscription


def test_both_secrets_verify_during_the_overlap_then_only_the_new(receiver: Any, subscribe: Any, make_order: Any,
                                                                  committed: Any, client_for: Any) -> None:
    sub_id, old = subscribe(receiver.url, ["work_order.created"])
    r = client_for("admin").post(f"/api/v1/webhooks/{sub_id}/rotate-secret/", {"overlap_hours": 2}, format="json")
    assert r.status_code == 200, r.content
    new = r.json()["secret"]
    assert new.startswith("whsec_") and new != old and r.json()["previous_secret_until"]
    assert "secret" not in client_for("admin").get(f"/api/v1/webhooks/{sub_id}/").json()
    committed(make_order)
    got = receiver.got[0]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(got.body, got.headers)
    Webhook(old).verify(got.body, got.headers)
    Subscription.objects.filter(pk=sub_id).update(previous_secret_until=timezone.now() - timedelta(seconds=1))
    committed(make_order)
    later = receiver.got[1]
    assert len(later.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(later.body, later.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(later.body, later.headers)


def test_rotation_without_overlap_and_its_refusals(receiver: Any, subscribe: Any, client_for: Any) -> None:
    sub_id, _ = subscribe(receiver.url, ["work_order.created"])
    c = client_for("admin")
    r = c.post(f"/api/v1/webhooks/{sub_id}/rotate-secret/", {"overlap_hours": 0}, format="json")
    assert r.status_code == 200 and r.json()["previous_secret_until"] is None
    s = Subscription.objects.get(pk=sub_id)
    assert s.secret == r.json()["secret"] and s.previous_secret == ""
    r = c.post(f"/api/v1/webhooks/{sub_id}/rotate-secret/", {"overlap_hours": 1000}, format="json")
    assert r.status_code == 400 and "overlap_hours" in r.json()["errors"]
    assert client_for("manager").post(f"/api/v1/webhooks/{sub_id}/rotate-secret/", {}, format="json").status_code == 403
    assert c.post("/api/v1/webhooks/999999/rotate-secret/", {}, format="json").status_code == 404
