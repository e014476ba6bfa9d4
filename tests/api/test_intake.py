"""Intake over the API: idempotency, bulk, and every kind of bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from griddesk.customers.models import Customer, PiiAccess
from griddesk.workorders.models import WorkOrder, WorkOrderEvent

from ..conftest import intake_payload

URL = "/api/v1/work-orders/"


def post(client, body, **kw):
    return client.post(URL, body, format="json", **kw)


def test_intake_creates_order_customer_event_and_deadline(org, client_for):
    r = post(client_for("agent"), intake_payload(external_id="X-1"))
    assert r.status_code == 201
    body = r.json()
    assert body["external_id"] == "X-1"
    assert body["state"] == "received"
    assert body["deadline_at"] is not None
    assert body["time_left_seconds"] > 0
    assert Customer.objects.filter(account_no="3300112233").count() == 1
    assert WorkOrderEvent.objects.filter(order__number=body["number"], action="create").count() == 1


def test_same_external_id_returns_existing_order(org, client_for):
    first = post(client_for("agent"), intake_payload(external_id="DUP-1"))
    again = post(client_for("agent"), intake_payload(external_id="DUP-1", content="不同的内容"))
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["number"] == first.json()["number"]
    assert WorkOrder.objects.filter(external_id="DUP-1").count() == 1


def test_existing_customer_is_linked_not_duplicated(org, client_for):
    post(client_for("agent"), intake_payload())
    post(client_for("agent"), intake_payload())
    assert Customer.objects.count() == 1
    assert WorkOrder.objects.filter(customer__account_no="3300112233").count() == 2


def test_repeat_complaint_links_the_earlier_order(org, client_for):
    first = post(client_for("agent"), intake_payload()).json()
    second = post(client_for("agent"), intake_payload()).json()
    assert second["is_repeat"] is True and second["repeat_of"] == first["number"]


def test_numbers_are_unique_and_readable(org, client_for):
    numbers = {post(client_for("agent"), intake_payload()).json()["number"] for _ in range(5)}
    assert len(numbers) == 5
    assert all(len(n) == 16 and n[:2] == "TS" for n in numbers)


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"channel": "carrier-pigeon"}, "channel", "invalid_choice"),
        ({"type": "rant"}, "type", "invalid_choice"),
        ({"content": ""}, "content", "blank"),
        ({"content": "x" * 100_000}, "content", "max_length"),
        ({"content": "电费\x01异常"}, "content", "control_characters"),
        ({"content": "电费\x00异常"}, "content", "nul_character"),  # refused before the view (middleware)
        ({"received_at": "2026-11-01T10:00:00"}, "received_at", "naive"),
        ({"received_at": "yesterday"}, "received_at", "invalid"),
        ({"received_at": 12345}, "received_at", "invalid"),
        ({"category": "nonsense.thing"}, "category", "unknown_category"),
        ({"anonymous": "maybe"}, "anonymous", "invalid"),
        ({"customer": {"account_no": "33/00"}}, "customer", "invalid"),
        ({"customer": "not an object"}, "customer", "invalid"),
    ],
)
def test_bad_fields_get_400_with_code_and_chinese_message(org, client_for, change, field, code):
    before = WorkOrder.objects.count()
    r = post(client_for("agent"), intake_payload(**change))
    assert r.status_code == 400, r.content
    body = r.json()
    assert body["code"] in ("validation_error", code)
    errors = body["errors"][field]
    flat = errors if isinstance(errors, list) else [e for v in errors.values() for e in v]
    assert any(e["code"] == code for e in flat), body
    # Messages are Chinese by default (at least one CJK character).
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in e["message"]) for e in flat), body
    assert WorkOrder.objects.count() == before
    assert Customer.objects.count() == 0


def test_future_received_at_is_refused(org, client_for):
    future = (timezone.now() + timedelta(hours=2)).isoformat()
    r = post(client_for("agent"), intake_payload(received_at=future))
    assert r.status_code == 400
    assert r.json()["errors"]["received_at"][0]["code"] == "future"


def test_small_clock_skew_is_tolerated(org, client_for):
    soon = (timezone.now() + timedelta(seconds=60)).isoformat()
    assert post(client_for("agent"), intake_payload(received_at=soon)).status_code == 201


def test_missing_required_fields(org, client_for):
    r = post(client_for("agent"), {})
    assert r.status_code == 400
    assert {"channel", "type", "content", "received_at"} <= set(r.json()["errors"])


def test_english_messages_on_request(org, client_for):
    r = post(client_for("agent"), intake_payload(channel="nope"), HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400
    assert "valid choice" in r.json()["errors"]["channel"][0]["message"]


def test_malformed_json_is_400(org, client_for):
    r = client_for("agent").post(URL, data="{not json", content_type="application/json")
    assert r.status_code == 400
    assert r.json()["code"] == "parse_error"


def test_oversized_body_is_413(org, client_for, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    r = client_for("agent").post(URL, data="{" + " " * 20_000 + "}", content_type="application/json")
    assert r.status_code == 413
    assert r.json()["code"] == "request_too_large"


def test_unauthenticated_is_401(org):
    from rest_framework.test import APIClient

    r = APIClient().post(URL, intake_payload(), format="json")
    assert r.status_code in (401, 403)
    assert "code" in r.json()


def test_bulk_reports_per_item(org, client_for):
    good = intake_payload(external_id="B-1")
    dup_in_batch = intake_payload(external_id="B-1")
    bad = intake_payload(external_id="B-2", channel="fax")
    good2 = intake_payload(external_id="B-3", customer={"account_no": "3300999999", "name": "李四"})
    r = client_for("agent").post(URL + "bulk/", {"orders": [good, dup_in_batch, bad, good2]}, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["created"], body["existing"], body["errors"]) == (2, 0, 2)
    statuses = [x["status"] for x in body["results"]]
    assert statuses == ["created", "error", "error", "created"]
    assert body["results"][2]["errors"]["channel"][0]["code"] == "invalid_choice"
    assert body["results"][1]["errors"]["external_id"][0]["code"] == "duplicate_in_batch"
    # Resending the batch is idempotent.
    again = client_for("agent").post(URL + "bulk/", {"orders": [good, good2]}, format="json").json()
    assert (again["created"], again["existing"]) == (0, 2)
    assert WorkOrder.objects.count() == 2


def test_bulk_limits(org, client_for, settings):
    settings.GRIDDESK_BULK_MAX = 3
    r = client_for("agent").post(URL + "bulk/", {"orders": [intake_payload() for _ in range(4)]}, format="json")
    assert r.status_code == 400 and r.json()["errors"]["orders"][0]["code"] == "too_many"
    r = client_for("agent").post(URL + "bulk/", {"orders": "nope"}, format="json")
    assert r.status_code == 400


def test_masking_by_role_and_access_log(org, client_for):
    n = post(client_for("agent"), intake_payload()).json()["number"]
    agent_view = client_for("agent").get(f"{URL}{n}/").json()["customer"]
    assert agent_view["phone"] == "13812341234" and agent_view["masked"] is False
    manager_view = client_for("manager").get(f"{URL}{n}/").json()["customer"]
    assert manager_view["phone"] == "138****1234" and manager_view["masked"] is True
    assert "88号" not in manager_view["address"]
    leader_view = client_for("leader").get(f"{URL}{n}/").json()["customer"]
    assert leader_view["phone"] == "138****1234"
    # Unmasked views are logged (intake response + the GET), masked ones are not.
    assert PiiAccess.objects.filter(user__username="agent", order_number=n).count() == 2
    assert not PiiAccess.objects.filter(user__username="manager").exists()


def test_anonymous_orders_hide_identity_from_handling_department(org, client_for, act):
    n = post(client_for("agent"), intake_payload(anonymous=True)).json()["number"]
    act("agent", n, "forward")
    act("specialist", n, "grade", grade=3, complexity="ordinary")
    act("specialist", n, "dispatch")
    handler = client_for("marketing").get(f"{URL}{n}/").json()["customer"]
    assert handler["masked"] is True and handler["name"] == "张*"
    specialist = client_for("specialist").get(f"{URL}{n}/").json()["customer"]
    assert specialist["name"] == "张三"


def test_list_filters_and_ordering(org, client_for, act):
    a = post(client_for("agent"), intake_payload()).json()["number"]
    b = post(client_for("agent"), intake_payload(category="service.attitude")).json()["number"]
    act("agent", a, "forward")
    c = client_for("agent")
    assert [o["number"] for o in c.get(URL + "?state=forwarded").json()["results"]] == [a]
    assert {o["number"] for o in c.get(URL + "?state=received,forwarded").json()["results"]} == {a, b}
    assert c.get(URL + "?overdue=true").json()["count"] == 0
    assert c.get(URL + "?grade=9").status_code == 400
    assert c.get(URL + "?received_from=notadate").status_code == 400


def test_action_in_wrong_state_is_409_with_allowed_actions(org, make_order, act):
    n = make_order()["number"]
    body = act("agent", n, "archive", expect=403)  # agent may never archive
    assert body["code"] == "permission_denied"
    body = act("admin", n, "archive", expect=409)
    assert body["code"] == "invalid_transition"
    assert set(body["allowed_actions"]) == {"forward", "invalidate", "merge", "urge"}


def test_unknown_action_and_missing_action_fields(org, make_order, act):
    n = make_order()["number"]
    assert act("agent", n, "fly", expect=400)["errors"]["action"][0]["code"] == "invalid_choice"
    act("agent", n, "forward")
    body = act("specialist", n, "grade", expect=400, grade=7, complexity="ordinary")
    assert body["errors"]["grade"][0]["code"] == "max_value"
    body = act("specialist", n, "grade", expect=400, grade=1, complexity="ordinary")
    assert body["errors"]["reason"][0]["code"] == "reason_required"
    body = act("specialist", n, "grade", grade=1, complexity="important", reason="涉及媒体")
    assert body["grade"] == 1


def test_stale_version_is_409(org, make_order, act):
    o = make_order()
    body = act("agent", o["number"], "forward", expect=409, version=o["version"] + 5)
    assert body["code"] == "stale_version"


def test_merge_and_invalidate(org, make_order, act):
    a = make_order()["number"]
    b = make_order()["number"]
    assert act("agent", b, "merge", expect=400, into=b)["errors"]["into"][0]["code"] == "merge_self"
    merged = act("agent", b, "merge", into=a)
    assert merged["state"] == "merged" and merged["merged_into"] == a
    assert act("agent", a, "invalidate", expect=400)["errors"]["reason"][0]["code"] == "required"
    assert act("agent", a, "invalidate", reason="非供电企业责任范围")["state"] == "invalid"


def test_urge_counts(org, make_order, act):
    n = make_order()["number"]
    act("agent", n, "urge", note="客户再次来电催促")
    assert act("agent", n, "urge")["urge_count"] == 2


def test_unknown_order_is_404(org, client_for):
    r = client_for("agent").get(URL + "TS00000000000000/")
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_openapi_schema_and_docs(org, client_for):
    r = client_for("agent").get("/api/schema/")
    assert r.status_code == 200
    assert b"/api/v1/work-orders/{number}/actions/" in r.content
    assert client_for("agent").get("/api/docs/").status_code == 200


def test_customer_contact_history(org, client_for):
    a = post(client_for("agent"), intake_payload()).json()["number"]
    b = post(client_for("agent"), intake_payload(category="service.attitude")).json()["number"]
    body = client_for("agent").get("/api/v1/customers/3300112233/").json()
    assert {o["number"] for o in body["orders"]} == {a, b}
    assert body["phone"] == "13812341234" and body["masked"] is False
    manager = client_for("manager").get("/api/v1/customers/3300112233/").json()
    assert manager["phone"] == "138****1234" and manager["masked"] is True
    assert client_for("agent").get("/api/v1/customers/nope/").status_code == 404
    assert client_for("audit").get("/api/v1/customers/3300112233/").json()["orders"] == []


def test_reference_codes(org, client_for):
    body = client_for("agent").get("/api/v1/reference/").json()
    assert {t["code"] for t in body["types"]} >= {"complaint", "fault_repair", "public_opinion"}
    assert {c["code"] for c in body["channels"]} == {"95598", "online", "wechat", "alipay", "hall", "12345", "media", "inspection"}
    tops = {c["code"] for c in body["categories"] if c["parent"] is None}
    assert tops == {"service", "business", "outage", "power_quality", "grid_construction"}


def test_bulk_links_repeats_inside_and_across_batches(org, client_for):
    first = post(client_for("agent"), intake_payload()).json()["number"]
    batch = [intake_payload(), intake_payload(), intake_payload(category="outage.fault"),
             intake_payload(category="nope.nope")]
    body = client_for("agent").post(URL + "bulk/", {"orders": batch}, format="json").json()
    assert [r["status"] for r in body["results"]] == ["created", "created", "created", "error"]
    assert body["results"][3]["errors"]["category"][0]["code"] == "unknown_category"
    a, b, c = (WorkOrder.objects.get(number=r["number"]) for r in body["results"][:3])
    assert a.repeat_of.number == first
    assert b.repeat_of_id == a.pk  # a repeat of an order earlier in the same batch
    assert c.repeat_of is None and not c.is_repeat
    assert WorkOrderEvent.objects.filter(order__in=[a, b, c], action="create", seq=1).count() == 3
    assert len({a.number, b.number, c.number}) == 3
