from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

SH = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)  # type: ignore[misc]


@pytest.fixture(autouse=True)
def q_sync(settings: Any) -> None:
    """Run django-q2 tasks inline."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any):
    """``with committed(): …`` runs the on-commit callbacks (the recompute task)
    that the test transaction would otherwise swallow."""

    def run() -> Any:
        return django_capture_on_commit_callbacks(execute=True)

    return run
