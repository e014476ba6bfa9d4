"""Two people acting on one order at the same moment: exactly one wins."""

from __future__ import annotations

import pytest
from django.db import connection

from griddesk.common.errors import Conflict
from griddesk.organisation.access import actor_for
from griddesk.workorders import services
from griddesk.workorders.models import WorkOrder, WorkOrderEvent

from ..race import race
from ..walk import new_order, walk_to

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrent transactions need PostgreSQL (make test runs it)"
)




@pytest.mark.django_db(transaction=True)
def test_two_forwards_one_wins(org):
    from django.contrib.auth import get_user_model

    order = new_order()
    users = get_user_model().objects.filter(username__in=["agent", "admin"]).order_by("username")
    actors = [actor_for(u) for u in users]
    results = race(2, lambda i: services.work_order_forward(order=order.number, actor=actors[i]))
    wins = [r for r in results if isinstance(r, WorkOrder)]
    losses = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert WorkOrderEvent.objects.filter(order=order, action="forward").count() == 1
    assert WorkOrder.objects.get(pk=order.pk).version == 2


@pytest.mark.django_db(transaction=True)
def test_many_concurrent_grades_leave_a_consistent_history(org):
    from django.contrib.auth import get_user_model

    order = walk_to("forwarded")
    actor = actor_for(get_user_model().objects.get(username="specialist"))
    # Re-grading is allowed, so all may succeed — but serially: the event
    # sequence has no gaps or duplicates and matches the version.
    results = race(
        6,
        lambda i: services.work_order_grade(order=order.number, actor=actor, grade=3, complexity="ordinary"),
    )
    assert all(isinstance(r, (WorkOrder, Conflict)) for r in results), results
    seqs = list(WorkOrderEvent.objects.filter(order=order).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert WorkOrder.objects.get(pk=order.pk).version == seqs[-1]


@pytest.mark.django_db(transaction=True)
def test_concurrent_intake_with_same_external_id_creates_one_order(org):
    from django.contrib.auth import get_user_model

    from griddesk.workorders.serializers import IntakeSerializer

    from ..conftest import intake_payload

    s = IntakeSerializer(data=intake_payload(external_id="RACE-1"))
    s.is_valid(raise_exception=True)
    data = s.to_data()
    actor = actor_for(get_user_model().objects.get(username="agent"))
    results = race(4, lambda i: services.work_order_intake(actor=actor, data=data))
    assert all(isinstance(r, tuple) for r in results), results
    assert sum(created for _, created in results) == 1
    assert len({o.number for o, _ in results}) == 1
    assert WorkOrder.objects.filter(external_id="RACE-1").count() == 1


def _probe_counter_during_intake(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """While the intake's transaction is open (at its event), try to lock the
    order's counter row from another connection without waiting."""
    from django.db import transaction

    probes: list[object] = []
    real = services._create_event

    def probing(order, actor, **kw):  # type: ignore[no-untyped-def]
        if not probes:
            key = order.number[:-6]

            def probe(_i: int) -> int:
                with transaction.atomic(), connection.cursor() as cur:
                    cur.execute("SELECT last FROM workorders_numbersequence WHERE key = %s FOR UPDATE NOWAIT", [key])
                    return int(cur.fetchone()[0])

            probes.append(race(1, probe)[0])
        return real(order, actor, **kw)

    monkeypatch.setattr(services, "_create_event", probing)
    return probes


@pytest.mark.django_db(transaction=True)
def test_intake_does_not_hold_the_number_counter_in_its_transaction(org, monkeypatch):
    from django.contrib.auth import get_user_model

    from griddesk.workorders.serializers import IntakeSerializer

    from ..conftest import intake_payload

    actor = actor_for(get_user_model().objects.get(username="agent"))
    s = IntakeSerializer(data=intake_payload())
    s.is_valid(raise_exception=True)
    probes = _probe_counter_during_intake(monkeypatch)
    order, created = services.work_order_intake(actor=actor, data=s.to_data())
    assert created
    # the counter row was free and already past this order's number
    assert probes and isinstance(probes[0], int) and probes[0] >= int(order.number[-6:]), probes

    # Inside a caller's transaction the number is taken in that transaction
    # (nothing commits behind the caller's back): then the row is held.
    from django.db import transaction

    probes.clear()
    s = IntakeSerializer(data=intake_payload())
    s.is_valid(raise_exception=True)
    with transaction.atomic():
        services.work_order_intake(actor=actor, data=s.to_data())
    assert probes and isinstance(probes[0], Exception) and "lock" in str(probes[0]).lower(), probes


@pytest.mark.django_db(transaction=True)
def test_bulk_intake_does_not_hold_the_number_counter_in_its_transaction(org, monkeypatch):
    from django.contrib.auth import get_user_model

    from griddesk.workorders.serializers import parse_intake_items

    from ..conftest import intake_payload

    actor = actor_for(get_user_model().objects.get(username="agent"))
    items = parse_intake_items([intake_payload(), intake_payload(), intake_payload()])
    probes = _probe_counter_during_intake(monkeypatch)
    results = services.work_order_bulk_intake(actor=actor, items=items)
    assert [r.status for r in results] == ["created"] * 3
    top = max(int(r.order.number[-6:]) for r in results)
    assert probes and isinstance(probes[0], int) and probes[0] >= top, probes
