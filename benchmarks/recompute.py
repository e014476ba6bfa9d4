"""Recompute open orders' deadlines after a calendar change, on PostgreSQL (issue 3).

    scripts/with-postgres.sh .venv/bin/python benchmarks/recompute.py [--orders N] [--batch B]
    (or, against an already loaded database: DATABASE_URL=… .venv/bin/python benchmarks/recompute.py --no-load)

Steps: migrate; load ``griddesk demo --customers N/5 --orders N`` (the COPY
loader, timed); make every loaded order open (investigating) with a stale,
provisional deadline — the worst case: every order is a candidate and every
deadline moves, so each gets its UPDATE and its ``deadline`` event; then enter
a calendar override (an administrator's change, through the service) and time
``workorders.clock_services.deadlines_recompute`` over the whole range, while a probe thread
on its own connection keeps updating random orders (``SELECT … FOR UPDATE`` +
``UPDATE``, like an action) and records how long it waits: the table is never
locked, a row at most for one batch.

Scenarios (``--scenarios``, default all three, in this order):

``worst``     every order open with a stale provisional deadline and received
              times shifted so that the newest order arrives on 2027-01-04 12:00
              (Asia/Shanghai); a range covering every window → every deadline
              moves (each an UPDATE + an event). Leaves every deadline correct.
``confirm``   the realistic year-end case: 2027's notice (2027-01-01 a
              holiday) is entered and 2027 confirmed → only the windows that
              touch 2027 (the orders spanning 2026-12-30 … 2027-01-04) are
              candidates; rows whose deadline/flags do not change are not written.
``override``  one override date in the middle of the data (a working day
              becomes a holiday) → the windows containing it.

Per scenario: candidates/changed, seconds, orders/s, batch lock-hold
p50/p99/max, probe wait p50/p99/max, and the CPU seconds of this process and
of all PostgreSQL processes (utime+stime from /proc/PID/stat of the
postmaster's children, plus its cutime+cstime for the worker connections that
have exited; the machine is shared: wall time is noisy, CPU seconds much less
so). The recompute runs its id ranges on ``GRIDDESK_RECOMPUTE_WORKERS``
connections (default: the cores, at most 4).
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import threading
import time
from datetime import date, timedelta
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
    ap.add_argument("--scenarios", default="worst,confirm,override")
    ap.add_argument("--keep", action="store_true", help="skip the setup UPDATE (deadlines as a previous run left them)")
    args = ap.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections, transaction

    from griddesk.sla import services as sla_services
    from griddesk.workorders import clock_services as services
    from griddesk.workorders.models import WorkOrder

    assert connection.vendor == "postgresql", "run under scripts/with-postgres.sh (DATABASE_URL)"
    out: dict[str, object] = {"orders_requested": args.orders, "batch": args.batch, "workers": services._recompute_workers()}
    if not args.no_load:
        call_command("migrate", verbosity=0, interactive=False)
        t = time.perf_counter()
        call_command("demo", customers=max(args.orders // 5, 1000), orders=args.orders, no_logins=True, verbosity=0)
        out["load_s"] = round(time.perf_counter() - t, 1)

    table = connection.ops.quote_name(WorkOrder._meta.db_table)
    t = time.perf_counter()
    if not args.keep:
        with connection.cursor() as cur:
            # Newest order received 2027-01-04 12:00 local: the open orders at year end.
            cur.execute(
                f"UPDATE {table} SET state = 'investigating', deadline_provisional = true, overdue = false, "
                f"received_at = received_at + (timestamptz '2027-01-04 12:00+08' - (SELECT max(received_at) FROM {table})), "
                f"deadline_at = received_at + (timestamptz '2027-01-04 12:00+08' - (SELECT max(received_at) FROM {table})) "
                f"- interval '1 second', closed_at = NULL, stage = '', stage_deadline_at = NULL, stage_started_at = NULL"
            )
            cur.execute(f"VACUUM ANALYZE {table}")
            out["setup_s"] = round(time.perf_counter() - t, 1)
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*), min(id), max(id), min(received_at), max(received_at) FROM {table}")
        n, lo, hi, rmin, rmax = cur.fetchone()
        cur.execute("SELECT pg_backend_pid()")
        backend = cur.fetchone()[0]
    out["open_orders"] = n
    out["received_range"] = [str(rmin), str(rmax)]
    tick = os.sysconf("SC_CLK_TCK")

    with connection.cursor() as cur:
        cur.execute("SHOW data_directory")
        data_dir = cur.fetchone()[0]
    try:
        postmaster = int(open(f"{data_dir}/postmaster.pid").readline())
    except OSError:
        postmaster = None

    def stat(pid: int) -> list[str]:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()

    def backend_cpu() -> float:
        """CPU seconds of every PostgreSQL backend: the live children of the
        postmaster plus the ones that have exited (the postmaster's cutime +
        cstime) — the recompute's worker connections come and go."""
        if postmaster is None:
            try:
                f = stat(backend)
                return (int(f[11]) + int(f[12])) / tick
            except OSError:
                return float("nan")
        f = stat(postmaster)
        total = int(f[13]) + int(f[14])
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                c = stat(int(entry))
            except OSError:
                continue
            if int(c[1]) == postmaster:
                total += int(c[11]) + int(c[12])
        return total / tick

    from griddesk.organisation.access import Actor
    from griddesk.sla.models import CalendarOverride

    admin = Actor(user=None, role="admin", department=None)  # type: ignore[arg-type]

    def run(name: str, first: date, last: date) -> None:
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
                print(f"  {name}: {examined:,} examined, last batch {seconds * 1000:.0f} ms", file=sys.stderr, flush=True)

        thread = threading.Thread(target=probe, daemon=True)
        thread.start()
        load_before = open("/proc/loadavg").read().split()[:3]
        cpu_db, cpu_me, t = backend_cpu(), time.process_time(), time.perf_counter()
        summary = services.deadlines_recompute(first=first, last=last, reason=f"benchmark {name}", batch_size=args.batch, progress=progress)
        seconds = time.perf_counter() - t
        cpu_me, cpu_db = time.process_time() - cpu_me, backend_cpu() - cpu_db
        stop.set()
        thread.join(10)
        out[name] = {
            "range": [first.isoformat(), last.isoformat()],
            "candidates": summary["examined"],
            "recomputed": summary["recomputed"],
            "still_provisional": summary["still_provisional"],
            "recompute_s": round(seconds, 1),
            "changed_per_s": round(summary["recomputed"] / seconds) if seconds else 0,
            "cpu_s_db_backends": round(cpu_db, 1),
            "cpu_s_python": round(cpu_me, 1),
            "batch_ms_p50": round(pct(batches, 50) * 1000, 1),
            "batch_ms_p99": round(pct(batches, 99) * 1000, 1),
            "batch_ms_max": round(max(batches, default=0) * 1000, 1),
            "batches": len(batches),
            "probe_n": len(waits),
            "probe_ms_p50": round(pct(waits, 50) * 1000, 1),
            "probe_ms_p99": round(pct(waits, 99) * 1000, 1),
            "probe_ms_max": round(max(waits, default=0) * 1000, 1),
            "loadavg_before": load_before,
            "loadavg_after": open("/proc/loadavg").read().split()[:3],
        }
        print(json.dumps({name: out[name]}), file=sys.stderr, flush=True)

    for name in args.scenarios.split(","):
        if name == "worst":
            run("worst", rmin.date() - timedelta(days=1), date(2027, 12, 31))
        elif name == "confirm":
            # 2027's notice: New Year's Day a holiday (entered like an administrator would), year confirmed.
            CalendarOverride.objects.update_or_create(
                day=date(2027, 1, 1), defaults={"is_workday": False, "source_notice": "benchmark 2027 notice"}
            )
            with transaction.atomic():
                sla_services._confirm(actor=admin, year=2027, notice="benchmark 2027 notice")
            run("confirm", date(2027, 1, 1), date(2027, 12, 31))
        elif name == "override":
            mid = (rmin + (rmax - rmin) / 2).date()
            while mid.weekday() >= 5:
                mid += timedelta(days=1)
            CalendarOverride.objects.update_or_create(
                day=mid, defaults={"is_workday": False, "source_notice": "benchmark override"}
            )
            run("override", mid, mid)
    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM workorders_workorderevent WHERE action = 'deadline'")
        out["deadline_events"] = cur.fetchone()[0]
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
