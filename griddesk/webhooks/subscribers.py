"""The webhooks app's subscription to the core's domain events: the outbox
writer runs in the transaction of each change (ADR 0029)."""

from __future__ import annotations

from griddesk.workorders.domain_events import DomainEvent, order_event_name, subscribe

from . import event_types, services


def write_outbox(event: DomainEvent) -> None:
    services.outbox_write(event)


def register() -> None:
    subscribe(write_outbox, names=[order_event_name(e.action) for e in event_types.EVENT_TYPES], phase="in_transaction")
