"""The set-based recompute on PostgreSQL runs its id ranges on several
connections at once (committed data, so a transactional test)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from griddesk.workorders import clock_services, rules
from griddesk.workorders.models import WorkOrder, WorkOrderEvent

from ..walk import new_order
from .conftest import local

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the set-based, parallel path is PostgreSQL's (make test runs it)"
)


@pytest.mark.django_db(transaction=True)
def test_parallel_ranges_fix_every_stale_deadline_once(org, settings):
    settings.GRIDDESK_RECOMPUTE_WORKERS = 3
    orders = [new_order() for _ in range(24)]
    ids = [o.pk for o in orders]
    received = [local(2026, 12, 28 + i % 3, 9 + i % 8) for i in range(len(orders))]
    for o, r in zip(orders, received):
        WorkOrder.objects.filter(pk=o.pk).update(
            received_at=r, complexity="important" if o.pk % 2 else "ordinary",
            deadline_at=local(2027, 3, 1), deadline_provisional=True,  # stale
        )
    before = dict(WorkOrder.objects.filter(pk__in=ids).values_list("pk", "version"))
    threads: set[str] = set()
    second = threading.Event()

    def progress(examined: int, changed: int, seconds: float) -> None:
        # The first worker to finish a range waits here (up to 10 s) until
        # another one finishes one: with the ranges handed out while it waits,
        # the split across connections is certain, not a matter of timing.
        name = threading.current_thread().name
        threads.add(name)
        if len(threads) >= 2:
            second.set()
        elif name.startswith("sla-recompute"):
            second.wait(10)

    # batch 1 → id ranges of 5 (the set-based path multiplies by 5): 5+ ranges over 3 workers
    summary = clock_services.deadlines_recompute(reason="parallel", batch_size=1, progress=progress)
    assert summary["recomputed"] == len(orders)
    assert len([t for t in threads if t.startswith("sla-recompute")]) >= 2, threads
    for o in WorkOrder.objects.filter(pk__in=ids):
        expected = rules.handling_deadline(o.received_at, o.complexity)
        assert (o.deadline_at, o.deadline_provisional) == (expected.due_at, expected.provisional)
        assert o.version == before[o.pk] + 1
    events = WorkOrderEvent.objects.filter(order_id__in=ids, action="deadline")
    assert events.count() == len(orders)  # one each, no range done twice
    assert clock_services.deadlines_recompute(reason="again", batch_size=1)["recomputed"] == 0


@pytest.mark.django_db(transaction=True)
def test_one_worker_setting_keeps_one_connection(org, settings):
    settings.GRIDDESK_RECOMPUTE_WORKERS = 1
    orders = [new_order() for _ in range(6)]
    WorkOrder.objects.filter(pk__in=[o.pk for o in orders]).update(deadline_at=local(2027, 3, 1), deadline_provisional=True)
    threads: set[str] = set()
    summary = clock_services.deadlines_recompute(
        reason="serial", batch_size=1, progress=lambda *a: threads.add(threading.current_thread().name)
    )
    assert summary["recomputed"] == 6
    assert threads == {threading.current_thread().name}
