"""The story lifecycle's table (pure Python, like the complaint workflow's)."""

from __future__ import annotations

import pytest

from griddesk.engines import opinion_workflow as wf
from griddesk.engines.opinion_workflow import Right, StoryAction, StoryState
from griddesk.engines.workflow import Role


def test_every_state_but_archived_has_a_way_on_and_every_state_is_reached() -> None:
    reached = {StoryState.NEW} | {t.target for t in wf.TRANSITIONS.values() if t.target}
    assert reached == set(StoryState)
    for state in StoryState:
        assert bool(wf.actions_from(state)) is (state != StoryState.ARCHIVED)


def test_targets_and_refusals() -> None:
    assert wf.target("judge", "new") == "judged"
    assert wf.target("emergency", "transferred") == "transferred"  # the plan keeps the state
    with pytest.raises(ValueError):
        wf.target("transfer", "new")  # judge first
    with pytest.raises(KeyError):
        wf.target("view", "new")  # a right, not an action


def test_lead_handlers_act_only_in_a_monitoring_department() -> None:
    assert wf.role_may(Role.LEAD_HANDLER, "marketing", StoryAction.JUDGE)
    assert not wf.role_may(Role.LEAD_HANDLER, "power_station", StoryAction.JUDGE)
    assert wf.role_may(Role.SERVICE_SPECIALIST, None, StoryAction.TRANSFER)
    assert not wf.role_may(None, "marketing", Right.VIEW)
    assert all(wf.role_may(Role.ADMIN, None, a) for a in [*StoryAction, *Right])
    assert wf.ROLE_ACTIONS[Role.LEADER] == {Right.VIEW}
