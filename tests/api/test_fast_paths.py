"""The performance paths give the same answers as the straightforward ones:
fast order rendering = DRF's field-by-field rendering (kept: ADR 0016
"Revisited"), intake parsing with one serializer instance = a fresh
serializer per body, the per-process intake
rules cache never serves stale rules (also across a rollback), the capped
pagination count is exact for small lists and pages stay walkable above it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from rest_framework import serializers

from griddesk.common import pagination
from griddesk.organisation.access import actor_for
from griddesk.workorders import rules
from griddesk.workorders.models import GradingRule, WorkOrder
from griddesk.workorders.serializers import WorkOrderSerializer

from ..walk import walk_to

URL = "/api/v1/work-orders/"


def _slow(ser: WorkOrderSerializer, order: WorkOrder) -> dict[str, Any]:
    return dict(serializers.ModelSerializer.to_representation(ser, order))


@pytest.mark.parametrize("username", ["agent", "manager", "marketing", "admin"])
def test_fast_rendering_equals_drf_rendering(org, username, django_user_model):
    def cust(account_no: str) -> dict[str, Any]:
        return {"account_no": account_no, "name": "张三", "phone": "13812341234", "address": "江城市东湖路88号3单元501"}

    orders = [
        walk_to("received", customer=cust("5500000001")),
        walk_to("dispatched", anonymous=True, customer=cust("5500000002")),
        walk_to("archived", customer=cust("5500000003")),
        walk_to("investigating", customer=cust("5500000004")),
        walk_to("received", customer=cust("5500000001")),  # a repeat of the first
    ]
    assert orders[-1].repeat_of_id == orders[0].pk
    actor = actor_for(django_user_model.objects.get(username=username))
    for detail in (True, False):
        for order in orders:
            order = WorkOrder.objects.select_related("customer", "category", "company").get(pk=order.pk)
            ser = WorkOrderSerializer(order, context={"actor": actor, "detail": detail, "pii_log": []})
            fast, slow = dict(ser.data), _slow(ser, order)
            f_left, s_left = fast.pop("time_left_seconds"), slow.pop("time_left_seconds")
            assert (f_left is None) == (s_left is None) and (f_left is None or abs(f_left - s_left) <= 1)
            assert fast == slow
            assert fast["number"] == order.number and fast["deadline_at"]


def test_intake_rules_cache_sees_changes_and_rollbacks(org):
    before = rules.intake_rules()
    assert rules.intake_rules() is before  # unchanged tables: served from the cache
    rule = GradingRule.objects.filter(active=True).first()
    assert rule is not None
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            GradingRule.objects.filter(pk=rule.pk).update(priority=rule.priority + 1)  # no signals
            changed = rules.intake_rules()
            assert changed is not before
            assert {r.code: r.priority for r in changed.grading_rules}[rule.code] == rule.priority + 1
            raise RuntimeError("roll back")
    after = rules.intake_rules()
    assert {r.code: r.priority for r in after.grading_rules}[rule.code] == rule.priority


def test_list_count_is_exact_below_the_cap(make_order, client_for):
    for _ in range(3):
        make_order()
    body = client_for("agent").get(URL, {"page_size": 2}).json()
    assert body["count"] == 3 and body["count_exact"] is True and len(body["results"]) == 2 and body["next"]
    assert client_for("agent").get(URL, {"page_size": 2, "page": 3}).status_code == 404


def test_list_count_is_capped_and_pages_stay_walkable(make_order, client_for, monkeypatch):
    for _ in range(5):
        make_order()
    monkeypatch.setattr(pagination.CappedCountPaginator, "cap", 3)
    c = client_for("agent")
    first = c.get(URL, {"page_size": 2}).json()
    assert first["count_exact"] is False and first["count"] >= 4
    seen = [o["number"] for o in first["results"]]
    page = c.get(URL, {"page_size": 2, "page": 3}).json()
    assert len(page["results"]) == 1 and page["next"] is None
    seen += [o["number"] for o in c.get(URL, {"page_size": 2, "page": 2}).json()["results"]]
    seen += [o["number"] for o in page["results"]]
    assert len(set(seen)) == 5
    assert c.get(URL, {"page_size": 2, "page": 9}).json()["results"] == []


def test_count_exact_asks_for_the_exact_count_above_the_cap(make_order, client_for, monkeypatch):
    for _ in range(5):
        make_order()
    monkeypatch.setattr(pagination.CappedCountPaginator, "cap", 3)
    c = client_for("agent")
    body = c.get(URL, {"page_size": 2, "count": "exact"}).json()
    assert body["count"] == 5 and body["count_exact"] is True and len(body["results"]) == 2
    last = c.get(URL, {"page_size": 2, "count": "exact", "page": 3}).json()
    assert len(last["results"]) == 1 and last["next"] is None
    assert c.get(URL, {"page_size": 2, "count": "exact", "page": 4}).status_code == 404
    # without it the same list is capped again (the choice is per request)
    assert c.get(URL, {"page_size": 2}).json()["count_exact"] is False


def test_list_ordering_newest_receipt_first_and_bad_values_refused(make_order, client_for):
    from datetime import timedelta

    from django.utils import timezone

    from griddesk.workorders.models import WorkOrder

    numbers = [make_order()["number"] for _ in range(3)]
    now = timezone.now()
    for i, n in enumerate(numbers):  # the first order is the newest receipt, the last the oldest
        WorkOrder.objects.filter(number=n).update(received_at=now - timedelta(hours=i + 1), deadline_at=now + timedelta(days=3 - i))
    c = client_for("agent")
    by_deadline = [o["number"] for o in c.get(URL, {"page_size": 10}).json()["results"]]
    assert by_deadline == list(reversed(numbers))  # earliest deadline first (the default)
    newest = [o["number"] for o in c.get(URL, {"page_size": 10, "ordering": "-received"}).json()["results"]]
    assert newest == numbers
    r = c.get(URL, {"ordering": "sideways"})
    assert r.status_code == 400 and r.json()["errors"]["ordering"][0]["code"] == "invalid_choice"


def _variants() -> list[Any]:
    from ..conftest import intake_payload

    base = intake_payload()
    cust = base["customer"]
    return [
        base,
        {**base, "title": "  标题  ", "remedy_sought": "退费", "anonymous": True, "external_id": "", "category": None},
        {k: v for k, v in base.items() if k not in ("external_id", "category", "customer")},
        {**base, "customer": None},
        {**base, "received_at": "2026-11-20T02:00:00Z"},
        {**base, "customer": {"account_no": " 3300 "}},
        {**base, "customer": {**cust, "phone": " 0571-8888 "}},
        {**base, "area": " east ", "update_customer_phone": True},
        {**base, "area": "", "update_customer_phone": False},
        {**base, "area": None},
        # unusual ones (most of them refused)
        {**base, "content": "  "},
        {**base, "content": "a\x01b"},
        {**base, "channel": "fax"},
        {**base, "received_at": "2026-11-20T10:00:00"},
        {**base, "received_at": "2999-01-01T00:00:00+08:00"},
        {**base, "anonymous": "true"},
        {**base, "update_customer_phone": "yes"},
        {**base, "area": "x" * 65},
        {**base, "title": 5},
        {**base, "title": "x" * 201},
        {**base, "customer": {**cust, "account_no": "33-00"}},
        {**base, "customer": {**cust, "phone": "13812341234x"}},
        {**base, "customer": {**cust, "category": "alien"}},
        {**base, "customer": "3300"},
        {**base, "external_id": "\ud800"},
        "not a dict",
    ]


def test_intake_parsing_answers_as_a_fresh_serializer_does(org):
    """``parse_intake`` and ``parse_intake_items`` validate every body with one
    serializer instance: each answer (data or errors) is what a fresh
    ``IntakeSerializer(data=item)`` gives, whatever was validated before."""
    from rest_framework.exceptions import ValidationError

    from griddesk.common.errors import error_details
    from griddesk.workorders.serializers import (
        IntakeSerializer,
        parse_intake,
        parse_intake_items,
    )

    variants = [*_variants(), None, []]
    valid = 0
    for item, parsed in zip(variants, parse_intake_items(variants)):
        fresh = IntakeSerializer(data=item)
        if fresh.is_valid():
            valid += 1
            assert parsed == fresh.to_data() == parse_intake(item), item
            continue
        detail = ValidationError(fresh.errors).get_full_details()
        assert parsed == error_details(detail) or item is None, item
        with pytest.raises(ValidationError) as exc:
            parse_intake(item)
        assert exc.value.detail == fresh.errors, item
    assert (valid, len(variants) - valid) == (13, 15)  # both kinds are exercised
