"""Template context: the "calendar not confirmed" banner for administrators."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def sla_banner(request: HttpRequest) -> dict[str, Any]:
    """``calendar_banner``: e.g. "2027年节假日安排尚未确认" for administrators while
    open orders have deadlines in a year not yet confirmed; "" otherwise.

    Lazy: the queries run only when a template uses the variable.
    """

    def compute() -> str:
        from griddesk.organisation.access import actor_for
        from griddesk.sla.context import banner_text

        from .clock import provisional_years_in_use

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not actor_for(user).is_admin:
            return ""
        return banner_text(provisional_years_in_use())

    return {"calendar_banner": SimpleLazyObject(compute)}
