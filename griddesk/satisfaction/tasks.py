"""django-q2 entry points (referred to by dotted path when queued)."""

from __future__ import annotations

from .index import snapshot_run


def compute_snapshot(snapshot_id: int) -> None:
    snapshot_run(snapshot_id=snapshot_id)
