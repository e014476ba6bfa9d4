"""The ``griddesk`` console script: a thin wrapper around Django's management commands.

``griddesk serve`` runs the development server (or gunicorn with ``--prod``),
``griddesk migrate``, ``griddesk demo``, ``griddesk token USERNAME``,
``griddesk createsuperuser`` and every other management command by name.
"""

from __future__ import annotations

import os
import sys
from typing import Any

# Seconds each part of ``griddesk serve`` gets to stop after SIGTERM before it
# is killed: the web server first (in-flight requests finish, no new ones are
# taken), then the task cluster (a running task finishes or, killed, is
# retried later from the ORM broker). Together under a 30 s grace period.
WEB_STOP_SECONDS = 10
TASKS_STOP_SECONDS = 15


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "griddesk.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["serve"] and "--prod" in args:
        # Production mode for this process and everything it starts.
        os.environ["GRIDDESK_ENV"] = "production"
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    except ImproperlyConfigured as exc:
        print(f"griddesk: {exc}", file=sys.stderr)
        return 2
    from django.core.management import execute_from_command_line

    if args and args[0] == "serve":
        return _serve(args[1:])
    execute_from_command_line(["griddesk", *args])
    return 0


def _seconds(name: str, default: int) -> float:
    return float(os.environ.get(name, default))


def _serve(rest: list[str]) -> int:
    """Run the web server and, beside it, one django-q2 worker cluster per
    queue (griddesk.common.queues: interactive — imports, index computations;
    background — deliveries, recomputes, schedules). Set
    GRIDDESK_NO_WORKERS=1 when workers run elsewhere (several app servers).

    Both run as child processes, each in its own process group; this process
    only supervises. SIGTERM or SIGINT (or one child ending) stops them in
    order: SIGTERM to the web server (gunicorn's master stops its workers
    gracefully), wait, then SIGTERM to the task cluster, wait; a part still
    running after its time (GRIDDESK_WEB_STOP_SECONDS,
    GRIDDESK_TASKS_STOP_SECONDS) is killed with its whole process group.
    A second signal kills what is left at once."""
    import signal
    import subprocess
    import time

    rest = list(rest)
    prod = "--prod" in rest
    if prod:
        rest.remove("--prod")
    web_stop = _seconds("GRIDDESK_WEB_STOP_SECONDS", WEB_STOP_SECONDS)
    tasks_stop = _seconds("GRIDDESK_TASKS_STOP_SECONDS", TASKS_STOP_SECONDS)
    signals: list[int] = []

    def on_signal(signum: int, _frame: Any) -> None:
        signals.append(signum)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    children: list[tuple[str, subprocess.Popen[bytes], float]] = []
    try:
        if prod:
            bind = rest[0] if rest else "127.0.0.1:8000"
            n = os.environ.get("GRIDDESK_WORKERS", str((os.cpu_count() or 1) * 2 + 1))
            # gunicorn's own graceful timeout a little inside ours, so it kills
            # its slow workers itself before we have to.
            graceful = str(max(1, int(web_stop) - 2))
            web = [sys.executable, "-m", "gunicorn", "griddesk.wsgi", "-b", bind, "-w", n,
                   "--access-logfile", "-", "--graceful-timeout", graceful, "--no-control-socket"]
        else:
            # --noreload: the autoreloader would start a second copy of everything.
            web = [sys.executable, "-m", "griddesk.cli", "runserver", "--noreload", *(rest or ["127.0.0.1:8000"])]
        children.append(("web server", subprocess.Popen(web, start_new_session=True), web_stop))
        if os.environ.get("GRIDDESK_NO_WORKERS") != "1":
            from griddesk.common.queues import clusters

            # One qcluster per queue (interactive: imports, index computations;
            # background: deliveries, recomputes, schedules); Q_CLUSTER_NAME
            # picks the cluster's ALT_CLUSTERS settings before django-q2 reads them.
            for name in clusters():
                tasks = [sys.executable, "-m", "griddesk.cli", "taskcluster"]
                proc = subprocess.Popen(tasks, start_new_session=True, env={**os.environ, "Q_CLUSTER_NAME": name})
                children.append((f"task cluster {name}", proc, tasks_stop))
        while not signals and all(p.poll() is None for _, p, _ in children):
            time.sleep(0.2)
    finally:
        seen = len(signals)
        web_children, task_children = children[:1], children[1:]
        for name, proc, limit in web_children:
            _stop(name, proc, limit, signals, seen)
        # The task clusters stop side by side: each is told first, then waited for.
        for _name, proc, _limit in task_children:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc, limit in task_children:
            _stop(name, proc, limit, signals, seen)
        for s, handler in previous.items():
            signal.signal(s, handler)
    if signals:
        return 0
    # A child ended on its own (port taken, crash): say so through the exit code.
    return next((p.returncode for _, p, _ in children if p.returncode), 0)


def _stop(name: str, proc: Any, limit: float, signals: list[int], seen: int) -> None:
    """SIGTERM, up to ``limit`` seconds (or until one more signal than ``seen``
    arrives), then SIGKILL to what is left of the child's process group."""
    import signal
    import time

    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + limit
        while proc.poll() is None and time.monotonic() < deadline and len(signals) == seen:
            time.sleep(0.05)
        if proc.poll() is None:
            print(f"griddesk: the {name} did not stop in {limit:g} s; killing it", file=sys.stderr)
    # Its group: gunicorn's workers, the cluster's sentinel and workers.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is gone: everything stopped by itself
    proc.wait()


if __name__ == "__main__":
    sys.exit(main())
