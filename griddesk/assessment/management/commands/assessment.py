"""``griddesk assessment rebuild-rollups [--from DATE] [--to DATE]`` and
``griddesk assessment refresh-rollups``.

rebuild-rollups: recompute the analytics rollups of every local day from
``--from`` to ``--to`` (default: every day with orders; a full rebuild also
resets the event watermark). Run it after bulk loads and imports that bypass
the services, and after editing customers' stations or categories in bulk.
refresh-rollups: what the 10-minute schedule does (dirty days and the days of
orders with new events). Both print one JSON line.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from griddesk.assessment.rollups import rollup_rebuild, rollup_refresh


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text}") from None


class Command(BaseCommand):
    help = "Assessment analytics: rebuild or refresh the daily rollups."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        r = sub.add_parser("rebuild-rollups", help="recompute the rollups of a range of days (default: all)")
        r.add_argument("--from", dest="first", type=_date, default=None, help="first local day (YYYY-MM-DD)")
        r.add_argument("--to", dest="last", type=_date, default=None, help="last local day, inclusive (YYYY-MM-DD)")
        r.add_argument("--chunk-days", type=int, default=31, help="days per transaction (default 31)")
        sub.add_parser("refresh-rollups", help="recompute the days changed since the last refresh")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rebuild-rollups":
            first, last = options["first"], options["last"]
            if first and last and first > last:
                raise CommandError("--from is after --to")
            if options["chunk_days"] < 1:
                raise CommandError("--chunk-days must be ≥ 1")
            result = rollup_rebuild(first=first, last=last, chunk_days=options["chunk_days"])
        else:
            result = rollup_refresh()
        self.stdout.write(json.dumps(result.as_dict()))
