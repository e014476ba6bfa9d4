"""Domain events: how the apps built on the core hear what happened to an order.

The core (``griddesk.workorders``: its one writer of events, ``history``, for
every action and for the clock) calls :func:`publish` wherever it records a ``WorkOrderEvent``; apps
subscribe from their ``AppConfig.ready()`` and the core never imports them
(ADR 0026). A later outbox/webhook stage subscribes here too.

Two phases:

- ``"on_commit"`` (the default): the handler runs after the transaction that
  published the event commits (``transaction.on_commit(..., robust=True)``), so
  nothing is sent for a change that rolled back, and a failing handler is
  logged without failing the change or the other handlers;
- ``"in_transaction"``: the handler runs at once, inside the transaction; an
  exception aborts the change (use it for writes that must be atomic with it).

Handlers get one :class:`DomainEvent` per call. Publishing costs nothing when
no subscriber wants the event's name (:func:`wants` lets bulk writers skip
even building the events).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

from django.db import transaction

log = logging.getLogger("griddesk.domain_events")

Phase = Literal["on_commit", "in_transaction"]
PHASES: tuple[Phase, ...] = ("on_commit", "in_transaction")

#: Namespace of the ids of events that stand for a recorded ``WorkOrderEvent``:
#: ``uuid5(NAMESPACE, "work_order:<order id>:<seq>")`` — the same id however
#: often the event is built, so a subscriber's retry (or a later outbox) can key on it.
NAMESPACE = uuid.UUID("6d3f0c1e-4a1b-5c9e-9f0a-2b7d8e1c4a55")

#: The prefix of the names of the core's order events: ``work_order.<action>``
#: (``work_order.dispatch``, ``work_order.create``, ``work_order.deadline``, …).
ORDER = "work_order."


def order_event_name(action: str) -> str:
    return f"{ORDER}{action}"


def _frozen(data: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(data or {}))


@dataclass(frozen=True)
class DomainEvent:
    """Something that happened to a work order, immutable once built.

    ``data`` is a read-only copy of the recorded event's data (JSON values)."""

    name: str
    order_id: int | None
    order_number: str
    occurred_at: datetime
    actor_id: int | None = None
    from_state: str = ""
    to_state: str = ""
    seq: int | None = None
    note: str = ""
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    id: uuid.UUID = field(default_factory=uuid.uuid4)

    def __post_init__(self) -> None:
        if not isinstance(self.data, MappingProxyType):
            object.__setattr__(self, "data", _frozen(self.data))

    @property
    def action(self) -> str:
        """The core action for ``work_order.*`` events, else ''."""
        return self.name[len(ORDER):] if self.name.startswith(ORDER) else ""


def order_event(
    *, action: str, order_id: int | None, order_number: str, seq: int | None, occurred_at: datetime,
    actor_id: int | None = None, from_state: str = "", to_state: str = "", note: str = "",
    data: Mapping[str, Any] | None = None,
) -> DomainEvent:
    """The domain event of one recorded ``WorkOrderEvent`` (stable id)."""
    eid = uuid.uuid5(NAMESPACE, f"work_order:{order_id}:{seq}") if order_id is not None and seq is not None else uuid.uuid4()
    return DomainEvent(
        id=eid, name=order_event_name(action), order_id=order_id, order_number=order_number, seq=seq,
        occurred_at=occurred_at, actor_id=actor_id, from_state=from_state, to_state=to_state, note=note,
        data=_frozen(data),
    )


Handler = Callable[[DomainEvent], object]


@dataclass(frozen=True)
class _Subscription:
    handler: Handler
    names: frozenset[str] | None
    phase: Phase

    def matches(self, name: str) -> bool:
        return self.names is None or name in self.names


_lock = threading.Lock()
_subscriptions: list[_Subscription] = []


def subscribe(handler: Handler, *, names: Iterable[str] | None = None, phase: Phase = "on_commit") -> Handler:
    """Register ``handler`` for events named ``names`` (all when None).
    Call from ``AppConfig.ready()``; registering the same handler, names and
    phase twice is a no-op (``ready()`` may run more than once in tests)."""
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {PHASES}, got {phase!r}")
    if isinstance(names, str):
        raise TypeError("names must be an iterable of event names, not one string")
    sub = _Subscription(handler, frozenset(names) if names is not None else None, phase)
    with _lock:
        if sub not in _subscriptions:
            _subscriptions.append(sub)
    return handler


def unsubscribe(handler: Handler) -> None:
    with _lock:
        _subscriptions[:] = [s for s in _subscriptions if s.handler != handler]


def wants(name: str) -> bool:
    """Whether any subscriber listens to ``name`` (bulk writers skip building events otherwise)."""
    return any(s.matches(name) for s in _subscriptions)


def publish(event: DomainEvent) -> None:
    """Hand ``event`` to its subscribers (see the module docstring for the phases)."""
    publish_many([event])


def publish_many(events: Sequence[DomainEvent]) -> None:
    """Publish a batch (one on-commit callback per subscriber, not per event)."""
    if not events:
        return
    subs = list(_subscriptions)
    for sub in subs:
        if sub.phase != "in_transaction":
            continue
        for ev in events:
            if sub.matches(ev.name):
                sub.handler(ev)  # an exception propagates: the transaction rolls back
    for sub in subs:
        if sub.phase != "on_commit":
            continue
        mine = [ev for ev in events if sub.matches(ev.name)]
        if mine:
            transaction.on_commit(_deliver(sub.handler, mine), robust=True)


def _deliver(handler: Handler, events: list[DomainEvent]) -> Callable[[], None]:
    def run() -> None:
        for ev in events:
            try:
                handler(ev)
            except Exception:  # noqa: BLE001 — one failing subscriber must not stop the others
                log.exception("domain event %s (%s, order %s): subscriber %r failed", ev.id, ev.name, ev.order_number,
                              getattr(handler, "__qualname__", handler))

    return run


def publish_recorded(records: Sequence[Any], *, numbers: Mapping[int, str] | None = None) -> None:
    """Publish the domain events of ``WorkOrderEvent`` rows just written in
    this transaction. The order number comes from ``numbers`` (order id →
    number) or the row's cached ``order``; nothing is built when no subscriber
    wants any of the rows' names."""
    if not records or not any(wants(order_event_name(r.action)) for r in {r.action: r for r in records}.values()):
        return
    out: list[DomainEvent] = []
    for r in records:
        if not wants(order_event_name(r.action)):
            continue
        number = (numbers or {}).get(r.order_id) or ""
        if not number:
            cached = getattr(r, "_state", None) and r._state.fields_cache.get("order")
            number = cached.number if cached is not None else ""
        out.append(order_event(
            action=r.action, order_id=r.order_id, order_number=number, seq=r.seq, occurred_at=r.at,
            actor_id=r.actor_id, from_state=r.from_state, to_state=r.to_state, note=r.note, data=r.data,
        ))
    publish_many(out)
