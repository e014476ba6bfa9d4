"""django-q2 entry points (referred to by dotted path when queued)."""

from __future__ import annotations

from . import services


def run_import(job_id: int) -> None:
    services.import_job_run(job_id=job_id)
