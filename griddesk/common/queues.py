"""The two work queues (django-q2 clusters on the ORM broker, ADR 0021).

- ``interactive``: work someone is waiting for on screen — file imports and
  satisfaction-index computations. Its own workers, so it never waits behind
  a burst of background work.
- ``background``: everything else — notice deliveries, deadline recomputes,
  the scheduled watchers and rollups. It is django-q2's default cluster
  (``Q_CLUSTER["name"]``): schedules without a cluster and queued retries
  land there, and tasks queued before the split keep running.

A queue is a cluster name: ``griddesk serve`` starts one ``qcluster`` per
entry of :func:`clusters` (``Q_CLUSTER_NAME`` selects the alternative
cluster's settings from ``Q_CLUSTER["ALT_CLUSTERS"]``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

INTERACTIVE = "interactive"
BACKGROUND = "background"


def cluster_name(queue: str) -> str:
    """The django-q2 cluster (= ORM broker key) that serves ``queue``."""
    if queue == INTERACTIVE:
        return INTERACTIVE
    if queue == BACKGROUND:
        return str(settings.Q_CLUSTER["name"])
    raise ValueError(f"unknown queue {queue!r}")


def clusters() -> list[str]:
    """Every cluster a worker must be started for: the background (default)
    cluster first, then the alternative ones."""
    return [cluster_name(BACKGROUND), *settings.Q_CLUSTER.get("ALT_CLUSTERS", {})]


def sync() -> bool:
    # django-q2 reads its "sync" flag once at import; read it per call so tests
    # (and GRIDDESK_Q_SYNC) can switch it.
    return bool(settings.Q_CLUSTER.get("sync", False))


def enqueue(func: str, *args: Any, queue: str, **kwargs: Any) -> Any:
    """``async_task`` on ``queue``'s cluster. With the ORM broker the queued
    task is part of the caller's transaction: no worker sees it before commit."""
    from django_q.tasks import async_task

    return async_task(func, *args, cluster=cluster_name(queue), sync=sync(), **kwargs)
