"""Put an order into any lifecycle state quickly, through the real services."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from griddesk.organisation.access import actor_for
from griddesk.workorders import services
from griddesk.workorders.models import WorkOrder

from .conftest import intake_payload

PATH = [
    ("forward", {}),
    ("grade", {"grade": 3, "complexity": "ordinary"}),
    ("dispatch", {}),
    ("accept", {}),
    ("submit_report", {"findings": "核实", "responsibility": "无责", "rectification": "解释", "company_at_fault": False}),
    ("confirm_report", {}),
    ("return_visit", {"method": "phone", "outcome": "satisfied"}),
    ("assess", {}),
    ("archive", {}),
]
AFTER = {
    "received": 0, "forwarded": 1, "graded": 2, "dispatched": 3, "investigating": 4, "reported": 5,
    "fed_back": 6, "visited": 7, "assessed": 8, "archived": 9,
}


def admin_actor() -> Any:
    return actor_for(get_user_model().objects.get(username="admin"))


def new_order(**overrides: Any) -> WorkOrder:
    from griddesk.workorders.serializers import IntakeSerializer

    s = IntakeSerializer(data=intake_payload(**overrides))
    s.is_valid(raise_exception=True)
    order, _ = services.work_order_intake(actor=actor_for(get_user_model().objects.get(username="agent")), data=s.to_data())
    return order


def manager_actor() -> Any:
    return actor_for(get_user_model().objects.get(username="manager"))


def walk_to(state: str, **overrides: Any) -> WorkOrder:
    order = new_order(**overrides)
    actor = admin_actor()
    for action, data in PATH[: AFTER[state]]:
        # four eyes: the report the admin submitted is confirmed by the manager
        who = manager_actor() if action == "confirm_report" else actor
        services.work_order_act(order=order.number, actor=who, action=action, data=data)
    return WorkOrder.objects.get(pk=order.pk)
