"""Small presentation helpers for the GridDesk templates."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from griddesk.engines import workflow
from griddesk.organisation.access import Actor, actor_for
from griddesk.organisation.models import Department, RoleChoice
from griddesk.workorders import selectors
from griddesk.workorders.models import Complexity, ReturnVisit, StateChoice, WorkOrder

register = template.Library()

#: Less than this much time left turns the badge amber (red once overdue).
AMBER_WITHIN_SECONDS = 24 * 3600


@register.simple_tag(takes_context=True)
def get_actor(context: dict[str, Any]) -> Actor | None:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return None
    return actor_for(request.user)


@register.filter
def can_intake(actor: Actor | None) -> bool:
    return actor is not None and actor.role in workflow.INTAKE_ROLES


@register.filter
def role_label(actor: Actor | None) -> str:
    if actor is None or actor.role is None:
        return _("No role")
    return str(RoleChoice(actor.role.value).label)


def duration(seconds: int) -> str:
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def deadline_status(order: WorkOrder) -> dict[str, Any]:
    left = selectors.time_left_seconds(order)
    if order.state == "suspended":
        # 挂起: the clock is stopped; the deadline is extended on resume.
        return {"level": "suspended", "text": _("Suspended"), "left": None}
    if left is None:
        return {"level": "none", "text": "—" if order.deadline_at is None else _("Clock stopped"), "left": None}
    if left < 0:
        return {"level": "red", "text": _("Overdue by %(duration)s") % {"duration": duration(left)}, "left": left}
    level = "amber" if left < AMBER_WITHIN_SECONDS else "green"
    return {"level": level, "text": _("%(duration)s left") % {"duration": duration(left)}, "left": left}


@register.inclusion_tag("web/_deadline_badge.html")
def deadline_badge(order: WorkOrder) -> dict[str, Any]:
    return {"order": order, "status": deadline_status(order)}


@register.filter
def category_label(order_or_category: Any) -> str:
    category = getattr(order_or_category, "category", order_or_category)
    if category is None or not hasattr(category, "code"):
        return "—"
    english = (get_language() or "").startswith("en")
    name = category.name_en if english and category.name_en else category.name
    parent = category.parent if category.parent_id else None
    if parent is not None:
        pname = parent.name_en if english and parent.name_en else parent.name
        return f"{pname} / {name}"
    return name


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def person(user: Any) -> str:
    if user is None:
        return ""
    full = user.get_full_name() if hasattr(user, "get_full_name") else getattr(user, "first_name", "")
    return str(full.strip() or user.get_username())


@register.filter
def phone_link(customer: Any) -> str:
    """The customer's phone: a tap-to-call ``tel:`` link for a role that sees
    the number; masked (or missing) it is plain text — calling 138****1234 is no call."""
    def get(key: str) -> Any:
        return customer.get(key) if isinstance(customer, dict) else getattr(customer, key, None)

    phone = str(get("phone") or "") if customer else ""
    if not phone:
        return "—"
    dial = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    if get("masked") or "*" in phone or not dial:
        return conditional_escape(phone)
    return format_html('<a href="tel:{}" class="tel">{}</a>', dial, phone)


@register.filter
def state_label(code: str) -> str:
    if not code:
        return "—"
    try:
        return str(StateChoice(code).label)
    except ValueError:
        return code


def _yes_no(value: Any) -> str:
    if value is None:
        return _("unknown")
    return _("yes") if value else _("no")


_VALUE_LABELS: dict[str, Any] = {
    "complexity": Complexity,
    "outcome": ReturnVisit.Outcome,
    "method": ReturnVisit.Method,
}


@register.filter
def event_details(event: Any) -> list[tuple[str, str]]:
    """The parts of an event's data worth showing, as (label, text)."""
    from griddesk.web.presenters import EVENT_DATA_LABELS

    data = event.data or {}
    codes = [c for key in ("lead_departments", "stations") for c in data.get(key) or []]
    if data.get("station"):
        codes.append(data["station"])
    names = dict(Department.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    out: list[tuple[str, str]] = []
    for key, label in EVENT_DATA_LABELS.items():
        if key not in data or data[key] in (None, "", []):
            continue
        value = data[key]
        if key in ("lead_departments", "stations"):
            text = "、".join(names.get(c, c) for c in value)
        elif key == "station":
            text = names.get(value, value)
        elif key == "routed_by":
            text = _("the routing rules") if value == "rules" else _("hand-picked")
        elif key in _VALUE_LABELS:
            try:
                text = str(_VALUE_LABELS[key](value).label)
            except ValueError:
                text = str(value)
        elif isinstance(value, bool):
            text = _yes_no(value)
        else:
            text = str(value)
        out.append((str(label), text))
    return out


@register.filter
def yes_no(value: Any) -> str:
    return _yes_no(value)
