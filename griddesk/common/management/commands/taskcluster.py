"""``griddesk taskcluster``: django-q2's ``qcluster`` with a signal handler that
cannot deadlock.

django-q2's own handler stops the cluster from inside the signal handler
(``stop_event.set()`` and ``sentinel.join()``). When SIGTERM lands while the
main process is inside ``start_event.is_set()`` — it polls that every 0.1 s
while the cluster starts — the handler waits for a lock the interrupted frame
holds, and the cluster never stops (django-q2 issue #346; seen here as a
cluster killed after its grace period on a loaded CI machine). Here the handler
only records the signal; the main loop stops the cluster outside it.
``Q_CLUSTER_NAME`` selects the queue, as for ``qcluster``.
"""

from __future__ import annotations

import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext_lazy as _


class Command(BaseCommand):
    help = _("Run a task cluster (django-q2) that stops cleanly on SIGTERM or SIGINT.")

    def handle(self, *args: Any, **options: Any) -> None:
        from django_q.cluster import Cluster

        settings.SECRET_KEY  # noqa: B018 — tasks are signed: refuse to start without a key
        received: list[int] = []

        def record(signum: int, _frame: Any) -> None:
            received.append(signum)

        cluster = Cluster()
        # Cluster() installs django-q2's handler; replace it before anything starts.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, record)
        cluster.start()
        while not received and cluster.sentinel.is_alive():
            time.sleep(0.2)
        if not received:
            raise CommandError(f"the task cluster's sentinel ended by itself (exit code {cluster.sentinel.exitcode})")
        cluster.stop()
