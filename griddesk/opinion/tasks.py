"""Background work (django-q2): the feed poller, scheduled every 5 minutes by
the data migration; each source is polled when its own interval has passed."""

from __future__ import annotations

from django.utils import timezone

from .feeds import due_sources, poll_source


def poll_feeds() -> dict[str, str]:
    now = timezone.now()
    return {s.name: poll_source(s, now=now).summary() for s in due_sources(now)}
