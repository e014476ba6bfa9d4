"""/api/v1/webhooks/: administrators only, validation, the SSRF guard, the event types."""

from __future__ import annotations

from typing import Any

import pytest

from griddesk.webhooks import event_types, ssrf
from griddesk.webhooks.models import Subscription

URL = "http://127.0.0.1:9/hook"


def post(client_for: Any, who: str = "admin", **body: Any) -> Any:
    return client_for(who).post("/api/v1/webhooks/", {"url": URL, "events": ["work_order.created"], **body}, format="json")


def test_create_returns_the_secret_once(client_for: Any) -> None:
    r = post(client_for, description="95598 中心")
    assert r.status_code == 201
    body = r.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert Subscription.objects.get(pk=body["id"]).secret == body["secret"]
    again = client_for("admin").get(f"/api/v1/webhooks/{body['id']}/").json()
    assert "secret" not in again and again["description"] == "95598 中心" and again["include_personal_data"] is False
    assert [s["id"] for s in client_for("admin").get("/api/v1/webhooks/").json()] == [body["id"]]
    assert "secret" not in client_for("admin").get("/api/v1/webhooks/").json()[0]


def test_patch_and_delete(client_for: Any) -> None:
    pk = post(client_for).json()["id"]
    r = client_for("admin").patch(f"/api/v1/webhooks/{pk}/", {"active": False, "events": ["work_order.graded"]}, format="json")
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["events"] == ["work_order.graded"]
    r = client_for("admin").patch(f"/api/v1/webhooks/{pk}/", {"events": ["work_order.nope"]}, format="json")
    assert r.status_code == 400 and r.json()["errors"]["events"][0]["code"] == "unknown_event_type"
    assert client_for("admin").delete(f"/api/v1/webhooks/{pk}/").status_code == 204
    assert client_for("admin").get(f"/api/v1/webhooks/{pk}/").status_code == 404
    assert client_for("admin").delete(f"/api/v1/webhooks/{pk}/").status_code == 404


@pytest.mark.parametrize("who", ["agent", "specialist", "manager", "marketing"])
def test_only_administrators(client_for: Any, who: str) -> None:
    pk = post(client_for).json()["id"]
    c = client_for(who)
    assert post(client_for, who).status_code == 403
    assert c.get("/api/v1/webhooks/").status_code == 403
    assert c.get(f"/api/v1/webhooks/{pk}/").status_code == 403
    assert c.patch(f"/api/v1/webhooks/{pk}/", {"active": False}, format="json").status_code == 403
    assert c.delete(f"/api/v1/webhooks/{pk}/").status_code == 403
    assert c.get("/api/v1/webhooks/event-types/").status_code == 403
    assert Subscription.objects.get(pk=pk).active


def test_anonymous_is_refused(client: Any, org: Any) -> None:
    assert client.get("/api/v1/webhooks/").status_code in (401, 403)


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"events": ["work_order.exploded"]}, "events", "unknown_event_type"),
        ({"events": []}, "events", "required"),
        ({"url": "ftp://example.com/x"}, "url", "bad_scheme"),
        ({"url": "javascript:alert(1)"}, "url", "bad_scheme"),
        ({"url": "http://"}, "url", "bad_url"),
        ({"url": "http://user:pw@8.8.8.8/"}, "url", "bad_url"),
        ({"url": "http://8.8.8.8:99999/"}, "url", "bad_url"),
    ],
)
def test_bad_input_is_400_with_a_chinese_field_message(client_for: Any, body: dict[str, Any], field: str, code: str) -> None:
    r = post(client_for, **body)
    assert r.status_code == 400, r.content
    (err,) = r.json()["errors"][field]
    assert err["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err["message"]), err["message"]
    assert Subscription.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x", "http://localhost:8000/", "http://10.1.2.3/", "http://192.168.1.1/", "http://172.16.0.1/",
        "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://[fe80::1]/", "http://224.0.0.1/",
        "http://0.0.0.0/", "http://100.64.0.1/", "http://[::ffff:127.0.0.1]/", "http://240.0.0.1/",
    ],
)
def test_internal_addresses_are_refused(settings: Any, client_for: Any, url: str) -> None:
    settings.GRIDDESK_WEBHOOK_ALLOWED_HOSTS = ""
    r = post(client_for, url=url)
    assert r.status_code == 400, r.content
    assert r.json()["errors"]["url"][0]["code"] == "refused_address"
    # and on PATCH, to an existing subscription
    settings.GRIDDESK_WEBHOOK_ALLOWED_HOSTS = "8.8.8.8"
    pk = post(client_for, url="http://8.8.8.8/").json()["id"]
    r = client_for("admin").patch(f"/api/v1/webhooks/{pk}/", {"url": url}, format="json")
    assert r.status_code == 400 and r.json()["errors"]["url"][0]["code"] == "refused_address"


def test_the_allow_list_takes_hosts_and_cidrs(settings: Any) -> None:
    settings.GRIDDESK_WEBHOOK_ALLOWED_HOSTS = "10.0.0.0/8, localhost"
    assert ssrf.check("http://10.9.8.7:8080/a?b=1").addresses == ("10.9.8.7",)
    assert ssrf.check("http://10.9.8.7:8080/a?b=1").path == "/a?b=1"
    assert ssrf.check("http://localhost/")
    with pytest.raises(ssrf.Refused):
        ssrf.check("http://192.168.0.1/")
    assert not ssrf.forbidden(__import__("ipaddress").ip_address("8.8.8.8"))


def test_event_types_are_listed_in_chinese_and_english(client_for: Any) -> None:
    r = client_for("admin").get("/api/v1/webhooks/event-types/")
    assert r.status_code == 200
    rows = {row["type"]: row for row in r.json()}
    assert list(rows) == [e.type for e in event_types.EVENT_TYPES]
    assert rows["work_order.created"]["description_en"] == "A work order was taken in."
    assert rows["work_order.created"]["description_zh"] == "工单已受理。"
    for row in rows.values():
        assert row["description_zh"] != row["description_en"], row


def test_every_public_type_maps_a_real_core_action() -> None:
    from griddesk.workorders.models import ActionChoice

    actions = {c.value for c in ActionChoice}
    assert {e.action for e in event_types.EVENT_TYPES} <= actions
    for e in event_types.EVENT_TYPES:
        subject, verb = e.type.split(".")
        assert subject == "work_order" and verb
    assert len(event_types.BY_TYPE) == len(event_types.EVENT_TYPES)
