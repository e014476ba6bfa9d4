"""A simulated clock for replaying history through the real services.

The services stamp events, ``closed_at``, ``auto_now`` fields and the like with
``django.utils.timezone.now()``. To load orders that were received weeks ago
with a believable history, the walked demo sets this clock before each action;
the services themselves run unchanged. Only for the ``demo`` command (one
thread); never used while serving requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from unittest import mock

from django.utils import timezone

_real_now = timezone.now


class SimulatedClock:
    def __init__(self) -> None:
        self.at: datetime | None = None

    def now(self) -> datetime:
        return self.at if self.at is not None else _real_now()


@contextmanager
def simulated_clock() -> Iterator[SimulatedClock]:
    clock = SimulatedClock()
    with mock.patch.object(timezone, "now", clock.now):
        yield clock


def real_now() -> datetime:
    return _real_now()
