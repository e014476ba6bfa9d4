from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from griddesk.workorders.models import WorkOrder

SH = ZoneInfo("Asia/Shanghai")
RECEIVED = datetime(2026, 3, 2, 9, 0, tzinfo=SH)
DEADLINE = RECEIVED + timedelta(days=10)


@pytest.fixture(autouse=True)
def q_sync(settings: Any) -> None:
    """Run django-q2 tasks inline."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}


@pytest.fixture
def order_at(org: Any):
    """``order_at("dispatched")`` → an order in that state, received RECEIVED, due DEADLINE."""
    from tests.walk import walk_to

    def make(state: str = "received", received: datetime = RECEIVED, deadline: datetime = DEADLINE) -> WorkOrder:
        order = walk_to(state)
        WorkOrder.objects.filter(pk=order.pk).update(received_at=received, deadline_at=deadline)
        return WorkOrder.objects.get(pk=order.pk)

    return make
