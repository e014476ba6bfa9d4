"""Run one function in several threads released at the same moment (concurrency tests, PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

from django.db import connections


def race(n: int, fn: Any, *, timeout: float = 30) -> list[Any]:
    """``fn(i)`` in ``n`` threads started together; each result, or the exception it raised."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 — the result under test
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results
