"""``{% unread_count %}``: the bell's number in the page header (one indexed COUNT)."""

from __future__ import annotations

from typing import Any

from django import template

from griddesk.notifications.selectors import unread_count as count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_count(context: dict[str, Any]) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return count(user.pk)
