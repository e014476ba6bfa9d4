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
        rest = args[1:]
        if "--prod" in rest:
            rest.remove("--prod")
            bind = rest[0] if rest else "127.0.0.1:8000"
            workers = os.environ.get("GRIDDESK_WORKERS", str((os.cpu_count() or 1) * 2 + 1))
            os.execvp(
                sys.executable,
                [sys.executable, "-m", "gunicorn", "griddesk.wsgi", "-b", bind, "-w", workers, "--access-logfile", "-"],
            )
        args = ["runserver", *(rest or ["127.0.0.1:8000"])]
    execute_from_command_line(["griddesk", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
