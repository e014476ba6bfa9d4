"""Turning orders into what the pages show. No decisions live here: masking is
the API serializer's, permissions are ``selectors.allowed_actions``, the action
forms' fields, labels, help and notes are the actions' declarations
(``griddesk.workorders.actions``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from griddesk.engines import workflow
from griddesk.engines.workflow import Action, Role
from griddesk.organisation.access import Actor
from griddesk.organisation.models import COMPANY_TYPES, DepartmentType
from griddesk.organisation.selectors import department_subtree, departments_of_type_in
from griddesk.workorders import actions
from griddesk.workorders.actions import FIELD_LABELS, TEXTAREAS, Note
from griddesk.workorders.models import Category, StationTask, WorkOrder
from griddesk.workorders.serializers import render_orders

# ------------------------------------------------------------------ personal data


def order_data(request_user: Any, actor: Actor, order: WorkOrder, *, via: str = "web") -> dict[str, Any]:
    """The order as the API would show it to ``actor``; unmasked views are logged."""
    return dict(render_orders(request_user, actor, order, detail=True, via=via))


# ------------------------------------------------------------------ the queue

#: Closed states, left out of the queue unless asked for.
TERMINAL = [s.value for s in workflow.TERMINAL_STATES]
ACTIVE_STATES = [s.value for s in workflow.State if s not in workflow.TERMINAL_STATES]


# ------------------------------------------------------------------ details


def order_parts(order: WorkOrder) -> dict[str, Any]:
    """Everything shown around the order on its page."""
    return {
        "leads": list(order.lead_assignments.select_related("department").order_by("-primary", "pk")),
        "tasks": list(order.station_tasks.select_related("station", "requested_by", "findings_by").order_by("pk")),
        "reports": list(
            order.reports.select_related("responsible_department", "submitted_by", "confirmed_by").order_by("pk")
        ),
        "visits": list(order.return_visits.select_related("visited_by").order_by("pk")),
        "assessments": list(order.assessments.select_related("assessed_by").order_by("pk")),
    }


#: Event data worth showing in the timeline, with labels.
EVENT_DATA_LABELS = {
    "grade": _("Grade"),
    "complexity": _("Complexity"),
    "override": _("Differs from suggestion"),
    "lead_departments": _("Lead departments"),
    "routed_by": _("Routed by"),
    "stations": _("Power-supply stations"),
    "station": _("Station"),
    "company_at_fault": _("Company at fault"),
    "outcome": _("Outcome"),
    "method": _("Method"),
    "on_time": _("On time"),
    "into": _("Merged into"),
    "urge_count": _("Times urged"),
    "reopened": _("Reopened"),
}


def intake_categories() -> list[Category]:
    """Second-level business categories for the intake form, grouped by parent."""
    rows = Category.objects.filter(active=True, parent__isnull=False).select_related("parent")
    return list(rows.order_by("order_type", "parent__sort", "sort", "code"))


def intake_areas(actor: Actor) -> list[Any]:
    """Companies (city and county) an order can be filed under when there is
    no customer with a supply station: the intake user's company subtree."""
    from griddesk.organisation.models import Department

    qs = Department.objects.filter(type__in=COMPANY_TYPES, active=True)
    if not actor.is_admin:
        if actor.company is None:
            return []
        qs = qs.filter(path__startswith=actor.company.path)
    return list(qs.order_by("path"))


# ------------------------------------------------------------------ action forms

_LEAD_EXCLUDED_TYPES = [*COMPANY_TYPES, DepartmentType.POWER_STATION, DepartmentType.STATION_95598]


@dataclass
class FieldSpec:
    name: str
    label: str
    widget: str  # text, textarea, select, checkboxes, checkbox, nullbool, number
    required: bool
    choices: list[tuple[str, str]] = field(default_factory=list)
    value: Any = ""
    help: str = ""
    errors: list[str] = field(default_factory=list)
    step: str = ""

    @property
    def values(self) -> list[str]:
        return [str(v) for v in self.value] if isinstance(self.value, list | tuple) else [str(self.value)]


@dataclass
class ActionForm:
    action: str
    label: str
    fields: list[FieldSpec]
    side: bool
    errors: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(f.errors for f in self.fields)


def _choices(action: str, name: str, order: WorkOrder, actor: Actor) -> list[tuple[str, str]] | None:
    if name in ("departments", "responsible_department"):
        depts = department_subtree(order.company).filter(active=True).exclude(type__in=_LEAD_EXCLUDED_TYPES)
        return [(d.code, d.name) for d in depts]
    if name == "stations":
        return [(d.code, d.name) for d in departments_of_type_in(order.company, DepartmentType.POWER_STATION)]
    if action == Action.STATION_FINDINGS and name == "station":
        tasks = order.station_tasks.filter(state=StationTask.TaskState.OPEN).select_related("station").order_by("pk")
        return [(t.station.code, t.station.name) for t in tasks]
    return None


def _initial(action: str, name: str, order: WorkOrder) -> Any:
    if action == Action.GRADE and name == "grade":
        return order.grade or order.suggested_grade or ""
    if action == Action.GRADE and name == "complexity":
        return order.suggested_complexity or order.complexity
    if action == Action.SUBMIT_REPORT and name == "findings":
        return station_findings_text(order)
    return [] if name in ("departments", "stations") else ""


def station_findings_text(order: WorkOrder) -> str:
    """The stations' returned findings, one paragraph per station: where the
    report form's findings start (the lead department edits them)."""
    tasks = order.station_tasks.filter(state=StationTask.TaskState.DONE).exclude(findings="").select_related("station")
    return "\n\n".join(f"{t.station.name}：{t.findings}" for t in tasks.order_by("pk"))


def _field_spec(action: str, name: str, f: serializers.Field, order: WorkOrder, actor: Actor) -> FieldSpec | None:
    declared = actions.spec(action)
    spec = FieldSpec(
        name=name,
        label=str(FIELD_LABELS.get(name) or f.label or name),
        widget="text",
        required=bool(f.required) or (name == "note" and declared.note is Note.REQUIRED),
        help=str(declared.help.get(name, "")),
        value=_initial(action, name, order),
    )
    provided = _choices(action, name, order, actor)
    if isinstance(f, serializers.ListField):
        spec.widget = "checkboxes"
        spec.choices = provided or []
    elif isinstance(f, serializers.ChoiceField):
        spec.widget = "select"
        spec.choices = [(str(k), str(v)) for k, v in f.choices.items()]
    elif isinstance(f, serializers.BooleanField):
        spec.widget = "nullbool" if f.allow_null else "checkbox"
    elif isinstance(f, serializers.IntegerField) and f.min_value is not None and f.max_value is not None:
        spec.widget = "select"
        spec.choices = [(str(i), str(i)) for i in range(int(f.min_value), int(f.max_value) + 1)]
    elif isinstance(f, serializers.DecimalField):
        spec.widget = "number"
        spec.step = "0.01"
    elif provided is not None:
        if action == Action.STATION_FINDINGS and (actor.role == Role.STATION_INVESTIGATOR or len(provided) < 2):
            return None  # the station is implied
        spec.widget = "select"
        spec.choices = [("", "—"), *provided]
    elif name in TEXTAREAS or (name == "note" and spec.required):
        spec.widget = "textarea"
    return spec


def action_label(action: str, actor: Actor) -> str:
    """The button's words for ``actor`` (an action may have other words for one
    role, e.g. the specialist's forward takes over an order for their own grading)."""
    return actions.spec(action).label_for(actor.role)


def action_forms(
    actor: Actor,
    order: WorkOrder,
    allowed: list[str],
    *,
    posted: tuple[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> list[ActionForm]:
    """One small form per action ``actor`` may take now, with the fields the
    action's declaration (``griddesk.workorders.actions``) lists: its serializer's
    fields, the note unless the service does not record it. ``posted``/``errors``
    refill the form that failed."""
    forms: list[ActionForm] = []
    for action in allowed:
        declared = actions.spec(action)
        fields: list[FieldSpec] = []
        for name, f in declared.serializer().fields.items():
            if name in ("action", "version") or (name == "note" and declared.note is Note.UNUSED):
                continue
            spec = _field_spec(action, name, f, order, actor)
            if spec is None:
                continue
            if posted and posted[0] == action:
                data = posted[1]
                if spec.widget == "checkboxes":
                    spec.value = data.getlist(name)
                elif spec.widget == "checkbox":
                    spec.value = "true" if data.get(name) else ""
                else:
                    spec.value = data.get(name, "")
                spec.errors = list((errors or {}).get(name, []))
            fields.append(spec)
        form = ActionForm(action=action, label=action_label(action, actor), fields=fields, side=declared.side)
        if posted and posted[0] == action:
            known = {f.name for f in fields}
            form.errors = [m for k, msgs in (errors or {}).items() if k not in known for m in msgs]
        forms.append(form)
    forms.sort(key=lambda f: f.side)
    return forms


def error_messages(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF ``serializer.errors`` → {"field" or "customer.field": [message, …]}."""
    out: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            for k, v in error_messages(value, f"{prefix}.{key}" if prefix else str(key)).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(errors, list):
        for item in errors:
            for k, v in error_messages(item, prefix).items():
                out.setdefault(k, []).extend(v)
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(errors))
    return out


def stage_label(stage: str) -> str:
    """The running stage clock's name (forwarding, grading, fault-repair arrival), or ""."""
    from griddesk.sla.models import Stage

    return str(Stage(stage).label) if stage in Stage.values else ""


_YES_NO = {"yes": _("yes"), "no": _("no")}
_FLAG_LABELS = {
    "sensitive_customer": _("Sensitive customer"),
    "escalated": _("Beyond level (越级)"),
    "repeat": _("Repeat complaint"),
}
_FIXED_REASONS = {
    "any order": _("applies to every order"),
    "no rule matched": _("no grading rule matched"),
    "important: repeat complaint": _("important: a repeat complaint"),
    "important: sensitive customer": _("important: a sensitive customer"),
}


def suggestion_reasons(codes: list[str] | None) -> list[str]:
    """The grading engine's stored reasons (``[rule code, "kind: value", ...]``)
    in words: the rule by its description, order types, channels and
    categories by their names."""
    from django.utils.translation import get_language, gettext

    from griddesk.workorders.models import Channel, GradingRule, OrderType

    if not codes:
        return []
    rule_code, *reasons = codes
    english = (get_language() or "").startswith("en")
    cat_codes = {r.split(": ", 1)[1].split(" (")[0] for r in reasons if r.startswith("category: ")}
    categories = {c.code: (c.name_en if english and c.name_en else c.name) for c in Category.objects.filter(code__in=cat_codes)}
    out: list[str] = []
    if rule_code == "default":
        out.append(gettext("default grade"))
    else:
        rule = GradingRule.objects.filter(code=rule_code).values_list("description", flat=True).first()
        out.append(gettext("rule: %(rule)s") % {"rule": rule or rule_code})
    for reason in reasons:
        if reason in _FIXED_REASONS:
            out.append(str(_FIXED_REASONS[reason]))
            continue
        kind, _sep, value = reason.partition(": ")
        if kind == "order_type":
            out.append(gettext("type: %(value)s") % {"value": dict(OrderType.choices).get(value, value)})
        elif kind == "channel":
            out.append(gettext("channel: %(value)s") % {"value": dict(Channel.choices).get(value, value)})
        elif kind == "category":
            code = value.split(" (")[0]
            out.append(gettext("category: %(value)s") % {"value": categories.get(code, code)})
        elif kind == "keyword":
            out.append(gettext("keyword “%(value)s”") % {"value": value})
        elif kind in _FLAG_LABELS:
            out.append(f"{_FLAG_LABELS[kind]}: {_YES_NO.get(value, value)}")
        else:
            out.append(reason)
    return out


def approximate_count(n: int) -> str:
    """An estimated count in words, to three significant figures: "about
    132,000 orders", in Chinese by ten thousands or hundred millions
    (约 13.2 万张工单, 约 1.2 亿张工单)."""
    from django.utils.translation import get_language, gettext

    shown = round(n, -max(0, len(str(abs(n))) - 3)) if n else 0
    chinese = (get_language() or "").lower().startswith("zh")
    if chinese and shown >= 100_000_000:
        figure = f"{shown / 100_000_000:g} 亿"
    elif chinese and shown >= 10_000:
        figure = f"{shown / 10_000:g} 万"
    else:
        figure = f"{shown:,}"
    return gettext("about %(n)s orders") % {"n": figure}
