"""Template helpers of the opinion app (the nav link in web/base.html)."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from griddesk.engines.opinion_workflow import ROLE_ACTIONS
from griddesk.organisation.access import Actor

from ..models import StoryState, Topic
from ..selectors import can

register = template.Library()

#: The nav link's label in web/base.html, kept in this app's catalogue.
NAV_LABEL = _("Public opinion")


@register.filter
def can_monitor(actor: Actor | None) -> bool:
    """May this person see the public-opinion board?"""
    return can(actor, "view")


#: The risk engine's signals by their names.
SIGNAL_LABELS = {
    "negativity": _("Negative sentiment"),
    "topic": _("Topic severity"),
    "reach": _("Reach"),
    "burst": _("Burst of copies"),
    "sensitive": _("Sensitive customer or place"),
    "keywords": _("Risk keywords"),
}

#: Emergency-response events (start / notice / close) by their names.
EMERGENCY_ACTIONS = {
    "start": pgettext_lazy("emergency", "Started"),
    "notice": pgettext_lazy("emergency", "Notice"),
    "close": pgettext_lazy("emergency", "Closed"),
}


@register.filter
def signal_label(code: str) -> str:
    return str(SIGNAL_LABELS.get(code, code))


@register.filter
def signal_evidence(signal: dict[str, Any]) -> str:
    """The evidence in words: "outage × 1.00" → "停电 × 1.00", "sensitive customer" → "敏感客户"."""
    text = str(signal.get("evidence") or "")
    if signal.get("signal") == "topic":
        m = re.fullmatch(r"(\w+) × ([\d.]+)", text)
        if m:
            return f"{dict(Topic.choices).get(m.group(1), m.group(1))} × {m.group(2)}"
    if signal.get("signal") == "sensitive":
        return "、".join(str(_("sensitive customer")) if p == "sensitive customer" else p for p in text.split("、") if p)
    return text


@register.filter
def story_state(code: str) -> str:
    if not code:
        return "—"
    return str(dict(StoryState.choices).get(code, code))


@register.filter
def emergency_action(code: str) -> str:
    return str(EMERGENCY_ACTIONS.get(code, code))


@register.filter
def who(event: Any) -> str:
    """The person behind an event by name (full name, else the recorded username)."""
    user = getattr(event, "actor", None)
    if user is not None:
        return (user.get_full_name() or "").strip() or user.get_username()
    name = getattr(event, "actor_name", "")
    return str(_("system")) if name == "system" else name


@register.filter
def full_name(user: Any) -> str:
    if user is None:
        return ""
    return (user.get_full_name() or "").strip() or user.get_username()


@register.simple_tag
def roles_that_may(action: str) -> str:
    """The roles allowed to take a story action, by name ("who may transfer")."""
    from griddesk.organisation.models import RoleChoice

    labels = dict(RoleChoice.choices)
    return "、".join(str(labels.get(r.value, r.value)) for r, actions in ROLE_ACTIONS.items() if action in actions)
