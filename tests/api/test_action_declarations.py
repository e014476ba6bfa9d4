"""Each lifecycle action is declared once (griddesk.workorders.actions): a new
action is the engine's table, one declaration and its service function.

The first tests check that the declarations and the engine agree and that each
declaration's service takes what its serializer validates; the last one swaps
a declaration and sees the API, the dispatch (``work_order_act``), the order
page and its message follow it — nothing else has to change for an action."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework import serializers

from griddesk.engines import workflow
from griddesk.engines.workflow import Action
from griddesk.workorders import actions, services
from griddesk.workorders.actions import ACTIONS, BY_ACTION, ActionSerializer, ActionSpec, Note
from griddesk.workorders.models import ActionChoice, WorkOrderEvent, event_action_choices

SENTINEL = object()


def _sample(f: serializers.Field) -> Any:
    """A valid raw value for an action's input field."""
    if isinstance(f, serializers.ListField):
        return ["x"]
    if isinstance(f, serializers.ChoiceField):
        return next(iter(f.choices))
    if isinstance(f, serializers.BooleanField):
        return True
    if isinstance(f, serializers.IntegerField):
        return f.min_value or 1
    if isinstance(f, serializers.DecimalField):
        return "1.50"
    return "x"


def test_every_engine_action_is_declared_once_in_the_engines_order():
    assert [s.action for s in ACTIONS] == list(Action)
    assert set(BY_ACTION) == {a.value for a in Action}
    assert all(BY_ACTION[a.value].action is a for a in Action)


def test_the_event_labels_are_the_declared_labels():
    declared = {s.action.value: str(s.label) for s in ACTIONS}
    assert {v: str(label) for v, label in ActionChoice.choices if v in declared} == declared
    # WorkOrderEvent.action reads them through a callable: a new action needs no migration.
    field = WorkOrderEvent._meta.get_field("action")
    assert field.deconstruct()[3]["choices"] is event_action_choices
    assert list(field.choices) == list(ActionChoice.choices)


@pytest.mark.parametrize("spec", ACTIONS, ids=lambda s: s.action.value)
def test_each_declared_service_takes_what_its_serializer_validates(spec: ActionSpec):
    fn = getattr(services, spec.service)
    assert callable(fn) and spec.function is fn
    assert issubclass(spec.serializer, ActionSerializer)
    params = inspect.signature(fn).parameters
    # every input the serializer declares reaches the service ...
    fields = spec.serializer().fields
    raw = {"action": spec.action.value, "note": "n", **{name: _sample(fields[name]) for name in spec.inputs}}
    validated = spec.serializer(data=raw)
    assert validated.is_valid(), validated.errors
    kwargs = spec.kwargs(dict(validated.validated_data))
    assert set(spec.inputs) <= set(kwargs)
    inspect.signature(fn).bind(order=SENTINEL, actor=SENTINEL, expected_version=None, **kwargs)
    # ... the note only when the service records it ...
    assert ("note" in params) is (spec.note is not Note.UNUSED)
    if spec.note is Note.REQUIRED:
        assert params["note"].default is inspect.Parameter.empty
    # ... and every keyword the service needs is something the serializer requires.
    required = {n for n, f in spec.serializer().fields.items() if f.required}
    for name, p in params.items():
        if p.default is inspect.Parameter.empty and name not in ("order", "actor"):
            assert name in required or (name == "note" and spec.note is Note.REQUIRED), (spec.action, name)
    # the form's help texts are for fields the action has
    assert set(spec.help) <= {*spec.inputs, "note"}


def test_declared_side_actions_are_no_next_step_for_the_todo_list():
    """The page's quieter side actions are among the engine's "not a next step"."""
    assert {s.action for s in ACTIONS if s.side} <= workflow.SIDE_ACTIONS


def test_the_api_takes_the_declared_choices_and_serializers():
    assert list(ActionSerializer().fields["action"].choices) == [s.action.value for s in ACTIONS]
    for s in ACTIONS:
        assert actions.serializer_for(s.action.value) is s.serializer
        for name in s.inputs:
            assert name in actions.api_description()


class _UrgeLevelSerializer(ActionSerializer):
    level = serializers.IntegerField(min_value=1, max_value=3, label="Urgency (test)")


def test_a_declaration_is_all_the_api_the_dispatch_and_the_page_need(monkeypatch, make_order, client_for):
    """Swap the urge's declaration for one with another label, an input of its
    own, help and the side flag off, and another service: the API validates the
    new input, ``work_order_act`` calls the new service with it, the order page
    shows the new form."""
    calls: list[dict[str, Any]] = []

    def work_order_urge_with_level(*, order: Any, actor: Any, level: int, note: str = "", expected_version: Any = None):
        calls.append({"level": level, "note": note, "expected_version": expected_version})
        return services.work_order_urge(order=order, actor=actor, note=f"{level}: {note}", expected_version=expected_version)

    monkeypatch.setattr(services, "work_order_urge_with_level", work_order_urge_with_level, raising=False)
    spec = ActionSpec(
        Action.URGE, "Urge hard (test)", "work_order_urge_with_level", _UrgeLevelSerializer,
        help={"level": "1 to 3 (test)"}, side=False,
    )
    monkeypatch.setitem(BY_ACTION, "urge", spec)  # type: ignore[index]

    order = make_order()
    n, version = order["number"], order["version"]
    api = client_for("agent")
    r = api.post(f"/api/v1/work-orders/{n}/actions/", {"action": "urge"}, format="json")
    assert r.status_code == 400 and r.json()["errors"]["level"][0]["code"] == "required", r.content
    r = api.post(f"/api/v1/work-orders/{n}/actions/", {"action": "urge", "level": 2, "note": "快", "version": version}, format="json")
    assert r.status_code == 200, r.content
    assert calls == [{"level": 2, "note": "快", "expected_version": version}]
    assert r.json()["urge_count"] == 1

    web = Client()
    web.force_login(get_user_model().objects.get(username="agent"))
    body = web.get(f"/orders/{n}/").content.decode()
    start = body.index('id="action-urge"')
    form = body[body.rindex("<form", 0, start) : body.index("</form>", start)]
    assert "Urge hard (test)" in form and "1 to 3 (test)" in form
    assert re.search(r'<label for="urge-level">Urgency \(test\) <span class="req">', form)
    assert 'class="action-form"' in form and 'class="primary"' in form  # not a side action any more
    r = web.post(f"/orders/{n}/actions/", {"action": "urge", "level": "3"}, follow=True)
    assert r.status_code == 200 and calls[-1]["level"] == 3
    assert "Urge hard (test)" in r.content.decode()  # the message names the declared label
