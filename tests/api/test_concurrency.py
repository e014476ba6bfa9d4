"""Two people acting on one order at the same moment: exactly one wins."""

from __future__ import annotations


import pytest
from django.db import connection

from griddesk.common.errors import Conflict
from griddesk.organisation.access import actor_for
from griddesk.workorders import services
from griddesk.workorders.models import WorkOrder, WorkOrderEvent

from ..walk import new_order, walk_to
from ..race import race

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
