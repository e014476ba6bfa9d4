"""``griddesk demo``: load a realistic demo utility (and optionally a big one for benchmarks)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.models import Count

from griddesk.demo.bulk import BulkLoader
from griddesk.demo.org import ensure_demo_org, logins_table
from griddesk.demo.reset import wipe_work_orders
from griddesk.demo.walk import Walker
from griddesk.engines.workflow import State
from griddesk.workorders.models import WorkOrder


class Command(BaseCommand):
    help = (
        "Load the demo power utility: city company, departments, 3 county companies, 12 power-supply stations, "
        "one user per role (password griddesk-demo), customers of every category and work orders in every state, "
        "walked through the real services. --customers/--orders add a scaled data set for benchmarks (bulk "
        "inserts; COPY on PostgreSQL). Safe to run again: existing demo orders and customers are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--per-state", type=int, default=5,
            help="Walked orders per state (archived gets three times as many; reopened/overdue/returned variants "
            "are added). 0 skips the walked set. Default 5 (about 80 orders).",
        )
        parser.add_argument("--customers", type=int, default=None, help="Bulk customers to have (default: orders/5).")
        parser.add_argument("--orders", type=int, default=0, help="Bulk orders to have, in addition to the walked set (default 0).")
        parser.add_argument("--days", type=int, default=60, help="Bulk orders are received over this many days (default 60).")
        parser.add_argument("--batch", type=int, default=20000, help="Bulk orders per transaction (default 20000).")
        parser.add_argument("--seed", type=int, default=95598, help="Random seed (same seed, same demo).")
        parser.add_argument("--reset", action="store_true", help="Delete ALL work orders (and their events etc.) first.")
        parser.add_argument("--no-logins", action="store_true", help="Do not print the logins table.")
        parser.add_argument(
            "--no-modules", action="store_true",
            help="Skip the public-opinion items and satisfaction survey responses that come with the walked set.",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        out = self.stdout
        if opts["per_state"] < 0 or opts["orders"] < 0 or (opts["customers"] or 0) < 0:
            raise CommandError("counts must not be negative")
        started = time.monotonic()
        if opts["reset"]:
            n = wipe_work_orders()
            out.write(f"Deleted {n:,} work orders.")
        ctx = ensure_demo_org()
        out.write(f"Organisation: {ctx.org.company.name}, {len(ctx.org.departments)} departments, {len(ctx.users)} demo users.")

        if opts["per_state"]:
            t = time.monotonic()
            stats: dict[str, Any] = Walker(ctx, opts["seed"]).run(opts["per_state"])
            out.write(
                f"Walked demo orders: {stats['created']} created, {stats['skipped']} already there "
                f"({time.monotonic() - t:.1f} s)."
            )

        if opts["per_state"] and not opts["no_modules"]:
            self._modules(out)

        if opts["orders"]:
            customers = opts["customers"] if opts["customers"] is not None else max(100, opts["orders"] // 5)
            loader = BulkLoader(ctx, seed=opts["seed"], days=opts["days"], batch=opts["batch"], log=out.write)
            t = time.monotonic()
            added = loader.ensure_customers(customers)
            out.write(f"Bulk customers: {added:,} added ({time.monotonic() - t:.1f} s).")
            out.write(f"Loading bulk orders ({connection.vendor}) …")
            before = WorkOrder.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            stats = loader.load_orders(opts["orders"])
            if stats["created"]:
                from griddesk.workorders.search import search_index_rebuild

                t = time.monotonic()
                indexed = search_index_rebuild(after_id=before)
                out.write(f"Search index: {indexed:,} orders indexed ({time.monotonic() - t:.1f} s).")
            if stats["created"]:
                rate = stats["created"] / max(stats["seconds"], 1e-9)
                how = stats["mode"] + ("" if stats.get("fk_checks", True) else ", foreign-key triggers off for the load")
                out.write(
                    f"Bulk orders: {stats['created']:,} created with {stats['events']:,} events in {stats['seconds']:.1f} s "
                    f"({rate:,.0f} orders/s; {how}); {stats['existing']:,} were already there."
                )
                if "write_seconds" in stats:
                    out.write(
                        f"  generating rows {stats.get('generate_seconds', 0):.1f} s, writing (COPY + commit, in parallel) "
                        f"{stats['write_seconds']:.1f} s."
                    )
                if "analyze_seconds" in stats:
                    out.write(f"ANALYZE: {stats['analyze_seconds']:.1f} s.")
            else:
                out.write(f"Bulk orders: {stats['existing']:,} already there, nothing to add.")
        elif opts["customers"]:
            added = BulkLoader(ctx, seed=opts["seed"]).ensure_customers(opts["customers"])
            out.write(f"Bulk customers: {added:,} added.")

        by_state = Counter(dict(WorkOrder.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n")))
        total = sum(by_state.values())
        out.write(f"Work orders in the database: {total:,}")
        out.write("  " + ", ".join(f"{s.value} {by_state.get(s.value, 0):,}" for s in State))
        out.write(f"Done in {time.monotonic() - started:.1f} s.")
        if not opts["no_logins"]:
            out.write("")
            out.write("Demo logins:")
            out.write(logins_table())

    def _modules(self, out: Any) -> None:
        """Public-opinion stories and satisfaction-survey responses (each loader is idempotent)."""
        from griddesk.opinion.demo import load_opinion_demo
        from griddesk.satisfaction.demo import demo_satisfaction

        t = time.monotonic()
        stats = load_opinion_demo()
        out.write(f"Public-opinion demo: {stats} ({time.monotonic() - t:.1f} s).")
        t = time.monotonic()
        sat = demo_satisfaction()
        index = sat.get("index")
        shown = f", satisfaction index {index:.1f}" if isinstance(index, (int, float)) else ""
        out.write(
            f"Satisfaction demo: {sat['responses']} survey responses, {sat['visit_tasks']} return-visit tasks{shown} "
            f"({time.monotonic() - t:.1f} s)."
        )
