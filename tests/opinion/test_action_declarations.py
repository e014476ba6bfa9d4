"""Each story action is declared once (griddesk.opinion.actions), the same shape
as the work orders': a new action is the engine's table
(griddesk.engines.opinion_workflow), one declaration and its service."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from django.template.loader import get_template
from rest_framework import serializers

from griddesk.engines import opinion_workflow
from griddesk.engines.opinion_workflow import StoryAction
from griddesk.opinion import actions, services
from griddesk.opinion.actions import ACTIONS, BY_ACTION, GENERIC_FORM, StoryActionSpec
from griddesk.opinion.models import StoryEvent, story_event_action_choices

from .conftest import item_payload


def test_every_engine_action_is_declared_once_in_the_engines_order() -> None:
    assert [s.action for s in ACTIONS] == list(opinion_workflow.TRANSITIONS)
    assert set(BY_ACTION) == {a.value for a in StoryAction}


@pytest.mark.parametrize("spec", ACTIONS, ids=lambda s: s.action.value)
def test_each_declared_service_takes_what_its_serializer_validates(spec: StoryActionSpec) -> None:
    fn = getattr(services, spec.service)
    assert spec.function is fn
    params = inspect.signature(fn).parameters
    inspect.signature(fn).bind(story=1, actor=None, expected_version=None, **{n: None for n in spec.inputs})
    required = {n for n, f in spec.serializer().fields.items() if f.required}
    for name, p in params.items():
        if p.default is inspect.Parameter.empty and name not in ("story", "actor"):
            assert name in required, (spec.action, name)
    get_template(spec.template)  # its form exists


def test_event_labels_come_from_the_declarations_without_migrations() -> None:
    field = StoryEvent._meta.get_field("action")
    assert field.deconstruct()[3]["choices"] is story_event_action_choices
    labels = dict(story_event_action_choices())
    assert all(labels[s.action.value] == s.label for s in ACTIONS)


class _EscalateSerializer(serializers.Serializer):
    urgent = serializers.BooleanField(label="Urgent (test)")
    why = serializers.CharField(max_length=200, label="Why (test)")


def test_a_declaration_is_all_the_api_the_dispatch_and_the_page_need(
    monkeypatch: Any, post_items: Any, client_for: Any, web: Any
) -> None:
    """Declare the transfer anew — another label, inputs of its own, the generic
    form, another service: the API validates the inputs, ``story_act`` calls
    the service with them, the story page shows the generic form and its post
    reaches the service too."""
    calls: list[dict[str, Any]] = []

    def story_escalate(*, story: int, actor: Any, urgent: bool, why: str, expected_version: Any = None) -> Any:
        calls.append({"urgent": urgent, "why": why, "expected_version": expected_version})
        return services.story_transfer(story=story, actor=actor, note=why, expected_version=expected_version)

    monkeypatch.setattr(services, "story_escalate", story_escalate, raising=False)
    monkeypatch.setitem(
        BY_ACTION, "transfer",  # type: ignore[arg-type]
        StoryActionSpec(StoryAction.TRANSFER, "Escalate (test)", "story_escalate", _EscalateSerializer, GENERIC_FORM),
    )
    sid = int(post_items("specialist", item_payload(text="东湖县城关镇停电一整天，要去12345投诉"), expect=201).json()["story"])
    api = client_for("specialist")
    r = api.post(f"/api/v1/opinion/stories/{sid}/actions/",
                 {"action": "judge", "level": "high", "may_cause_impact": True, "needs_transfer": True}, format="json")
    assert r.status_code == 200, r.content
    page = web("specialist").get(f"/opinion/stories/{sid}/").content.decode()
    start = page.index('id="form-transfer"')
    form = page[start : page.index("</form>", start)]
    assert "Escalate (test)" in form and 'type="checkbox" name="urgent"' in form and "Why (test)" in form
    r = api.post(f"/api/v1/opinion/stories/{sid}/actions/", {"action": "transfer"}, format="json")
    assert r.status_code == 400 and set(r.json()["errors"]) == {"urgent", "why"}, r.content
    # the web form: an unticked checkbox is not posted and reads as False
    r = web("specialist").post(f"/opinion/stories/{sid}/act/", {"action": "transfer", "why": "上级关注"})
    assert r.status_code == 302
    assert calls == [{"urgent": False, "why": "上级关注", "expected_version": None}]
    assert api.get(f"/api/v1/opinion/stories/{sid}/").json()["state"] == "transferred"
    assert "transfer" in actions.api_description()
