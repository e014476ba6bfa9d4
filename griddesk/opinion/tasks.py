"""Background work (django-q2), scheduled by data migrations:

- ``poll_feeds`` every 5 minutes (0002): each source is polled when its own
  interval (or its back-off after failures) has passed;
- ``reevaluate`` every 15 minutes (0004): bursts per topic × area for the hour
  ending now, and the catch-up of work-order results not yet fed back.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .feeds import poll_due


def poll_feeds() -> dict[str, str]:
    return poll_due(now=timezone.now())


def reevaluate() -> dict[str, Any]:
    from .services import bursts_reevaluate, stories_sync_order_results

    out: dict[str, Any] = bursts_reevaluate(now=timezone.now())
    out["results_fed_back"] = stories_sync_order_results()
    return out
