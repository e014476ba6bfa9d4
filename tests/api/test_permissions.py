"""The permission matrix: every role × every action → allowed or refused (403).

The expected table is written out here on purpose (not read from the engine), so
a change to ``ROLE_ACTIONS`` that is not also a decision here fails loudly.
"""

from __future__ import annotations

import pytest

from griddesk.workorders import services
from griddesk.workorders.models import WorkOrder

from ..conftest import intake_payload
from ..walk import admin_actor, walk_to

USERS = {
    "agent_95598": "agent",
    "service_specialist": "specialist",
    "lead_handler": "marketing",
    "station_investigator": "station",
    "manager": "manager",
    "admin": "admin",
    "leader": "leader",
}

Y, N = True, False
#            agent specialist lead  station manager admin leader
MATRIX = {
    "forward":          (Y, N, N, N, N, Y, N),
    "grade":            (N, Y, N, N, N, Y, N),
    "dispatch":         (N, Y, N, N, N, Y, N),
    "accept":           (N, N, Y, N, N, Y, N),
    "assign_station":   (N, N, Y, N, N, Y, N),
    "station_findings": (N, N, Y, Y, N, Y, N),
    "submit_report":    (N, N, Y, N, N, Y, N),
    "confirm_report":   (N, N, Y, N, Y, Y, N),
    "return_report":    (N, N, Y, N, Y, Y, N),
    "return_visit":     (N, Y, N, N, N, Y, N),
    "assess":           (N, N, N, N, Y, Y, N),
    "archive":          (N, N, N, N, Y, Y, N),
    "reopen":           (N, Y, N, N, Y, Y, N),
    "invalidate":       (Y, Y, N, N, N, Y, N),
    "merge":            (Y, Y, N, N, N, Y, N),
    "urge":             (Y, N, N, N, Y, Y, N),
    "suspend":          (N, N, Y, N, Y, Y, N),
    "resume":           (N, N, Y, N, Y, Y, N),
}
INTAKE = (Y, Y, N, N, N, Y, N)

SOURCE = {
    "forward": "received",
    "grade": "forwarded",
    "dispatch": "graded",
    "accept": "dispatched",
    "assign_station": "investigating",
    "station_findings": "investigating",
    "submit_report": "investigating",
    "confirm_report": "reported",
    "return_report": "reported",
    "return_visit": "fed_back",
    "assess": "visited",
    "archive": "assessed",
    "reopen": "visited",
    "invalidate": "received",
    "merge": "received",
    "urge": "dispatched",
    "suspend": "investigating",
    "resume": "suspended",
}


def _payload(action: str, target: WorkOrder | None) -> dict:
    return {
        "grade": {"grade": 3, "complexity": "ordinary"},
        "assign_station": {"stations": ["east-ps-2"]},
        "station_findings": {"findings": "现场核实情况属实"},
        "submit_report": {"findings": "f", "responsibility": "r", "rectification": "m", "company_at_fault": False},
        "return_report": {"note": "补充调查"},
        "return_visit": {"method": "phone", "outcome": "satisfied"},
        "reopen": {"reason": "客户不满意"},
        "invalidate": {"reason": "重复受理"},
        "merge": {"into": target.number if target else ""},
        # the lead handler names the approving manager; a manager or admin approves it themselves
        "suspend": {"reason": "等待客户提供材料", "approver": "manager"},
    }.get(action, {})


CASES = [(action, role, allowed) for action, row in MATRIX.items() for role, allowed in zip(USERS, row)]


@pytest.mark.parametrize(("action", "role", "allowed"), CASES, ids=[f"{a}-{r}" for a, r, _ in CASES])
def test_role_action_matrix(org, client_for, action, role, allowed):
    if SOURCE[action] == "suspended":
        order = walk_to("investigating")
        services.work_order_act(order=order.number, actor=admin_actor(), action="suspend", data={"reason": "等待第三方"})
        order.refresh_from_db()
    else:
        order = walk_to(SOURCE[action])
    if action == "station_findings":
        # The order has a station task at east-ps-1, the demo station user's station.
        services.work_order_act(order=order.number, actor=admin_actor(), action="assign_station", data={"stations": ["east-ps-1"]})
    if action == "confirm_report":
        # Four eyes: the report (walk_to's admin wrote it) counts as a third person's, so every
        # role is judged on its rights alone (tests/api/test_four_eyes.py covers the submitter).
        from django.contrib.auth import get_user_model

        other = get_user_model().objects.create(username="other_handler")
        order.reports.update(submitted_by=other)
    target = walk_to("received") if action == "merge" else None
    body = {"action": action, **_payload(action, target)}
    events_before = order.events.count()
    r = client_for(USERS[role]).post(f"/api/v1/work-orders/{order.number}/actions/", body, format="json")
    if allowed:
        assert r.status_code == 200, r.content.decode()
        last = list(WorkOrder.objects.get(pk=order.pk).events.order_by("-seq").values_list("action", flat=True)[:2])
        # a reopen restarts the clock: its deadline event follows it
        assert last[0] == action or (action == "reopen" and last == ["deadline", "reopen"]), last
    else:
        # A role that cannot even see the order gets 404, not a hint that it exists.
        assert r.status_code in (403, 404), r.content.decode()
        if r.status_code == 403:
            assert r.json()["code"] == "permission_denied"
        assert order.events.count() == events_before  # nothing written


@pytest.mark.parametrize(("role", "allowed"), list(zip(USERS, INTAKE)))
def test_intake_matrix(org, client_for, role, allowed):
    r = client_for(USERS[role]).post("/api/v1/work-orders/", intake_payload(), format="json")
    assert r.status_code == (201 if allowed else 403), r.content.decode()


def test_allowed_actions_listed_for_the_actor(org, client_for):
    order = walk_to("received")
    body = client_for("agent").get(f"/api/v1/work-orders/{order.number}/").json()
    assert body["allowed_actions"] == ["forward", "invalidate", "merge", "urge"]
    body = client_for("specialist").get(f"/api/v1/work-orders/{order.number}/").json()
    assert body["allowed_actions"] == ["invalidate", "merge"]


def test_lead_handler_of_another_department_is_refused(org, client_for):
    order = walk_to("dispatched")  # grade 3 → city-marketing
    r = client_for("audit").post(f"/api/v1/work-orders/{order.number}/actions/", {"action": "accept"}, format="json")
    assert r.status_code == 404  # audit does not lead this order, so cannot see it


def test_visibility_by_department(org, client_for):
    order = walk_to("dispatched")

    def numbers(user):
        return {o["number"] for o in client_for(user).get("/api/v1/work-orders/?page_size=500").json()["results"]}

    assert order.number in numbers("agent")  # created by the 95598 station
    assert order.number in numbers("marketing")  # leads it
    assert order.number in numbers("manager")  # company subtree
    assert order.number not in numbers("audit")
    assert order.number not in numbers("station")
    services.work_order_act(order=order.number, actor=admin_actor(), action="accept", data={})
    services.work_order_act(order=order.number, actor=admin_actor(), action="assign_station", data={"stations": ["east-ps-1"]})
    assert order.number in numbers("station")


def test_specialist_forwards_only_orders_the_95598_station_did_not_take_in(org, client_for):
    """The station forwards its own orders; an order the marketing department
    took in itself (its specialist's intake, a story transfer) is taken over by
    the specialist — before, it stayed at 已受理 for everyone but the admin."""
    own = client_for("specialist").post("/api/v1/work-orders/", intake_payload(channel="inspection"), format="json").json()
    body = client_for("specialist").get(f"/api/v1/work-orders/{own['number']}/").json()
    assert body["allowed_actions"] == ["forward", "invalidate", "merge"]
    assert client_for("agent").get(f"/api/v1/work-orders/{own['number']}/").status_code == 404
    r = client_for("specialist").post(f"/api/v1/work-orders/{own['number']}/actions/", {"action": "forward"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "forwarded", r.content.decode()
    station = walk_to("received")
    r = client_for("specialist").post(f"/api/v1/work-orders/{station.number}/actions/", {"action": "forward"}, format="json")
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
