"""Recompute open orders' deadlines after a calendar change, on PostgreSQL (issue 3).

    scripts/with-postgres.sh .venv/bin/python benchmarks/recompute.py [--orders N] [--batch B]
    (or, against an already loaded database: DATABASE_URL=… .venv/bin/python benchmarks/recompute.py --no-load)

Steps: migrate; load ``griddesk demo --customers N/5 --orders N`` (the COPY
loader, timed); make every loaded order open (investigating) with a stale,
provisional deadline — the worst case: every order is a candidate and every
deadline moves, so each gets its UPDATE and its ``deadline`` event; then enter
a calendar override (an administrator's change, through the service) and time
``sla.services.deadlines_recompute`` over the whole range, while a probe thread
on its own connection keeps updating random orders (``SELECT … FOR UPDATE`` +
``UPDATE``, like an action) and records how long it waits: the table is never
locked, a row at most for one batch.

Prints one JSON line: load time, orders examined/changed, seconds, orders/s,
batch lock-hold p50/p99/max, probe wait p50/p99/max, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import threading
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "griddesk.settings")


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main() -> dict[str, object]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--no-load", action="store_true")
    args = ap.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections, transaction

    from griddesk.sla import services
    from griddesk.workorders.models import WorkOrder

    assert connection.vendor == "postgresql", "run under scripts/with-postgres.sh (DATABASE_URL)"
    out: dict[str, object] = {"orders_requested": args.orders, "batch": args.batch}
    if not args.no_load:
        call_command("migrate", verbosity=0, interactive=False)
        t = time.perf_counter()
        call_command("demo", customers=max(args.orders // 5, 1000), orders=args.orders, no_logins=True, verbosity=0)
        out["load_s"] = round(time.perf_counter() - t, 1)

    table = connection.ops.quote_name(WorkOrder._meta.db_table)
    with connection.cursor() as cur:
        t = time.perf_counter()
        cur.execute(
            f"UPDATE {table} SET state = 'investigating', deadline_provisional = true, overdue = false, "
            f"deadline_at = COALESCE(deadline_at, received_at) - interval '1 second', closed_at = NULL"
        )
        cur.execute(f"VACUUM ANALYZE {table}")
        out["setup_s"] = round(time.perf_counter() - t, 1)
        cur.execute(f"SELECT count(*), min(id), max(id) FROM {table}")
        n, lo, hi = cur.fetchone()
    out["open_orders"] = n

    # The probe: an action-like row lock + update on random orders, on its own connection.
    stop = threading.Event()
    waits: list[float] = []

    def probe() -> None:
        rng = random.Random(1)
        try:
            while not stop.is_set():
                pk = rng.randint(lo, hi)
                t0 = time.perf_counter()
                with transaction.atomic():
                    row = WorkOrder.objects.select_for_update().filter(pk=pk).only("pk", "urge_count").first()
                    if row is not None:
                        WorkOrder.objects.filter(pk=pk).update(urge_count=row.urge_count)
                waits.append(time.perf_counter() - t0)
                time.sleep(0.02)
        finally:
            connections.close_all()

    batches: list[float] = []

    def progress(examined: int, changed: int, seconds: float) -> None:
        batches.append(seconds)
        if len(batches) % 100 == 0:
            print(f"  {examined:,} examined, last batch {seconds * 1000:.0f} ms", file=sys.stderr, flush=True)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    t = time.perf_counter()
    summary = services.deadlines_recompute(
        first=date(2024, 1, 1), last=date(2027, 12, 31), reason="benchmark", batch_size=args.batch, progress=progress
    )
    seconds = time.perf_counter() - t
    stop.set()
    thread.join(10)
    out.update(
        {
            "examined": summary["examined"],
            "recomputed": summary["recomputed"],
            "recompute_s": round(seconds, 1),
            "orders_per_s": round(summary["examined"] / seconds),
            "batch_ms_p50": round(pct(batches, 50) * 1000, 1),
            "batch_ms_p99": round(pct(batches, 99) * 1000, 1),
            "batch_ms_max": round(max(batches, default=0) * 1000, 1),
            "probe_n": len(waits),
            "probe_ms_p50": round(pct(waits, 50) * 1000, 1),
            "probe_ms_p99": round(pct(waits, 99) * 1000, 1),
            "probe_ms_max": round(max(waits, default=0) * 1000, 1),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "mean_batch_ms": round(statistics.mean(batches) * 1000, 1) if batches else 0,
        }
    )
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM workorders_workorderevent WHERE action = 'deadline'")
        out["deadline_events"] = cur.fetchone()[0]
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
