"""The order's history: the only module that writes ``WorkOrderEvent`` rows.

Every event is appended here, in the caller's transaction, and published as a
domain event (:mod:`.domain_events`: in-transaction subscribers at once, the
rest on commit):

- :func:`event_new` builds one (the actor's; ``seq`` = the order's version);
  :func:`record` saves and publishes it (intake, a state change, a reopen's
  ``deadline``);
- :func:`record_many`: many built events at once (bulk intake);
- :func:`clock_events`: the events the clock writes itself (no actor,
  ``actor_name`` :data:`SYSTEM_ACTOR`): overdue and stage-overdue marks, a
  recomputed stage limit;
- :func:`deadline_events_write`: a recompute batch's ``deadline`` events given
  as tuples (PostgreSQL: one COPY; elsewhere ``bulk_create``);
- :func:`insert_select_sql`: the ``INSERT … SELECT`` of the set-based
  PostgreSQL recompute, which writes its ``deadline`` events in the same
  statement that moves the deadlines (those are not published: ADR 0026).

``tests/workorders/test_history_only_writer.py`` fails when any other module
writes the table. The one exception is the demo loader
(``griddesk/demo/bulk.py``), which bulk-loads millions of demo orders and
their events with ``COPY`` before anyone uses the data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from griddesk.organisation.access import Actor

from . import domain_events
from .models import WorkOrder, WorkOrderEvent

#: actor_name of the events the clock writes (overdue, deadline recomputed).
SYSTEM_ACTOR = "system"

#: The columns of :func:`insert_select_sql` (and of a COPY), in order.
EVENT_COLUMNS = ("order", "seq", "action", "actor", "actor_name", "at", "from_state", "to_state", "note", "data")


def _columns() -> str:
    """The quoted database columns of :data:`EVENT_COLUMNS`, in order."""
    by_name = {f.name: str(f.column) for f in WorkOrderEvent._meta.concrete_fields}
    return ", ".join(connection.ops.quote_name(by_name[c]) for c in EVENT_COLUMNS)


def event_new(
    order: WorkOrder, actor: Actor, *, action: str, from_state: str, to_state: str, note: str = "",
    data: dict[str, Any] | None = None,
) -> WorkOrderEvent:
    """The (unsaved) event of ``actor``'s ``action`` on ``order`` at its current version."""
    return WorkOrderEvent(
        order=order,
        seq=order.version,
        action=action,
        actor=actor.user if actor.user.pk else None,
        actor_name=actor.user.get_username(),
        at=timezone.now(),
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data or {},
    )


def record(event: WorkOrderEvent) -> None:
    """Save an order's event and publish it to the apps subscribed to it."""
    event.save(force_insert=True)
    domain_events.publish_recorded([event])


def record_many(events: list[WorkOrderEvent], *, batch_size: int = 500) -> list[WorkOrderEvent]:
    """Save many built events (bulk intake) and publish them."""
    written = WorkOrderEvent.objects.bulk_create(events, batch_size=batch_size)
    domain_events.publish_recorded(written)
    return written


def clock_events(rows_: Iterable[tuple[Any, str, dict[str, Any]]], *, action: str, at: datetime) -> None:
    """Append one event per (locked, already version-bumped) order, written by
    the clock (no actor). ``rows_``: (order, state, data)."""
    rows_ = list(rows_)
    written = WorkOrderEvent.objects.bulk_create(
        [
            WorkOrderEvent(
                order_id=o.pk, seq=o.version, action=action, actor=None, actor_name=SYSTEM_ACTOR, at=at,
                from_state=state, to_state=state, data=data,
            )
            for o, state, data in rows_
        ],
        batch_size=1000,
    )
    if domain_events.wants(domain_events.order_event_name(action)):
        # The rows are loaded with .only(…): the numbers in one query, not one per order.
        ids = [o.pk for o, _s, _d in rows_]
        numbers = dict(WorkOrder.objects.filter(pk__in=ids).values_list("pk", "number"))
        domain_events.publish_recorded(written, numbers=numbers)


def _publish_tuples(events: list[tuple[Any, ...]]) -> None:
    """The domain events of a recompute batch's events (only when someone
    subscribes: a recompute may move 100,000 deadlines)."""
    if not events or not any(domain_events.wants(domain_events.order_event_name(a)) for a in {e[2] for e in events}):
        return
    ids = sorted({e[0] for e in events})
    numbers: dict[int, str] = {}
    for i in range(0, len(ids), 1000):
        numbers.update(WorkOrder.objects.filter(pk__in=ids[i : i + 1000]).values_list("pk", "number"))
    domain_events.publish_many([
        domain_events.order_event(
            action=action, order_id=oid, order_number=numbers.get(oid, ""), seq=seq, occurred_at=at,
            from_state=state, to_state=state, data=json.loads(data),
        )
        for oid, seq, action, at, state, data in events
    ])


def deadline_events_write(events: list[tuple[Any, ...]], *, raw_cursor: Any = None) -> None:
    """Append the clock's events given as (order_id, seq, action, at, state,
    data-json) tuples and publish them. With ``raw_cursor`` (PostgreSQL's
    psycopg cursor): one ``COPY`` (parameter binding of 1,000-row statements
    cost more than the database work); else ``bulk_create``."""
    if raw_cursor is not None:
        meta = WorkOrderEvent._meta
        table = connection.ops.quote_name(meta.db_table)
        cols = _columns()
        with raw_cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
            for oid, seq, action, at, state, data in events:
                cp.write_row((oid, seq, action, None, SYSTEM_ACTOR, at, state, state, "", data))
    else:
        WorkOrderEvent.objects.bulk_create(
            [
                WorkOrderEvent(order_id=oid, seq=seq, action=action, actor=None, actor_name=SYSTEM_ACTOR, at=at,
                               from_state=state, to_state=state, data=json.loads(data))
                for oid, seq, action, at, state, data in events
            ],
            batch_size=1000,
        )
    _publish_tuples(events)


def insert_select_sql(select: str) -> str:
    """``INSERT INTO <events> (<EVENT_COLUMNS>) <select>``: for a set-based
    statement (a CTE) that writes its events with the change itself. ``select``
    yields the columns of :data:`EVENT_COLUMNS` in order."""
    meta = WorkOrderEvent._meta
    table = connection.ops.quote_name(meta.db_table)
    cols = _columns()
    return f"INSERT INTO {table} ({cols}) {select}"
