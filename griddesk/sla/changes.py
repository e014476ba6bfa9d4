"""What changed in the SLA data, for whoever depends on it.

``sla`` keeps the calendar and the policy data and knows nothing of orders.
The order clock (``workorders.clock_services``) must recompute open orders'
deadlines when that data changes, so it subscribes here from its
``AppConfig.ready()``; the services of this app announce each change once
their transaction commits (:func:`announce_on_commit`). A change that rolled
back announces nothing.

- :class:`CalendarChange`: dates of the calendar changed (an override set or
  deleted, a year confirmed or withdrawn, a notice imported). ``first`` /
  ``last``: the changed range; both None: "every provisional deadline".
- :class:`PolicyChange`: an SLA policy, the business hours or a department's
  area type was saved or deleted. ``order_types``: the order types whose orders
  it can affect (None: any).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CalendarChange:
    first: date | None
    last: date | None
    actor_id: int | None
    reason: str


@dataclass(frozen=True)
class PolicyChange:
    order_types: list[str] | None
    actor_id: int | None
    reason: str


Change = CalendarChange | PolicyChange
Listener = Callable[[Change], None]

_listeners: list[Listener] = []


def subscribe(listener: Listener) -> Listener:
    """Register ``listener`` (idempotent: ``ready()`` may run twice in tests)."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def announce(change: Change) -> None:
    """Tell every listener now. A listener's failure propagates: the caller
    (a task) fails and is retried rather than losing a recompute."""
    if not _listeners:
        log.warning("no listener for %s: open orders' deadlines are not recomputed", change)
    for listener in _listeners:
        listener(change)


def announce_on_commit(change: Change) -> None:
    """Tell every listener once the surrounding transaction commits."""
    transaction.on_commit(lambda: announce(change))
