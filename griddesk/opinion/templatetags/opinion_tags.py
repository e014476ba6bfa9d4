"""Template helpers of the opinion app (the nav link in web/base.html)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from griddesk.organisation.access import Actor

from ..selectors import can

register = template.Library()

#: The nav link's label in web/base.html, kept in this app's catalogue.
NAV_LABEL = _("Public opinion")


@register.filter
def can_monitor(actor: Actor | None) -> bool:
    """May this person see the public-opinion board?"""
    return can(actor, "view")
