"""The center link's subscriptions (ADR 0030): the reply is written in the
transaction of the change (so it is in the outbox exactly when the change
commits), and the webhooks' attempts are read for the center's acknowledgement."""

from __future__ import annotations

from griddesk.webhooks import services as webhooks
from griddesk.workorders.domain_events import DomainEvent, order_event_name, subscribe

from . import services


def write_reply(event: DomainEvent) -> None:
    services.reply_write(event)


def register() -> None:
    subscribe(write_reply, names=[order_event_name(a) for a in services.REPLIED], phase="in_transaction")
    webhooks.on_attempt(services.attempt_seen)
