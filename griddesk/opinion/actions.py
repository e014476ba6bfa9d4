"""Each action on a public-opinion story, declared once — the same shape as the
work orders' (``griddesk.workorders.actions``).

The engine (``griddesk.engines.opinion_workflow``) says from which states an
action may run, where it leads and which roles may take it. Here, per action:
its label, its input serializer, the name of its service function in
``griddesk.opinion.services`` and the form the story page shows for it (a
template of its own, or the generic form built from the serializer's fields).

Who reads it: ``services.story_act`` (dispatch), the story action endpoint
(``POST /api/v1/opinion/stories/{id}/actions/``: choices, serializer,
description), the story page (``views.story_detail`` / ``story_act``) and the
event log's labels (``StoryAction``). A new action is the engine's table, one
entry here and its service function.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import import_module
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from griddesk.engines.opinion_workflow import StoryAction as Action

from .serializers import NoteSerializer

# ------------------------------------------------------------------ inputs


class JudgeSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=["low", "medium", "high", "critical"])
    may_cause_impact = serializers.BooleanField()
    needs_transfer = serializers.BooleanField()
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ResultSerializer(serializers.Serializer):
    result = serializers.CharField(max_length=5000)


class EmergencySerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=["1", "2", "3", "4"])
    leader = serializers.CharField(max_length=100)
    members = serializers.CharField(max_length=2000)
    actions = serializers.CharField(max_length=5000)
    notices = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


# ------------------------------------------------------------------ the declaration

#: The form the story page shows for an action without a template of its own:
#: one input per serializer field (see the template).
GENERIC_FORM = "opinion/actions/_generic.html"


@dataclass(frozen=True)
class StoryActionSpec:
    action: Action
    label: Promise
    service: str
    serializer: type[serializers.Serializer] = NoteSerializer
    #: The story page's form for it.
    template: str = GENERIC_FORM

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(self.serializer._declared_fields)

    @cached_property
    def function(self) -> Any:
        return getattr(import_module("griddesk.opinion.services"), self.service)

    def form_fields(self) -> list[dict[str, Any]]:
        """The generic form's inputs: one per serializer field (a checkbox, a
        choice, or a text area), labelled by the field's label."""
        out = []
        for name, f in self.serializer().fields.items():
            widget, choices = "textarea", []
            if isinstance(f, serializers.BooleanField):
                widget = "checkbox"
            elif isinstance(f, serializers.ChoiceField):
                widget, choices = "select", [(str(k), str(v)) for k, v in f.choices.items()]
            out.append({"name": name, "label": f.label or name, "widget": widget, "required": f.required,
                        "choices": choices})
        return out

    def kwargs(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The service's keywords: the declared inputs present in ``data``."""
        return {k: data[k] for k in self.inputs if k in data}

    def run(self, *, story: int, actor: Any, data: Mapping[str, Any]) -> Any:
        return self.function(story=story, actor=actor, expected_version=data.get("version"), **self.kwargs(data))


#: In the engine's order (the order the story page shows the forms in).
ACTIONS: tuple[StoryActionSpec, ...] = (
    StoryActionSpec(Action.JUDGE, _("Judge"), "story_judge", JudgeSerializer, "opinion/actions/judge.html"),
    StoryActionSpec(Action.TRANSFER, _("Transfer to a work order"), "story_transfer", NoteSerializer,
                    "opinion/actions/transfer.html"),
    StoryActionSpec(Action.DISMISS, _("Dismiss"), "story_dismiss", ReasonSerializer, "opinion/actions/dismiss.html"),
    StoryActionSpec(Action.FEED_BACK, _("Feed back the result"), "story_feed_back", ResultSerializer,
                    "opinion/actions/result.html"),
    StoryActionSpec(Action.ARCHIVE, _("Archive"), "story_archive", ResultSerializer, "opinion/actions/result.html"),
    StoryActionSpec(Action.EMERGENCY, _("Start the service emergency plan"), "emergency_start", EmergencySerializer,
                    "opinion/actions/emergency.html"),
)

BY_ACTION: Mapping[str, StoryActionSpec] = {s.action.value: s for s in ACTIONS}


def spec(action: str) -> StoryActionSpec | None:
    return BY_ACTION.get(action)


def api_description() -> str:
    return "; ".join(f"{s.action.value}: {', '.join(s.inputs)}" for s in ACTIONS) + "."


# ------------------------------------------------------------------ the event log's labels

#: Facts in a story's event log that no action writes: first seen, re-scored.
CREATE_FACT = ("create", _("First seen"))
RESCORE_FACT = ("rescore", _("Risk re-evaluated"))

StoryAction: Any = models.TextChoices(  # type: ignore[call-overload]
    "StoryAction",
    [
        (CREATE_FACT[0].upper(), CREATE_FACT),
        *((s.action.name, (s.action.value, s.label)) for s in ACTIONS),
        (RESCORE_FACT[0].upper(), RESCORE_FACT),
    ],
)
StoryAction.__module__ = __name__
StoryAction.__doc__ = "What a story event records: an action, the first sighting or a re-scoring."
