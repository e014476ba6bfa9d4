"""The public-opinion story lifecycle as a transition table, the same shape as
the complaint lifecycle (``griddesk.engines.workflow``).

Pure Python: no Django. The opinion app's services check this table before they
touch a row, the story page asks it which actions to offer, and the permission
tests read it. Everything else an action needs (its input, label, service) is
declared once in ``griddesk.opinion.actions``.

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
from dataclasses import dataclass
from enum import StrEnum

from griddesk.engines.workflow import Role


class StoryState(StrEnum):
    NEW = "new"
    JUDGED = "judged"
    TRANSFERRED = "transferred"
    DISMISSED = "dismissed"
    FED_BACK = "fed_back"
    ARCHIVED = "archived"


class StoryAction(StrEnum):
    JUDGE = "judge"
    TRANSFER = "transfer"
    DISMISS = "dismiss"
    FEED_BACK = "feed_back"
    ARCHIVE = "archive"
    EMERGENCY = "emergency"


#: Rights on the board that are no transition (viewing, taking items in,
#: closing an emergency response).
class Right(StrEnum):
    VIEW = "view"
    INTAKE = "intake"
    EMERGENCY_CLOSE = "emergency_close"


@dataclass(frozen=True)
class Transition:
    action: StoryAction
    sources: frozenset[StoryState]
    #: None: the story keeps its state (the emergency plan).
    target: StoryState | None


def _t(action: StoryAction, sources: tuple[StoryState, ...], target: StoryState | None) -> Transition:
    return Transition(action, frozenset(sources), target)


S = StoryState

#: The transition table, in the order the story page offers the actions.
TRANSITIONS: Mapping[StoryAction, Transition] = {
    t.action: t
    for t in (
        # Re-judging is allowed until the story leaves the monitoring desk.
        _t(StoryAction.JUDGE, (S.NEW, S.JUDGED), S.JUDGED),
        _t(StoryAction.TRANSFER, (S.JUDGED,), S.TRANSFERRED),
        _t(StoryAction.DISMISS, (S.NEW, S.JUDGED), S.DISMISSED),
        _t(StoryAction.FEED_BACK, (S.TRANSFERRED,), S.FED_BACK),
        _t(StoryAction.ARCHIVE, (S.FED_BACK, S.DISMISSED), S.ARCHIVED),
        _t(StoryAction.EMERGENCY, (S.NEW, S.JUDGED, S.TRANSFERRED, S.FED_BACK), None),
    )
}
ACTIONS: tuple[StoryAction, ...] = tuple(TRANSITIONS)

#: Department types of the joint monitoring team (key point 1): marketing,
#: audit, customer service center, party-mass work. Their handlers see the
#: board, take items in, judge and dismiss.
MONITOR_DEPARTMENT_TYPES: frozenset[str] = frozenset({"marketing", "audit", "customer_center", "party_mass"})

_SPECIALIST: frozenset[str] = frozenset(
    {Right.VIEW, Right.INTAKE, StoryAction.JUDGE, StoryAction.TRANSFER, StoryAction.DISMISS, StoryAction.ARCHIVE,
     StoryAction.EMERGENCY}
)

#: Role → actions and rights, before the department check (``MONITOR_ONLY_ROLES``).
ROLE_ACTIONS: Mapping[Role, frozenset[str]] = {
    Role.ADMIN: frozenset({Right.VIEW, Right.INTAKE, *ACTIONS, Right.EMERGENCY_CLOSE}),
    # The marketing service specialist opens the prevention work order (the
    # core's intake role) and, as the auxiliary specialist, archives.
    Role.SERVICE_SPECIALIST: _SPECIALIST,
    Role.MANAGER: frozenset(
        {Right.VIEW, StoryAction.JUDGE, StoryAction.DISMISS, StoryAction.FEED_BACK, StoryAction.EMERGENCY,
         Right.EMERGENCY_CLOSE}
    ),
    Role.LEAD_HANDLER: frozenset(
        {Right.VIEW, Right.INTAKE, StoryAction.JUDGE, StoryAction.DISMISS, StoryAction.FEED_BACK}
    ),
    Role.LEADER: frozenset({Right.VIEW}),
    Role.AGENT_95598: frozenset(),
    Role.STATION_INVESTIGATOR: frozenset(),
}

#: Roles whose rights above hold only inside a monitoring department.
MONITOR_ONLY_ROLES: frozenset[Role] = frozenset({Role.LEAD_HANDLER})


def role_may(role: Role | None, department_type: str | None, action: str) -> bool:
    """May someone of ``role`` in a department of ``department_type`` take ``action``?"""
    if role is None or action not in ROLE_ACTIONS.get(role, frozenset()):
        return False
    return not (role in MONITOR_ONLY_ROLES and department_type not in MONITOR_DEPARTMENT_TYPES)


def transition(action: str) -> Transition:
    """The table's row for ``action``; KeyError for an unknown action."""
    if action not in StoryAction._value2member_map_:
        raise KeyError(action)
    return TRANSITIONS[StoryAction(action)]


def target(action: str, state: str) -> str:
    """The state after ``action``; KeyError for an unknown action, ValueError
    when the action is not possible from ``state``."""
    t = transition(action)
    if state not in t.sources:
        raise ValueError(f"{action!r} is not possible in state {state!r}")
    return str(t.target or state)


def actions_from(state: str) -> list[str]:
    """Actions the table allows from ``state``, in table order."""
    return [a.value for a, t in TRANSITIONS.items() if state in t.sources]
