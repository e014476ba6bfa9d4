"""django-q2 entry points of the center link (dotted paths in the schedules)."""

from __future__ import annotations

from . import services


def watch_replies() -> int:
    return services.replies_warn()
