"""Background tasks of the assessment app (django-q2; schedule seeded by
migration 0004)."""

from __future__ import annotations

from typing import Any


def refresh_rollups() -> dict[str, Any]:
    """Recompute the rollup days changed since the last run (every 10 minutes;
    the task timeout is 120 s, so a first build of a big database is left to
    ``griddesk assessment rebuild-rollups``)."""
    from .rollups import rollup_refresh

    return rollup_refresh(max_rebuild_orders=200_000).as_dict()
