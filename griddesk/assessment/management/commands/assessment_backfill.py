"""Compute the per-order assessment and the archive search entry for orders that
were assessed / archived without them (loaded by COPY, imported, or older than
the assessment app). Idempotent; batches of --batch orders per transaction."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from griddesk.assessment.models import ArchiveEntry, OrderAssessment
from griddesk.assessment.services import archive_entry_write, order_assessment_compute
from griddesk.workorders.models import StateChoice, WorkOrder


class Command(BaseCommand):
    help = "Backfill per-order assessments and archive search entries."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=500)
        parser.add_argument("--limit", type=int, default=0, help="Stop after this many orders (0: all).")

    def handle(self, *args: Any, batch: int, limit: int, **options: Any) -> None:
        done = self._run(
            WorkOrder.objects.filter(state__in=[StateChoice.ASSESSED, StateChoice.ARCHIVED])
            .exclude(pk__in=OrderAssessment.objects.values("order_id")),
            lambda o: order_assessment_compute(order=o, assessment=o.assessments.order_by("-pk").first()),
            batch,
            limit,
        )
        indexed = self._run(
            WorkOrder.objects.filter(state=StateChoice.ARCHIVED).exclude(pk__in=ArchiveEntry.objects.values("order_id")),
            lambda o: archive_entry_write(order=o),
            batch,
            limit,
        )
        self.stdout.write(f"assessed: {done}, archive entries: {indexed}")

    def _run(self, qs: Any, fn: Any, batch: int, limit: int) -> int:
        n = 0
        while True:
            ids = list(qs.order_by("pk").values_list("pk", flat=True)[:batch])
            if not ids:
                return n
            with transaction.atomic():
                for o in WorkOrder.objects.select_for_update(of=("self",)).select_related("customer", "category").filter(pk__in=ids):
                    fn(o)
                    n += 1
            if limit and n >= limit:
                return n
