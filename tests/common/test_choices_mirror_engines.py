"""The Django choices are the engines' enums and constants, word for word: a
state, action, role or complexity added on one side only would be stored but
never offered (or offered but refused)."""

from __future__ import annotations

from griddesk.engines import grading, opinion_workflow, sla, workdays, workflow
from griddesk.opinion.models import StoryAction, StoryState
from griddesk.organisation.models import RoleChoice
from griddesk.workorders.models import ActionChoice, Complexity, OrderType, StateChoice


def test_states_actions_and_roles_mirror_the_workflow_engine():
    assert set(StateChoice.values) == {s.value for s in workflow.State}
    # an order event is an action, or one of the facts no person's action writes
    facts = {"create", "overdue", "deadline", "stage_overdue"}
    assert set(ActionChoice.values) - facts == {a.value for a in workflow.Action}
    assert not facts & {a.value for a in workflow.Action}
    assert set(RoleChoice.values) == {r.value for r in workflow.Role}


def test_story_states_and_actions_mirror_the_opinion_workflow_engine():
    assert set(StoryState.values) == {s.value for s in opinion_workflow.StoryState}
    facts = {"create", "rescore"}  # first seen, risk re-evaluated: no person's action
    assert set(StoryAction.values) - facts == {a.value for a in opinion_workflow.StoryAction}
    assert not facts & {a.value for a in opinion_workflow.StoryAction}
    # the rights that are no transition are not story actions either
    assert not {r.value for r in opinion_workflow.Right} & set(StoryAction.values)


def test_every_choice_has_a_label_of_its_own():
    for choices in (StateChoice, ActionChoice, RoleChoice, Complexity, OrderType, StoryState, StoryAction):
        labels = [str(label) for label in choices.labels]
        assert all(labels) and len(set(labels)) == len(labels), choices


def test_complexities_mirror_grading_and_the_working_days():
    assert set(Complexity.values) == set(grading.COMPLEXITIES)
    assert set(workdays.DEFAULT_WORKING_DAYS_BY_COMPLEXITY) == set(grading.COMPLEXITIES)


def test_the_order_types_the_engines_name_exist():
    types = set(OrderType.values)
    assert workflow.NO_CONTACT_TYPES <= types
    assert sla.ARRIVAL_ORDER_TYPES <= types
