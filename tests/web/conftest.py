from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from griddesk.organisation.access import actor_for
from griddesk.workorders import services
from griddesk.workorders.models import WorkOrder
from griddesk.workorders.serializers import IntakeSerializer

from ..conftest import intake_payload

#: The main path, as (user, action, data); a prefix of it brings an order to a state.
PATH: list[tuple[str, str, dict[str, Any]]] = [
    ("agent", "forward", {}),
    ("specialist", "grade", {"grade": 3, "complexity": "ordinary", "reason": "按测试需要定为三级"}),
    ("specialist", "dispatch", {}),
    ("marketing", "accept", {}),
    ("marketing", "submit_report", {"findings": "核实", "responsibility": "无责", "rectification": "解释", "company_at_fault": False}),
    ("manager", "confirm_report", {}),  # four eyes: not the submitter (city-marketing has one handler)
    ("specialist", "return_visit", {"method": "phone", "outcome": "satisfied"}),
    ("manager", "assess", {}),
    ("manager", "archive", {}),
]
STEPS = {
    "received": 0, "forwarded": 1, "graded": 2, "dispatched": 3, "investigating": 4, "reported": 5,
    "fed_back": 6, "visited": 7, "assessed": 8, "archived": 9,
}


def actor(username: str) -> Any:
    return actor_for(get_user_model().objects.get(username=username))


@pytest.fixture
def web(org: Any):
    """``web("agent")`` → a Django test client logged in as that demo user."""

    clients: dict[str, Client] = {}

    def make(username: str) -> Client:
        if username not in clients:
            c = Client()
            c.force_login(get_user_model().objects.get(username=username))
            clients[username] = c
        return clients[username]

    return make


@pytest.fixture
def order_in(org: Any):
    """``order_in("dispatched")`` → a fresh order walked to that state through the services."""

    def make(state: str = "received", **overrides: Any) -> WorkOrder:
        s = IntakeSerializer(data=intake_payload(**overrides))
        s.is_valid(raise_exception=True)
        order, _ = services.work_order_intake(actor=actor("agent"), data=s.to_data())
        for username, action, data in PATH[: STEPS[state]]:
            services.work_order_act(order=order.number, actor=actor(username), action=action, data=data)
        return WorkOrder.objects.get(pk=order.pk)

    return make


@pytest.fixture
def q_sync(settings: Any) -> None:
    """Run django-q2 tasks inline."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
