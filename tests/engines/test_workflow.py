from __future__ import annotations

import pytest

from griddesk.engines import workflow
from griddesk.engines.workflow import Action, Role, State, TransitionError


def test_the_papers_main_path_reaches_archived():
    path = [
        (Action.FORWARD, State.FORWARDED),
        (Action.GRADE, State.GRADED),
        (Action.DISPATCH, State.DISPATCHED),
        (Action.ACCEPT, State.INVESTIGATING),
        (Action.SUBMIT_REPORT, State.REPORTED),
        (Action.CONFIRM_REPORT, State.FED_BACK),
        (Action.RETURN_VISIT, State.VISITED),
        (Action.ASSESS, State.ASSESSED),
        (Action.ARCHIVE, State.ARCHIVED),
    ]
    state = State.RECEIVED
    for action, expected in path:
        target = expected if len(workflow.TRANSITIONS[action].targets) > 1 else None
        state = workflow.check(action, state, target)
        assert state == expected


@pytest.mark.parametrize("state", sorted(workflow.TERMINAL_STATES))
def test_nothing_leaves_a_terminal_state(state):
    assert workflow.actions_from(state) == ()
    for action in Action:
        with pytest.raises(TransitionError) as exc:
            workflow.check(action, state)
        assert exc.value.allowed == ()


def test_every_state_is_reachable_from_received():
    seen = {State.RECEIVED}
    frontier = [State.RECEIVED]
    while frontier:
        s = frontier.pop()
        for a in workflow.actions_from(s):
            for t in workflow.TRANSITIONS[a].targets:
                if t not in seen:
                    seen.add(t)
                    frontier.append(t)
    assert seen == set(State)


def test_no_jumps_past_stages():
    with pytest.raises(TransitionError):
        workflow.check(Action.DISPATCH, State.FORWARDED)  # not graded yet
    with pytest.raises(TransitionError):
        workflow.check(Action.ARCHIVE, State.VISITED)  # not assessed yet
    with pytest.raises(TransitionError):
        workflow.check(Action.INVALIDATE, State.INVESTIGATING)  # only before dispatch


def test_return_visit_targets():
    assert workflow.check(Action.RETURN_VISIT, State.FED_BACK, State.VISITED) == State.VISITED
    assert workflow.check(Action.RETURN_VISIT, State.FED_BACK, State.INVESTIGATING) == State.INVESTIGATING
    with pytest.raises(TransitionError):
        workflow.check(Action.RETURN_VISIT, State.FED_BACK, State.ARCHIVED)
    with pytest.raises(ValueError):
        workflow.check(Action.RETURN_VISIT, State.FED_BACK)  # ambiguous without a target


def test_self_loops_keep_the_state():
    assert workflow.check(Action.GRADE, State.GRADED) == State.GRADED
    assert workflow.check(Action.ASSIGN_STATION, State.INVESTIGATING) == State.INVESTIGATING
    assert workflow.check(Action.URGE, State.DISPATCHED, State.DISPATCHED) == State.DISPATCHED


def test_urge_only_while_open():
    assert Action.URGE in workflow.actions_from(State.RECEIVED)
    assert Action.URGE not in workflow.actions_from(State.FED_BACK)


def test_roles():
    assert all(workflow.role_may(Role.ADMIN, a) for a in Action)
    assert not any(workflow.role_may(Role.LEADER, a) for a in Action)
    assert workflow.role_may(Role.SERVICE_SPECIALIST, Action.GRADE)
    assert not workflow.role_may(Role.AGENT_95598, Action.GRADE)
    assert Role.MANAGER not in workflow.PII_ROLES and Role.LEADER not in workflow.PII_ROLES
    assert workflow.CONFIDENTIAL_PII_ROLES < workflow.PII_ROLES


def test_suspend_and_resume():
    for state in (State.DISPATCHED, State.INVESTIGATING):
        assert workflow.check(Action.SUSPEND, state) == State.SUSPENDED
        # resume goes back to where the order was suspended from
        assert workflow.check(Action.RESUME, State.SUSPENDED, state) == state
    with pytest.raises(ValueError):
        workflow.check(Action.RESUME, State.SUSPENDED)  # the service names the target
    with pytest.raises(TransitionError):
        workflow.check(Action.RESUME, State.SUSPENDED, State.ARCHIVED)
    for state in (State.RECEIVED, State.REPORTED, State.FED_BACK, State.SUSPENDED):
        with pytest.raises(TransitionError):
            workflow.check(Action.SUSPEND, state)
    # nothing but resume while suspended; the clock is stopped (not an open state)
    assert workflow.actions_from(State.SUSPENDED) == (Action.RESUME,)
    assert State.SUSPENDED not in workflow.OPEN_STATES
    assert State.SUSPENDED not in workflow.TERMINAL_STATES


def test_who_may_suspend():
    may = {r for r in Role if workflow.role_may(r, Action.SUSPEND)}
    assert may == {Role.LEAD_HANDLER, Role.MANAGER, Role.ADMIN}
    assert may == {r for r in Role if workflow.role_may(r, Action.RESUME)}


def test_todo_states_follow_each_roles_main_actions():
    from griddesk.engines.workflow import Role, State, todo_states

    assert todo_states(Role.AGENT_95598) == {State.RECEIVED}
    assert todo_states(Role.SERVICE_SPECIALIST) == {State.RECEIVED, State.FORWARDED, State.GRADED, State.FED_BACK}
    assert todo_states(Role.LEAD_HANDLER) == {State.DISPATCHED, State.INVESTIGATING, State.REPORTED}
    assert todo_states(Role.STATION_INVESTIGATOR) == {State.INVESTIGATING}
    assert todo_states(Role.MANAGER) == {State.REPORTED, State.VISITED, State.ASSESSED}
    assert todo_states(Role.LEADER) == frozenset()
