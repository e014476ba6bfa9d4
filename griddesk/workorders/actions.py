"""Each lifecycle action of a work order, declared once.

The engine (``griddesk.engines.workflow``) says from which states an action may
run, where it leads and which roles may take it. Everything else the project
needs to know about an action is one ``ActionSpec`` here:

- ``label``: its name (the event log, the buttons, messages), and optionally
  another name for one role;
- ``serializer``: its input (the fields beyond ``action``/``version``/``note``),
  validated the same way for the API and the web forms;
- ``note``: whether the service records the generic note (unused: the form
  leaves it out; required: the form marks it so, the service refuses a blank one);
- ``help``: help texts of its form's fields;
- ``side``: a side action, shown after the others in a quieter style (the
  engine's ``SIDE_ACTIONS`` is the wider "not a next step" set of 待我处理);
- ``service``: the name of its function in ``griddesk.workorders.services``;
  ``adapt`` turns validated data into that function's keywords when they are
  not the fields as they are.

Who reads it: ``services.work_order_act`` (dispatch), the action endpoint
(``POST /api/v1/work-orders/{number}/actions/``: the choices, the per-action
serializer, the description), the order page's action forms and buttons
(``griddesk.web.presenters``), and the event log's labels (``ActionChoice``).
A new action is: the engine's table, one entry here, its service function
(tests/api/test_action_declarations.py checks that nothing else is needed).

This module imports no service and no other serializer module, so that the
models (``ActionChoice``) and the services may use it; the service is named,
and resolved when an action runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from importlib import import_module
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from rest_framework import serializers

from griddesk.common.validation import MAX_CONTENT_CHARS, CleanCharField
from griddesk.engines.workflow import Action, Role

from .models import Complexity, ReturnVisit

# ------------------------------------------------------------------ inputs


# What every action takes: its name, the client's ``version`` (409 when stale)
# and a note; an action's own serializer adds its fields. (A comment, not a
# docstring: the docstring would become the schema's description.)
class ActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[a.value for a in Action])
    version = serializers.IntegerField(required=False, min_value=0)
    note = CleanCharField(max_length=MAX_CONTENT_CHARS, required=False, allow_blank=True, default="")


class GradeSerializer(ActionSerializer):
    grade = serializers.IntegerField(min_value=1, max_value=4)
    complexity = serializers.ChoiceField(choices=Complexity.choices)
    reason = CleanCharField(max_length=2000, required=False, allow_blank=True, default="")


class DispatchSerializer(ActionSerializer):
    departments = serializers.ListField(child=CleanCharField(max_length=64), required=False, max_length=10, default=list)


class AssignStationSerializer(ActionSerializer):
    stations = serializers.ListField(child=CleanCharField(max_length=64), min_length=1, max_length=20)


class StationFindingsSerializer(ActionSerializer):
    findings = CleanCharField(max_length=MAX_CONTENT_CHARS)
    station = CleanCharField(max_length=64, required=False, allow_blank=True, default="")


class ReportSerializer(ActionSerializer):
    findings = CleanCharField(max_length=MAX_CONTENT_CHARS)
    responsibility = CleanCharField(max_length=MAX_CONTENT_CHARS)
    rectification = CleanCharField(max_length=MAX_CONTENT_CHARS)
    company_at_fault = serializers.BooleanField()
    responsible_department = CleanCharField(max_length=64, required=False, allow_blank=True, default="")
    responsible_person = CleanCharField(max_length=100, required=False, allow_blank=True, default="")


class ReturnVisitSerializer(ActionSerializer):
    method = serializers.ChoiceField(choices=ReturnVisit.Method.choices)
    outcome = serializers.ChoiceField(choices=ReturnVisit.Outcome.choices)
    customer_words = CleanCharField(max_length=MAX_CONTENT_CHARS, required=False, allow_blank=True, default="")
    solved = serializers.BooleanField(required=False, allow_null=True, default=None)


class AssessSerializer(ActionSerializer):
    score = serializers.DecimalField(max_digits=6, decimal_places=2, required=False, allow_null=True, default=None)


class ReasonSerializer(ActionSerializer):
    reason = CleanCharField(max_length=2000)


class MergeSerializer(ActionSerializer):
    into = CleanCharField(max_length=32)


class SuspendSerializer(ActionSerializer):
    """挂起: why the clock stops, and the approving manager (username; a manager
    suspending an order approves it themselves)."""

    reason = CleanCharField(max_length=2000)
    approver = CleanCharField(max_length=150, required=False, allow_blank=True, default="")


#: Labels of the input fields on the order page's forms (by field name, shared
#: by the actions that take the field).
FIELD_LABELS: Mapping[str, Promise] = {
    "note": _("Note"),
    "grade": _("Grade"),
    "complexity": _("Complexity"),
    "reason": _("Reason"),
    "departments": _("Lead departments"),
    "stations": _("Power-supply stations"),
    "findings": _("Findings"),
    "station": _("Station"),
    "responsibility": _("Responsibility analysis"),
    "rectification": _("Rectification measures"),
    "company_at_fault": _("The company is at fault"),
    "responsible_department": _("Responsible department"),
    "responsible_person": _("Responsible person"),
    "method": _("Method"),
    "outcome": _("Outcome"),
    "customer_words": _("What the customer said"),
    "solved": _("Problem solved"),
    "score": _("Score"),
    "into": _("Merge into (order number)"),
    "approver": _("Approving manager (user name)"),
}

#: Free-text fields written in a text area rather than one line.
TEXTAREAS: frozenset[str] = frozenset({"reason", "findings", "responsibility", "rectification", "customer_words"})

#: The fields every action's serializer has; the rest are the action's own.
COMMON_FIELDS: tuple[str, ...] = ("action", "version", "note")


# ------------------------------------------------------------------ the declaration


class Note(StrEnum):
    """What the service does with the generic ``note``."""

    UNUSED = "unused"  # not recorded (the action has its own text): the form leaves it out
    OPTIONAL = "optional"
    REQUIRED = "required"  # the service refuses a blank note: the form marks it required


def _no_adapt(data: dict[str, Any]) -> dict[str, Any]:
    return data


@dataclass(frozen=True)
class ActionSpec:
    action: Action
    label: Promise
    service: str
    serializer: type[ActionSerializer] = ActionSerializer
    note: Note = Note.OPTIONAL
    help: Mapping[str, Promise] = field(default_factory=dict)
    side: bool = False
    #: Another label for one role (the button's words for them).
    role_labels: Mapping[Role, Promise] = field(default_factory=dict)
    #: Validated data (note included) → the service's keywords.
    adapt: Callable[[dict[str, Any]], dict[str, Any]] = _no_adapt

    @property
    def inputs(self) -> tuple[str, ...]:
        """The action's own fields (beyond action, version and note)."""
        return tuple(n for n in self.serializer._declared_fields if n not in COMMON_FIELDS)

    @cached_property
    def function(self) -> Callable[..., Any]:
        fn: Callable[..., Any] = getattr(import_module("griddesk.workorders.services"), self.service)
        return fn

    def label_for(self, role: Role | str | None) -> str:
        """The button's words for someone of ``role``."""
        for r, label in self.role_labels.items():
            if r == role:
                return str(label)
        return str(self.label)

    def kwargs(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The service's keywords from validated (or trusted) data: the
        declared inputs present in ``data``, the note when the service takes it;
        other keys are ignored."""
        v = {k: data[k] for k in (*self.inputs, "note") if k in data}
        v["note"] = v.get("note") or ""
        v = self.adapt(v)
        if self.note is Note.UNUSED:
            v.pop("note", None)
        return v

    def run(self, *, order: Any, actor: Any, data: Mapping[str, Any]) -> Any:
        return self.function(order=order, actor=actor, expected_version=data.get("version"), **self.kwargs(data))


def _grade(v: dict[str, Any]) -> dict[str, Any]:
    # The note stands in for the reason when an API client sends only a note.
    return {**v, "reason": v.get("reason") or v.get("note", "")}


def _none_if_blank(*names: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def adapt(v: dict[str, Any]) -> dict[str, Any]:
        return {**v, **{n: v.get(n) or None for n in names}}

    return adapt


def _score(v: dict[str, Any]) -> dict[str, Any]:
    score = v.get("score")
    return {**v, "score": float(score) if score is not None else None}


#: The actions in the engine's order (the API's choices, the event labels).
ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        Action.FORWARD, _("Forward to specialist"), "work_order_forward",
        # The specialist forwards only orders they took in themselves: for them
        # it takes the order over for their own grading.
        role_labels={Role.SERVICE_SPECIALIST: pgettext_lazy("specialist", "Take over for grading")},
    ),
    ActionSpec(
        Action.GRADE, _("Grade"), "work_order_grade", GradeSerializer, note=Note.UNUSED, adapt=_grade,
        help={"reason": _("Required when the grade or complexity differs from the suggestion.")},
    ),
    ActionSpec(
        Action.DISPATCH, _("Dispatch"), "work_order_dispatch", DispatchSerializer, adapt=_none_if_blank("departments"),
        help={"departments": _("Leave all unticked to route by the rules for the grade.")},
    ),
    ActionSpec(Action.ACCEPT, _("Accept"), "work_order_accept"),
    ActionSpec(Action.ASSIGN_STATION, _("Send to power-supply station"), "work_order_assign_station", AssignStationSerializer),
    ActionSpec(
        Action.STATION_FINDINGS, _("Station findings"), "work_order_station_findings", StationFindingsSerializer,
        note=Note.UNUSED, adapt=_none_if_blank("station"), help={"station": _("Leave empty for the first open task.")},
    ),
    ActionSpec(
        Action.SUBMIT_REPORT, _("Submit report"), "work_order_submit_report", ReportSerializer, note=Note.UNUSED,
        adapt=_none_if_blank("responsible_department"),
    ),
    ActionSpec(Action.CONFIRM_REPORT, _("Confirm report and feed back"), "work_order_confirm_report"),
    ActionSpec(
        Action.RETURN_REPORT, _("Return report for rework"), "work_order_return_report", note=Note.REQUIRED, side=True,
        help={"note": _("Say what the report lacks.")},
    ),
    ActionSpec(Action.RETURN_VISIT, _("Return visit"), "work_order_return_visit", ReturnVisitSerializer, note=Note.UNUSED),
    ActionSpec(Action.ASSESS, _("Assess"), "work_order_assess", AssessSerializer, adapt=_score),
    ActionSpec(Action.ARCHIVE, _("Archive"), "work_order_archive"),
    ActionSpec(Action.REOPEN, _("Reopen"), "work_order_reopen", ReasonSerializer, note=Note.UNUSED, side=True),
    ActionSpec(Action.INVALIDATE, _("Invalidate"), "work_order_invalidate", ReasonSerializer, note=Note.UNUSED, side=True),
    ActionSpec(Action.MERGE, _("Merge into another order"), "work_order_merge", MergeSerializer, side=True),
    ActionSpec(Action.URGE, _("Urge"), "work_order_urge", side=True),
    ActionSpec(
        Action.SUSPEND, _("Suspend (stop the clock)"), "work_order_suspend", SuspendSerializer, side=True,
        # The reason is the suspension's note (the service records it as such).
        note=Note.UNUSED,
        help={
            "reason": _("E.g. waiting for the customer or a third party. The clock stops until the order is resumed."),
            "approver": _("A manager overseeing this order; leave empty if you are that manager."),
        },
    ),
    ActionSpec(Action.RESUME, _("Resume"), "work_order_resume"),
)

BY_ACTION: Mapping[str, ActionSpec] = {s.action.value: s for s in ACTIONS}

#: action → its serializer, for the actions that take more than action/version/note.
ACTION_SERIALIZERS: Mapping[str, type[ActionSerializer]] = {
    s.action.value: s.serializer for s in ACTIONS if s.serializer is not ActionSerializer
}


def spec(action: str) -> ActionSpec:
    """The declaration of ``action`` (KeyError for an unknown one)."""
    return BY_ACTION[action]


def serializer_for(action: str) -> type[ActionSerializer]:
    s = BY_ACTION.get(action)
    return s.serializer if s is not None else ActionSerializer


def api_description() -> str:
    """The action endpoint's description: each action's own fields."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for s in ACTIONS:
        if s.inputs:
            groups.setdefault(s.inputs, []).append(s.action.value)
    parts = "; ".join(f"{'/'.join(names)}: {', '.join(inputs)}" for inputs, names in groups.items())
    return f"Run one lifecycle action. Extra fields depend on the action ({parts})."


# ------------------------------------------------------------------ the event log's labels

#: Facts in an order's event log that no person's action writes (the intake,
#: the clock's marks), with their labels. ``create`` is listed first, the clock's after the actions.
INTAKE_FACT = ("create", _("Take in"))
CLOCK_FACTS: tuple[tuple[str, Promise], ...] = (
    ("overdue", _("Marked overdue")),
    ("deadline", _("Deadline recomputed")),
    ("stage_overdue", _("Stage limit passed")),
)

ActionChoice: Any = models.TextChoices(  # type: ignore[call-overload]
    "ActionChoice",
    [
        (INTAKE_FACT[0].upper(), INTAKE_FACT),
        *((s.action.name, (s.action.value, s.label)) for s in ACTIONS),
        *((value.upper(), (value, label)) for value, label in CLOCK_FACTS),
    ],
)
ActionChoice.__module__ = __name__
ActionChoice.__doc__ = "What an order event records: an action, the intake or one of the clock's marks."
