"""The complaint lifecycle as a transition table (seed paper §2.4, key points 4–6).

Pure Python: no Django. The Django service layer asks this module two questions
before it touches a row — "may this action run from this state?" and "which state
may it lead to?" — and whether the actor's role may take it at all. Everything
else (locking, events, side effects) lives in ``griddesk.workorders.services``.

States follow the paper's hand-offs::

    received (95598 station) → forwarded (to the marketing service specialist)
    → graded (grade 1–4 + complexity) → dispatched (to the lead department(s))
    → investigating (on-site verification, station tasks) → reported
    (findings + responsibility analysis + rectification measures)
    → fed_back (report confirmed, fed back to the specialist) → visited
    (return visit) → assessed → archived

with the side exits ``invalid`` (退单), ``merged`` (duplicate of another order) and
``reopen`` (customer not satisfied → investigating again, counted as a repeat).

Suspension (挂起): while dispatched or investigating, the lead department may
``suspend`` an order (waiting for the customer or a third party; a reason and a
manager's approval are required) — the clock stops; ``resume`` returns it to the
state it was suspended from, and the deadline is extended by the suspended
working time (see ``griddesk.engines.sla.suspension_extension``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    RECEIVED = "received"
    FORWARDED = "forwarded"
    GRADED = "graded"
    DISPATCHED = "dispatched"
    INVESTIGATING = "investigating"
    REPORTED = "reported"
    FED_BACK = "fed_back"
    VISITED = "visited"
    ASSESSED = "assessed"
    ARCHIVED = "archived"
    INVALID = "invalid"
    MERGED = "merged"
    SUSPENDED = "suspended"


class Action(StrEnum):
    FORWARD = "forward"
    GRADE = "grade"
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    ASSIGN_STATION = "assign_station"
    STATION_FINDINGS = "station_findings"
    SUBMIT_REPORT = "submit_report"
    CONFIRM_REPORT = "confirm_report"
    RETURN_REPORT = "return_report"
    RETURN_VISIT = "return_visit"
    ASSESS = "assess"
    ARCHIVE = "archive"
    REOPEN = "reopen"
    INVALIDATE = "invalidate"
    MERGE = "merge"
    URGE = "urge"
    SUSPEND = "suspend"
    RESUME = "resume"


class Role(StrEnum):
    AGENT_95598 = "agent_95598"
    SERVICE_SPECIALIST = "service_specialist"
    LEAD_HANDLER = "lead_handler"
    STATION_INVESTIGATOR = "station_investigator"
    MANAGER = "manager"
    ADMIN = "admin"
    LEADER = "leader"


#: States from which nothing but reading is possible.
TERMINAL_STATES: frozenset[State] = frozenset({State.ARCHIVED, State.INVALID, State.MERGED})

#: States in which the handling clock runs (the order is still open).
OPEN_STATES: frozenset[State] = frozenset(
    {
        State.RECEIVED,
        State.FORWARDED,
        State.GRADED,
        State.DISPATCHED,
        State.INVESTIGATING,
        State.REPORTED,
    }
)

_PRE_DISPATCH = (State.RECEIVED, State.FORWARDED, State.GRADED)

#: States from which an order may be suspended (the lead department is handling it).
SUSPENDABLE_STATES: frozenset[State] = frozenset({State.DISPATCHED, State.INVESTIGATING})


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[State]
    targets: frozenset[State]

    def leads_to(self, target: State) -> bool:
        return target in self.targets


def _t(action: Action, sources: tuple[State, ...], *targets: State) -> Transition:
    return Transition(action, frozenset(sources), frozenset(targets))


#: The transition table. An action may have several possible targets; the service
#: picks one from the action's data (e.g. an unsatisfied return visit reopens).
TRANSITIONS: Mapping[Action, Transition] = {
    t.action: t
    for t in (
        _t(Action.FORWARD, (State.RECEIVED,), State.FORWARDED),
        # Re-grading before dispatch is allowed; the event log keeps both grades.
        _t(Action.GRADE, (State.FORWARDED, State.GRADED), State.GRADED),
        _t(Action.DISPATCH, (State.GRADED,), State.DISPATCHED),
        _t(Action.ACCEPT, (State.DISPATCHED,), State.INVESTIGATING),
        _t(Action.ASSIGN_STATION, (State.INVESTIGATING,), State.INVESTIGATING),
        _t(Action.STATION_FINDINGS, (State.INVESTIGATING,), State.INVESTIGATING),
        _t(Action.SUBMIT_REPORT, (State.INVESTIGATING,), State.REPORTED),
        _t(Action.CONFIRM_REPORT, (State.REPORTED,), State.FED_BACK),
        # The lead department may send a weak report back for more investigation.
        _t(Action.RETURN_REPORT, (State.REPORTED,), State.INVESTIGATING),
        # Satisfied → visited; unsatisfied → investigating again (a reopen).
        _t(Action.RETURN_VISIT, (State.FED_BACK,), State.VISITED, State.INVESTIGATING),
        _t(Action.ASSESS, (State.VISITED,), State.ASSESSED),
        _t(Action.ARCHIVE, (State.ASSESSED,), State.ARCHIVED),
        _t(Action.REOPEN, (State.FED_BACK, State.VISITED, State.ASSESSED), State.INVESTIGATING),
        _t(Action.INVALIDATE, _PRE_DISPATCH, State.INVALID),
        _t(Action.MERGE, _PRE_DISPATCH, State.MERGED),
        # Urging (催办) does not move the order; it is recorded against it.
        _t(Action.URGE, tuple(OPEN_STATES), *OPEN_STATES),
        # Suspension stops the clock; resume returns to the state it left.
        _t(Action.SUSPEND, tuple(sorted(SUSPENDABLE_STATES)), State.SUSPENDED),
        _t(Action.RESUME, (State.SUSPENDED,), *sorted(SUSPENDABLE_STATES)),
    )
}


#: Which role may take which action (before scope checks such as "is this my
#: department's order"). Administrators may do everything; the read-only leader
#: nothing. Kept as data so the permission matrix test reads it directly.
ROLE_ACTIONS: Mapping[Role, frozenset[Action]] = {
    Role.AGENT_95598: frozenset({Action.FORWARD, Action.INVALIDATE, Action.MERGE, Action.URGE}),
    # The specialist forwards only orders that did not come through the 95598
    # station (their own intake, a story transfer's 舆情防范 order): taking such
    # an order over is the hand-off the station's forward is for the rest
    # (scope check in ``griddesk.workorders.selectors``).
    Role.SERVICE_SPECIALIST: frozenset(
        {
            Action.FORWARD,
            Action.GRADE,
            Action.DISPATCH,
            Action.RETURN_VISIT,
            Action.REOPEN,
            Action.INVALIDATE,
            Action.MERGE,
        }
    ),
    Role.LEAD_HANDLER: frozenset(
        {
            Action.ACCEPT,
            Action.ASSIGN_STATION,
            Action.STATION_FINDINGS,
            Action.SUBMIT_REPORT,
            Action.CONFIRM_REPORT,
            Action.RETURN_REPORT,
            Action.SUSPEND,
            Action.RESUME,
        }
    ),
    Role.STATION_INVESTIGATOR: frozenset({Action.STATION_FINDINGS}),
    Role.MANAGER: frozenset(
        {
            Action.CONFIRM_REPORT,
            Action.RETURN_REPORT,
            Action.ASSESS,
            Action.ARCHIVE,
            Action.REOPEN,
            Action.URGE,
            Action.SUSPEND,
            Action.RESUME,
        }
    ),
    Role.ADMIN: frozenset(Action),
    Role.LEADER: frozenset(),
}

#: Order types taken in without a way to reach a customer: a public-opinion
#: prevention order answers a story, not a caller. Every other type gets a
#: return visit, so it needs a customer (or is marked anonymous).
NO_CONTACT_TYPES: frozenset[str] = frozenset({"public_opinion"})


def contact_required(*, order_type: str, has_customer: bool, has_phone: bool, anonymous: bool) -> bool:
    """Whether an intake lacks the contact its return visit will need."""
    return order_type not in NO_CONTACT_TYPES and not anonymous and not has_customer and not has_phone


#: Roles that may create (take in) work orders.
INTAKE_ROLES: frozenset[Role] = frozenset({Role.AGENT_95598, Role.SERVICE_SPECIALIST, Role.ADMIN})

#: Roles that may add internal comments (内部备注) to the orders they see: every
#: staff role but the read-only leader. Comments are outside the workflow: they
#: change neither the state nor the version.
COMMENT_ROLES: frozenset[Role] = frozenset(Role) - {Role.LEADER}

#: Roles that see personal data (phone, address, ID number) unmasked, unless the
#: customer asked for confidentiality (then only intake-side roles see it).
PII_ROLES: frozenset[Role] = frozenset(
    {Role.AGENT_95598, Role.SERVICE_SPECIALIST, Role.LEAD_HANDLER, Role.STATION_INVESTIGATOR, Role.ADMIN}
)
CONFIDENTIAL_PII_ROLES: frozenset[Role] = frozenset({Role.AGENT_95598, Role.SERVICE_SPECIALIST, Role.ADMIN})


class TransitionError(Exception):
    """The action is not possible from the order's current state."""

    def __init__(self, action: str, state: str, allowed: tuple[str, ...]) -> None:
        super().__init__(f"action {action!r} is not allowed in state {state!r}")
        self.action = action
        self.state = state
        self.allowed = allowed


def actions_from(state: State) -> tuple[Action, ...]:
    """Actions the table allows from ``state``, in table order."""
    return tuple(a for a, t in TRANSITIONS.items() if state in t.sources)


def role_may(role: Role, action: Action) -> bool:
    return action in ROLE_ACTIONS.get(role, frozenset())


#: Actions that do not by themselves make an order "waiting for me": recording
#: an urge, stopping or restarting the clock, ending it early, sending a report
#: back, reopening a finished one.
SIDE_ACTIONS: frozenset[Action] = frozenset(
    {Action.URGE, Action.SUSPEND, Action.RESUME, Action.INVALIDATE, Action.MERGE, Action.REOPEN, Action.RETURN_REPORT}
)


def todo_states(role: Role) -> frozenset[State]:
    """The states in which an order waits for this role's next step (待我处理):
    the sources of the role's main actions (before scope checks)."""
    return frozenset(
        state
        for action in ROLE_ACTIONS.get(role, frozenset())
        if action not in SIDE_ACTIONS
        for state in TRANSITIONS[action].sources
    )


def check(action: Action, state: State, target: State | None = None) -> State:
    """Validate ``action`` from ``state`` and return the target state.

    ``target`` chooses among several possible targets; when omitted the action
    must have exactly one target, or (for self-loops) the current state.
    """
    transition = TRANSITIONS[action]
    if state not in transition.sources:
        raise TransitionError(action, state, tuple(actions_from(state)))
    if target is None:
        if state in transition.targets and action in (
            Action.GRADE,
            Action.ASSIGN_STATION,
            Action.STATION_FINDINGS,
            Action.URGE,
        ):
            return state
        if len(transition.targets) != 1:
            raise ValueError(f"action {action!r} needs an explicit target")
        (only,) = transition.targets
        return only
    if target not in transition.targets:
        raise TransitionError(action, state, tuple(actions_from(state)))
    return target
