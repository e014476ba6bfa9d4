"""POST /api/v1/center/replies/<id>/ack: the center signs with its secret (or an
administrator enters it); idempotent; bad input → 4xx with Chinese field messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from rest_framework.test import APIClient
from standardwebhooks.webhooks import Webhook

from griddesk.center.models import Reply
from tests.walk import PATH


@pytest.fixture
def sent(center: Any, configure: Any, make_order: Any, walk: Any, committed: Any) -> tuple[Reply, str]:
    """A reply the center accepted (200) without acknowledging it in the answer."""
    secret = configure(center.url)
    center.default = (200, b"ok")
    order = committed(make_order)
    walk(order["number"], PATH[:6])
    reply = Reply.objects.get()
    assert reply.delivery.state == "delivered" and reply.acknowledged_at is None
    return reply, secret


def signed_post(secret: str, reply_id: int, body: dict[str, Any], msg_id: str = "msg_ack_1") -> Any:
    raw = json.dumps(body)
    now = datetime.now(tz=UTC)
    sig = Webhook(secret).sign(msg_id, now, raw)
    return APIClient().post(
        f"/api/v1/center/replies/{reply_id}/ack", raw, content_type="application/json",
        HTTP_WEBHOOK_ID=msg_id, HTTP_WEBHOOK_TIMESTAMP=str(int(now.timestamp())), HTTP_WEBHOOK_SIGNATURE=sig,
    )


def test_the_center_acknowledges_by_a_signed_post_idempotently(sent: Any, client_for: Any, client: Any) -> None:
    reply, secret = sent
    r = signed_post(secret, reply.pk, {"ack": True, "receipt": "HZ-2026-77"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "acknowledged" and r.json()["receipt"] == "HZ-2026-77"
    reply.refresh_from_db()
    first = reply.acknowledged_at
    assert first is not None and reply.ack_source == "api" and reply.ack_by is None
    again = signed_post(secret, reply.pk, {"ack": True, "receipt": "HZ-2026-77"}, msg_id="msg_ack_2")
    assert again.status_code == 200 and again.json()["acknowledged_at"] == r.json()["acknowledged_at"]
    no_receipt = signed_post(secret, reply.pk, {"ack": True}, msg_id="msg_ack_3")
    assert no_receipt.status_code == 200 and no_receipt.json()["receipt"] == "HZ-2026-77"
    other = signed_post(secret, reply.pk, {"ack": True, "receipt": "HZ-OTHER"}, msg_id="msg_ack_4")
    assert other.status_code == 409 and other.json()["code"] == "receipt_mismatch" and "HZ-2026-77" in other.json()["message"]
    reply.refresh_from_db()
    assert reply.acknowledged_at == first and reply.receipt == "HZ-2026-77"

    client.force_login(reply.delivery.subscription.created_by)
    page = client.get(f"/orders/{reply.order.number}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "中心已确认" in page and "HZ-2026-77" in page


def test_an_administrator_may_enter_the_acknowledgement(sent: Any, client_for: Any) -> None:
    reply, _ = sent
    r = client_for("admin").post(f"/api/v1/center/replies/{reply.pk}/ack", {"ack": True, "receipt": "电话确认"},
                                 format="json")
    assert r.status_code == 200, r.content
    reply.refresh_from_db()
    assert reply.ack_by.username == "admin" and reply.receipt == "电话确认"


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "ack", "ack_required"),
        ({"ack": False}, "ack", "ack_required"),
        ({"ack": "true"}, "ack", "ack_required"),
        ({"ack": True, "receipt": 12}, "receipt", "bad_receipt"),
        ({"ack": True, "receipt": "x" * 101}, "receipt", "bad_receipt"),
    ],
)
def test_bad_input_is_a_400_with_a_chinese_field_message(sent: Any, body: dict[str, Any], field: str, code: str) -> None:
    reply, secret = sent
    r = signed_post(secret, reply.pk, body)
    assert r.status_code == 400, r.content
    err = r.json()["errors"][field][0]
    assert err["code"] == code and any("\u4e00" <= ch <= "\u9fff" for ch in err["message"])
    reply.refresh_from_db()
    assert reply.acknowledged_at is None


def test_who_may_acknowledge(sent: Any, client_for: Any) -> None:
    reply, secret = sent
    anonymous = APIClient().post(f"/api/v1/center/replies/{reply.pk}/ack", {"ack": True}, format="json")
    assert anonymous.status_code == 403 and anonymous.json()["code"] == "not_authenticated"
    forged = signed_post("whsec_" + "QUJD" * 8, reply.pk, {"ack": True})
    assert forged.status_code == 403 and forged.json()["code"] == "bad_signature"
    agent = client_for("agent").post(f"/api/v1/center/replies/{reply.pk}/ack", {"ack": True}, format="json")
    assert agent.status_code == 403
    missing = signed_post(secret, reply.pk + 999, {"ack": True})
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    not_json = APIClient().post(f"/api/v1/center/replies/{reply.pk}/ack", "[1]", content_type="application/json",
                                HTTP_AUTHORIZATION=client_for("admin")._credentials["HTTP_AUTHORIZATION"])
    assert not_json.status_code == 400 and not_json.json()["code"] == "invalid_body"
    reply.refresh_from_db()
    assert reply.acknowledged_at is None


def test_the_endpoint_api(center: Any, client_for: Any) -> None:
    admin = client_for("admin")
    assert admin.get("/api/v1/center/endpoint/").status_code == 404
    assert client_for("agent").put("/api/v1/center/endpoint/", {"url": center.url}, format="json").status_code == 403
    bad = admin.put("/api/v1/center/endpoint/", {"url": "http://10.0.0.5/hook"}, format="json")
    assert bad.status_code == 400 and "url" in bad.json()["errors"]
    created = admin.put("/api/v1/center/endpoint/", {"url": center.url}, format="json")
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    changed = admin.put("/api/v1/center/endpoint/", {"url": center.url + "2", "active": False}, format="json")
    assert changed.status_code == 200 and "secret" not in changed.json()
    assert changed.json()["url"] == center.url + "2" and changed.json()["active"] is False
    got = admin.get("/api/v1/center/endpoint/").json()
    assert got["subscription"] == created.json()["subscription"] and "secret" not in got
    # it is a webhooks subscription (its delivery log is there) with no public event types
    sub = admin.get(f"/api/v1/webhooks/{got['subscription']}/").json()
    assert sub["events"] == []
