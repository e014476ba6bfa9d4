"""The story lifecycle as data: transitions and who may take which action.

Pure Python (no models): the services check this table before touching a row,
the board asks it which buttons to show, and the permission-matrix test reads it.

    new → judged (研判: risk confirmed or changed, may it cause bad impact or a
    complaint? does it need transfer?) → transferred (a 舆情防范 work order is
    opened) → fed_back (result fed back to the marketing service specialist)
    → archived (by the specialist, with the investigation result)
    new / judged → dismissed (reason) → archived

Starting the service emergency plan does not move the story; it is recorded in
the story's events and tracked as its own response (open → closed).
"""

from __future__ import annotations

from collections.abc import Mapping

from griddesk.engines.workflow import Role

NEW, JUDGED, TRANSFERRED, DISMISSED, FED_BACK, ARCHIVED = "new", "judged", "transferred", "dismissed", "fed_back", "archived"

#: action → (source states, target state). Emergency keeps the state.
TRANSITIONS: Mapping[str, tuple[frozenset[str], str | None]] = {
    # Re-judging is allowed until the story leaves the monitoring desk.
    "judge": (frozenset({NEW, JUDGED}), JUDGED),
    "transfer": (frozenset({JUDGED}), TRANSFERRED),
    "dismiss": (frozenset({NEW, JUDGED}), DISMISSED),
    "feed_back": (frozenset({TRANSFERRED}), FED_BACK),
    "archive": (frozenset({FED_BACK, DISMISSED}), ARCHIVED),
    "emergency": (frozenset({NEW, JUDGED, TRANSFERRED, FED_BACK}), None),
}
ACTIONS = tuple(TRANSITIONS)

#: Department types of the joint monitoring team (key point 1): marketing,
#: audit, customer service center, party-mass work. Their handlers see the
#: board, take items in, judge and dismiss.
MONITOR_DEPARTMENT_TYPES = frozenset({"marketing", "audit", "customer_center", "party_mass"})

#: Role → actions, before the department check. "monitor" marks actions a lead
#: handler may take only in a monitoring department.
_SPECIALIST = frozenset({"view", "intake", "judge", "transfer", "dismiss", "archive", "emergency"})
ROLE_ACTIONS: Mapping[Role, frozenset[str]] = {
    Role.ADMIN: frozenset({"view", "intake", *ACTIONS, "emergency_close"}),
    # The marketing service specialist opens the prevention work order (the
    # core's intake role) and, as the auxiliary specialist, archives.
    Role.SERVICE_SPECIALIST: _SPECIALIST,
    Role.MANAGER: frozenset({"view", "judge", "dismiss", "feed_back", "emergency", "emergency_close"}),
    Role.LEAD_HANDLER: frozenset({"view", "intake", "judge", "dismiss", "feed_back"}),
    Role.LEADER: frozenset({"view"}),
    Role.AGENT_95598: frozenset(),
    Role.STATION_INVESTIGATOR: frozenset(),
}
#: Roles whose rights above hold only inside a monitoring department.
MONITOR_ONLY_ROLES = frozenset({Role.LEAD_HANDLER})


def role_may(role: Role | None, department_type: str | None, action: str) -> bool:
    if role is None or action not in ROLE_ACTIONS.get(role, frozenset()):
        return False
    if role in MONITOR_ONLY_ROLES and department_type not in MONITOR_DEPARTMENT_TYPES:
        return False
    return True


def target(action: str, state: str) -> str | None:
    """The state after ``action``; raises KeyError/ValueError when not allowed."""
    sources, to = TRANSITIONS[action]
    if state not in sources:
        raise ValueError(f"{action!r} is not possible in state {state!r}")
    return to or state


def actions_from(state: str) -> list[str]:
    return [a for a, (sources, _) in TRANSITIONS.items() if state in sources]
