"""The ``griddesk`` console script: a thin wrapper around Django's management commands.

``griddesk serve`` runs the development server (or gunicorn with ``--prod``),
``griddesk migrate``, ``griddesk demo``, ``griddesk token USERNAME``,
``griddesk createsuperuser`` and every other management command by name.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "griddesk.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    from django.conf import settings

    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    from django.core.management import execute_from_command_line

    if args and args[0] == "serve":
        return _serve(args[1:])
    execute_from_command_line(["griddesk", *args])
    return 0


def _serve(rest: list[str]) -> int:
    """Run the web server and, beside it, one django-q2 worker cluster per
    queue (griddesk.common.queues: interactive — imports, index computations;
    background — deliveries, recomputes, schedules). Set
    GRIDDESK_NO_WORKERS=1 when workers run elsewhere (several app servers)."""
    import signal
    import subprocess

    # A SIGTERM (service manager, timeout) must still stop the worker cluster.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    workers = None
    if os.environ.get("GRIDDESK_NO_WORKERS") != "1":
        workers = _Workers()
    try:
        if "--prod" in rest:
            rest.remove("--prod")
            bind = rest[0] if rest else "127.0.0.1:8000"
            n = os.environ.get("GRIDDESK_WORKERS", str((os.cpu_count() or 1) * 2 + 1))
            return subprocess.call(
                [sys.executable, "-m", "gunicorn", "griddesk.wsgi", "-b", bind, "-w", n, "--access-logfile", "-"]
            )
        from django.core.management import execute_from_command_line

        # --noreload: the autoreloader would start a second copy of everything.
        execute_from_command_line(["griddesk", "runserver", "--noreload", *(rest or ["127.0.0.1:8000"])])
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        if workers is not None:
            workers.terminate()
            try:
                workers.wait(10)
            except subprocess.TimeoutExpired:
                workers.kill()


class _Workers:
    """One ``qcluster`` process per queue (``griddesk.common.queues.clusters``),
    stopped together; ``Q_CLUSTER_NAME`` picks the cluster (and its
    ``ALT_CLUSTERS`` settings) before django-q2 reads its configuration.
    Offers the ``terminate`` / ``wait`` / ``kill`` of one ``Popen``."""

    def __init__(self) -> None:
        import subprocess

        from griddesk.common.queues import clusters

        self.procs = [
            subprocess.Popen([sys.executable, "-m", "griddesk.cli", "qcluster"], env={**os.environ, "Q_CLUSTER_NAME": name})
            for name in clusters()
        ]

    def terminate(self) -> None:
        for p in self.procs:
            p.terminate()

    def kill(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for all of them (``timeout`` in total); ``TimeoutExpired`` as ``Popen.wait``."""
        import time

        end = None if timeout is None else time.monotonic() + timeout
        for p in self.procs:
            p.wait(None if end is None else max(0.0, end - time.monotonic()))


if __name__ == "__main__":
    sys.exit(main())
