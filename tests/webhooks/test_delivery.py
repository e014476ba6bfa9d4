"""Webhooks end to end: real order actions → outbox rows → signed HTTP
deliveries to a real local receiver (no mocks)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from griddesk.notifications.models import Kind, Notification
from griddesk.webhooks import services
from griddesk.webhooks.models import Attempt, Delivery, Subscription
from tests.walk import PATH


def verify(secret: str, got: Any) -> dict[str, Any]:
    return Webhook(secret).verify(got.body, got.headers)  # type: ignore[no-any-return]


def make_due(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=10),
                                                    queued_at=timezone.now() - timedelta(minutes=10))


def test_every_step_of_an_orders_life_arrives_signed(receiver: Any, subscribe: Any, make_order: Any, act: Any,
                                                     committed: Any) -> None:
    sub_id, secret = subscribe(receiver.url)
    order = committed(make_order)
    number = order["number"]
    for action, data in PATH:
        committed(act, "manager" if action == "confirm_report" else "admin", number, action, **data)
    other = committed(make_order)["number"]
    for action, data in PATH[:-1]:
        extra = {"reason": "同一客户再次投诉"} if action == "grade" else {}  # a repeat complaint is suggested higher
        committed(act, "manager" if action == "confirm_report" else "admin", other, action, **data, **extra)
    committed(act, "admin", other, "reopen", reason="客户再次来电")  # assessed → investigating
    committed(act, "admin", other, "urge", note="客户催办")

    life = [
        "work_order.created", "work_order.forwarded", "work_order.graded", "work_order.dispatched",
        "work_order.accepted", "work_order.report_submitted", "work_order.report_confirmed", "work_order.visited",
        "work_order.assessed",
    ]
    types = [r.json["type"] for r in receiver.got]
    # reopening recomputes the deadline: a deadline_changed follows it
    assert types == [*life, "work_order.archived", *life, "work_order.reopened", "work_order.deadline_changed",
                     "work_order.urged"]
    ids = set()
    for got in receiver.got:
        assert verify(secret, got) == got.json  # the signature holds with the subscription's secret
        assert got.headers["webhook-id"] not in ids
        ids.add(got.headers["webhook-id"])
        data = got.json["data"]
        assert data["number"] in (number, other) and data["external_id"].startswith("95598-")
        assert "customer" not in data and "note" not in data  # no personal data by default
        assert data["state"] == data["to_state"]  # the order as the change left it
    assert receiver.got[2].json["data"]["fields"]["grade"] == 3
    assert receiver.got[0].json["data"] | {"number": number, "external_id": order["external_id"]} == receiver.got[0].json["data"]
    reopened = receiver.got[-3].json["data"]
    assert reopened["from_state"] == "assessed" and reopened["to_state"] == "investigating"
    assert "reason" not in reopened["fields"]  # free text about people: only when marked
    with pytest.raises(WebhookVerificationError):
        Webhook(services.new_secret()).verify(receiver.got[0].body, receiver.got[0].headers)
    assert set(Delivery.objects.filter(subscription_id=sub_id).values_list("state", flat=True)) == {"delivered"}
    a = Attempt.objects.filter(delivery__subscription_id=sub_id).first()
    assert a is not None and a.status == 200 and a.response_excerpt == "ok" and a.outcome == "delivered"


def test_only_the_wanted_types_and_personal_data_only_when_marked(receiver: Any, subscribe: Any, make_order: Any,
                                                                  act: Any, committed: Any) -> None:
    subscribe(receiver.url, ["work_order.forwarded"])
    _, secret2 = subscribe(receiver.url.replace("/hook", "/pii"), ["work_order.created"], include_personal_data=True)
    order = committed(make_order)
    committed(act, "admin", order["number"], "forward")
    committed(act, "admin", order["number"], "grade", grade=3, complexity="ordinary")
    assert [(r.path, r.json["type"]) for r in receiver.got] == [
        ("/pii", "work_order.created"), ("/hook", "work_order.forwarded"),
    ]
    pii = receiver.got[0]
    verify(secret2, pii)
    assert pii.json["data"]["customer"]["name"] == "张三"


def test_a_rolled_back_action_delivers_nothing(receiver: Any, subscribe: Any, make_order: Any, act: Any,
                                               committed: Any, django_capture_on_commit_callbacks: Any) -> None:
    subscribe(receiver.url, ["work_order.forwarded"])
    order = committed(make_order)

    class Boom(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Boom), transaction.atomic():
        act("admin", order["number"], "forward")
        assert Delivery.objects.count() == 1  # written in the same transaction …
        raise Boom
    assert Delivery.objects.count() == 0  # … and gone with it
    assert receiver.got == []


def test_retries_after_500_on_the_schedule_then_dead_and_admins_told(receiver: Any, subscribe: Any, make_order: Any,
                                                                     committed: Any) -> None:
    _, secret = subscribe(receiver.url, ["work_order.created"])
    receiver.default = 500
    before = timezone.now()
    committed(make_order)
    (d,) = Delivery.objects.all()
    assert d.state == "pending" and d.attempts == 1 and d.last_status == 500
    wait = (d.next_attempt_at - before).total_seconds()
    assert 4.5 - 1 <= wait <= 5.5 + 1  # 5 s ± jitter
    assert Schedule.objects.filter(func=services.DELIVER_TASK, args=f"({d.pk},)").exists()
    (a,) = Attempt.objects.filter(delivery=d)
    assert a.outcome == "retry" and len(a.response_excerpt) == 500
    for _ in range(services.MAX_ATTEMPTS - 1):
        make_due(d)
        committed(services.sweep)
    d.refresh_from_db()
    assert d.state == "dead" and d.attempts == services.MAX_ATTEMPTS == 8
    assert len(receiver.got) == 8
    assert len({r.headers["webhook-id"] for r in receiver.got}) == 1  # the same id on every retry
    for r in receiver.got:
        verify(secret, r)
    notice = Notification.objects.get(kind=Kind.WEBHOOK_DEAD)
    assert notice.recipient.username == "admin" and "work_order.created" in notice.title
    make_due(d)
    assert committed(services.sweep) == 0  # a dead row is never sent again
    assert len(receiver.got) == 8


def test_the_retry_waits_follow_the_spec_with_jitter() -> None:
    import random

    rnd = random.Random(1)
    waits = [services.retry_wait(n, rand=rnd).total_seconds() for n in range(1, 8)]
    for got, base in zip(waits, [5, 300, 1800, 7200, 18000, 36000, 36000], strict=True):
        assert base * 0.9 <= got <= base * 1.1
    assert len({w for w in waits}) == 7


def test_a_500_then_200_is_delivered_on_the_retry(receiver: Any, subscribe: Any, make_order: Any, committed: Any) -> None:
    subscribe(receiver.url, ["work_order.created"])
    receiver.answers = [500]
    committed(make_order)
    (d,) = Delivery.objects.all()
    make_due(d)
    committed(services.sweep)
    d.refresh_from_db()
    assert d.state == "delivered" and d.attempts == 2
    assert [a.status for a in Attempt.objects.filter(delivery=d)] == [500, 200]


def test_410_disables_the_subscription_and_then_silence(receiver: Any, subscribe: Any, make_order: Any, act: Any,
                                                       committed: Any) -> None:
    sub_id, _ = subscribe(receiver.url, ["work_order.created", "work_order.forwarded"])
    receiver.default = 410
    order = committed(make_order)
    sub = Subscription.objects.get(pk=sub_id)
    assert not sub.active and sub.disabled_reason == "gone"
    assert Delivery.objects.get().state == "cancelled"
    committed(act, "admin", order["number"], "forward")
    committed(make_order)
    assert len(receiver.got) == 1  # nothing after the 410
    assert Delivery.objects.count() == 1


def test_a_410_in_a_batch_cancels_the_rest_of_that_subscription_unsent(receiver: Any, subscribe: Any, client_for: Any,
                                                                       committed: Any) -> None:
    """The rows of one commit go out as one batch: after a 410 the batch sends
    nothing more to that subscription (as later tasks would find it disabled),
    and the other subscription's rows are still delivered."""
    from tests.conftest import intake_payload

    gone_id, _ = subscribe(receiver.url, ["work_order.created"])
    other_id, _ = subscribe(receiver.url.replace("/hook", "/other"), ["work_order.created"])
    receiver.answers = [410]  # the first request of the batch (the lowest row: the first order, first subscription)
    items = [intake_payload() for _ in range(3)]
    r = committed(client_for("agent").post, "/api/v1/work-orders/bulk/", {"orders": items}, format="json")
    assert r.status_code in (200, 201, 207), r.content
    assert [got.path for got in receiver.got].count("/hook") == 1
    assert len([got for got in receiver.got if got.path == "/other"]) == 3
    assert not Subscription.objects.get(pk=gone_id).active
    gone = Delivery.objects.filter(subscription_id=gone_id)
    assert sorted(gone.values_list("state", "attempts")) == [("cancelled", 0), ("cancelled", 0), ("cancelled", 1)]
    assert set(Delivery.objects.filter(subscription_id=other_id).values_list("state", flat=True)) == {"delivered"}
    assert not Delivery.objects.exclude(leased_until=None).exists()  # no row left leased


def test_redirects_are_not_followed(receiver: Any, subscribe: Any, make_order: Any, committed: Any) -> None:
    subscribe(receiver.url, ["work_order.created"])
    receiver.answers = [302]
    committed(make_order)
    assert [r.path for r in receiver.got] == ["/hook"]  # /elsewhere never asked
    d = Delivery.objects.get()
    assert d.state == "pending" and d.last_status == 302
    assert Attempt.objects.get(delivery=d).outcome == "retry"


def test_duplicate_task_runs_send_once_per_attempt(receiver: Any, subscribe: Any, make_order: Any, committed: Any) -> None:
    subscribe(receiver.url, ["work_order.created"])
    committed(make_order)
    (d,) = Delivery.objects.all()
    # The same task delivered twice more (at-least-once queue): nothing is sent again.
    assert services.delivery_attempt(delivery_id=d.pk) == "skipped"
    assert services.delivery_attempt(delivery_id=d.pk) == "skipped"
    assert len(receiver.got) == 1
    # After a failed attempt, a duplicate of that attempt's task finds the row not yet due.
    receiver.answers = [500]
    committed(make_order)
    d2 = Delivery.objects.exclude(pk=d.pk).get()
    assert services.delivery_attempt(delivery_id=d2.pk) == "not_due"
    # A row another worker is sending (leased) is left alone.
    make_due(d2)
    Delivery.objects.filter(pk=d2.pk).update(leased_until=timezone.now() + timedelta(minutes=1))
    assert services.delivery_attempt(delivery_id=d2.pk) == "busy"
    assert len(receiver.got) == 2


def test_the_receiver_can_dedupe_on_webhook_id_when_a_delivery_repeats(receiver: Any, subscribe: Any, make_order: Any,
                                                                      committed: Any) -> None:
    """A worker killed after the receiver got the event but before recording
    it: the lease runs out, the sweeper sends again with the same webhook-id."""
    subscribe(receiver.url, ["work_order.created"])
    committed(make_order)
    (d,) = Delivery.objects.all()
    # Pretend the attempt was never recorded: still pending, lease long gone.
    Delivery.objects.filter(pk=d.pk).update(state="pending", leased_until=timezone.now() - timedelta(minutes=5))
    make_due(d)
    assert committed(services.sweep) == 1
    assert len(receiver.got) == 2
    assert receiver.got[0].headers["webhook-id"] == receiver.got[1].headers["webhook-id"]
    assert receiver.got[0].body == receiver.got[1].body


def test_the_sweeper_requeues_a_row_whose_task_was_lost(receiver: Any, subscribe: Any, make_order: Any,
                                                        django_capture_on_commit_callbacks: Any) -> None:
    subscribe(receiver.url, ["work_order.created"])
    # The change commits but its on-commit queueing never runs (process killed).
    with django_capture_on_commit_callbacks(execute=False):
        make_order()
    (d,) = Delivery.objects.all()
    assert receiver.got == [] and d.state == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep() == 0  # not yet: it may still be in the queue
    make_due(d)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep() == 1
    d.refresh_from_db()
    assert d.state == "delivered" and len(receiver.got) == 1
    assert Schedule.objects.filter(func="griddesk.webhooks.tasks.sweep", minutes=1).exists()


def test_delivery_time_ssrf_check_refuses_an_address_no_longer_allowed(settings: Any, receiver: Any, subscribe: Any,
                                                                       make_order: Any, committed: Any) -> None:
    subscribe(receiver.url, ["work_order.created"])
    settings.GRIDDESK_WEBHOOK_ALLOWED_HOSTS = ""
    committed(make_order)
    assert receiver.got == []
    a = Attempt.objects.get()
    assert a.status is None and "refused_address" in a.error and a.outcome == "retry"


def test_a_bulk_intake_reads_the_subscriptions_once_and_delivers_every_order(
    receiver: Any, subscribe: Any, client_for: Any, committed: Any,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import intake_payload

    subscribe(receiver.url, ["work_order.created"])
    items = [intake_payload() for _ in range(20)]
    with CaptureQueriesContext(connection) as q:
        r = committed(client_for("agent").post, "/api/v1/work-orders/bulk/", {"orders": items}, format="json")
    assert r.status_code in (200, 201, 207), r.content
    reads = [x for x in q.captured_queries if 'FROM "webhooks_subscription"' in x["sql"]
             and "webhooks_delivery" not in x["sql"] and x["sql"].lstrip().upper().startswith("SELECT")]
    # one read for the outbox writer of the whole batch, one for the delivery task: the commit's
    # 20 rows are queued as one batch (services.BATCH), leased, sent and recorded together
    assert len(reads) == 1 + 1, [x["sql"] for x in reads]
    assert Attempt.objects.filter(outcome="delivered").count() == 20
    assert sorted(b["data"]["external_id"] for b in receiver.bodies()) == sorted(i["external_id"] for i in items)


def test_a_change_to_a_subscription_is_seen_in_the_same_transaction(receiver: Any, subscribe: Any, make_order: Any,
                                                                    client_for: Any, committed: Any) -> None:
    sub_id, _ = subscribe(receiver.url, ["work_order.created"])
    with transaction.atomic():
        committed(make_order)  # reads (and keeps) the subscriptions for this transaction
        client_for("admin").patch(f"/api/v1/webhooks/{sub_id}/", {"active": False}, format="json")
        committed(make_order)
    assert Delivery.objects.count() == 1


def test_the_other_event_types_arrive_too(receiver: Any, subscribe: Any, committed: Any) -> None:
    """Stations, returned reports, urging, suspension, the clock, invalid and merged orders."""
    from griddesk.organisation.access import actor_for
    from griddesk.workorders import services as wo
    from griddesk.workorders.clock_services import orders_mark_overdue
    from griddesk.workorders.models import WorkOrder
    from tests.walk import new_order

    def actor(username: str) -> Any:
        from django.contrib.auth import get_user_model

        return actor_for(get_user_model().objects.get(username=username))

    _, secret = subscribe(receiver.url)
    n = committed(new_order).number
    committed(wo.work_order_forward, order=n, actor=actor("agent"))
    committed(wo.work_order_grade, order=n, actor=actor("specialist"), grade=3, complexity="ordinary")
    committed(wo.work_order_dispatch, order=n, actor=actor("specialist"))
    committed(wo.work_order_accept, order=n, actor=actor("marketing"))
    committed(wo.work_order_assign_station, order=n, actor=actor("marketing"), stations=["east-ps-1"], note="请核对电表读数")
    committed(wo.work_order_station_findings, order=n, actor=actor("station"), findings="电表读数正常")
    committed(wo.work_order_submit_report, order=n, actor=actor("marketing"), findings="核实", responsibility="无责",
              rectification="解释", company_at_fault=False)
    committed(wo.work_order_return_report, order=n, actor=actor("manager"), note="缺少现场照片")
    committed(wo.work_order_urge, order=n, actor=actor("agent"), note="客户来电催促")
    committed(wo.work_order_suspend, order=n, actor=actor("marketing"), reason="等待客户提供材料", approver="manager")
    committed(wo.work_order_resume, order=n, actor=actor("marketing"))
    o = WorkOrder.objects.get(number=n)
    assert o.deadline_at is not None
    committed(orders_mark_overdue, order_ids=[o.pk], now=o.deadline_at + timedelta(minutes=1))
    committed(wo.work_order_invalidate, order=committed(new_order).number, actor=actor("agent"), reason="重复来电")
    into = committed(new_order).number
    committed(wo.work_order_merge, order=committed(new_order).number, actor=actor("agent"), into=into)

    got = {r.json["type"] for r in receiver.got}
    assert {
        "work_order.station_assigned", "work_order.station_findings_recorded", "work_order.report_returned",
        "work_order.urged", "work_order.suspended", "work_order.resumed", "work_order.overdue",
        "work_order.invalidated", "work_order.merged",
    } <= got
    for r in receiver.got:
        verify(secret, r)
    suspended = next(r.json["data"] for r in receiver.got if r.json["type"] == "work_order.suspended")
    assert "approver" not in suspended["fields"] and "reason" not in suspended["fields"]
    merged = next(r.json["data"] for r in receiver.got if r.json["type"] == "work_order.merged")
    assert merged["fields"]["into"] == into and merged["state"] == "merged"
