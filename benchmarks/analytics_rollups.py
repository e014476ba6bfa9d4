#!/usr/bin/env python3
"""Assessment analytics on the daily rollups (ADR 0011): build/refresh times and
scorecard / dashboard latencies on PostgreSQL.

    DATABASE_URL=postgres://… .venv/bin/python benchmarks/analytics_rollups.py [--backfill] [--repeat 7]

Against a database already loaded with ``griddesk demo --orders N`` (see
benchmarks/analytics.py for the loader run; ``--backfill`` writes the fact rows
with that script's set-based INSERT … SELECT). Steps: migrate; (backfill);
ANALYZE; full rebuild of the rollups (timed); refresh of one dirty day
(timed, cold and warm); refresh with nothing to do; then, as the administrator
and as a manager, p50/p99 of every scorecard level (with and without the
previous-period / last-year comparisons), the dashboard tiles, Pareto, heat
table and 12-month trend — all through the rollups — for every month with
orders (latency vs. orders in the month); EXPLAIN (ANALYZE, BUFFERS) of the
statements of one scorecard; rollup sizes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from functools import partial
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "griddesk.settings")
os.environ.setdefault("GRIDDESK_LOG_LEVEL", "ERROR")

from analytics import BACKFILL, timed  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backfill", action="store_true")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--skip-rebuild", action="store_true")
    args = ap.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("needs DATABASE_URL (PostgreSQL)")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], check=True, cwd=ROOT)
    t = time.perf_counter()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from griddesk.assessment import rollups, selectors
    from griddesk.assessment.services import current_rule_set
    from griddesk.engines import kpi
    from griddesk.organisation.access import actor_for

    print(f"migrate: {time.perf_counter() - t:.1f} s", flush=True)
    with connection.cursor() as cur:
        if args.backfill:
            t = time.perf_counter()
            cur.execute(BACKFILL, {"rs": current_rule_set().pk})
            print(f"backfill: {cur.rowcount:,} fact rows in {time.perf_counter() - t:.1f} s", flush=True)
        cur.execute("ANALYZE")
        cur.execute("SHOW fsync")
        fsync = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM workorders_workorder")
        n_orders = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM assessment_orderassessment")
        n_facts = cur.fetchone()[0]
        cur.execute(
            "SELECT to_char(received_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') m, count(*) FROM workorders_workorder "
            "GROUP BY 1 ORDER BY 1"
        )
        months = cur.fetchall()
        cur.execute("SELECT version()")
        version = cur.fetchone()[0]
    print(f"orders {n_orders:,}; fact rows {n_facts:,}; fsync={fsync}; {version}")
    print("orders per month:", ", ".join(f"{m}: {n:,}" for m, n in months), flush=True)

    if not args.skip_rebuild:
        r = rollups.rollup_rebuild()
        print(f"full rebuild: {r.days} days in {r.ranges} transactions, {r.seconds:.1f} s", flush=True)
    with connection.cursor() as cur:
        cur.execute("ANALYZE assessment_dailyrollup; ANALYZE assessment_handlinghistogram; ANALYZE assessment_customerrollup")
        for table in ("assessment_dailyrollup", "assessment_handlinghistogram", "assessment_customerrollup"):
            cur.execute(f"SELECT count(*), pg_size_pretty(pg_total_relation_size('{table}')) FROM {table}")
            n, size = cur.fetchone()
            print(f"{table}: {n:,} rows, {size}")
        cur.execute(
            "SELECT to_char(day, 'YYYY-MM'), count(*) FROM assessment_dailyrollup GROUP BY 1 ORDER BY 1"
        )
        print("rollup rows per month:", ", ".join(f"{m}: {n:,}" for m, n in cur.fetchall()))
        cur.execute(
            "SELECT (received_at AT TIME ZONE 'Asia/Shanghai')::date d, count(*) FROM workorders_workorder GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        )
        busy_day, busy_n = cur.fetchone()

    # refresh of one day: the services mark it, the schedule recomputes it
    for label in ("cold", "warm"):
        rollups.rollup_days_mark(days=[busy_day])
        r = rollups.rollup_refresh()
        print(f"refresh of 1 dirty day ({busy_day}, {busy_n:,} orders) + event overlap, {label}: {r.days} days, {r.seconds * 1000:.0f} ms")
    r = rollups.rollup_refresh()
    print(f"refresh with nothing marked (event overlap + customers recount): {r.days} days, {r.seconds * 1000:.0f} ms")
    with connection.cursor() as cur:
        t = time.perf_counter()
        rollups._recompute_range(cur, busy_day, busy_day)
        day_ms = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        rollups._recompute_customers(cur)
        cust_ms = (time.perf_counter() - t) * 1000
    print(f"recompute of the busiest day alone: {day_ms:.0f} ms; customers recount: {cust_ms:.0f} ms", flush=True)

    results: list[tuple[str, str, str, dict[str, float]]] = []
    busiest = max(months, key=lambda mn: mn[1])[0]
    for month, _n in months:
        period = kpi.parse_period(month)
        for username in ("admin", "manager"):
            user = get_user_model().objects.get(username=username)
            client = Client(HTTP_HOST="localhost")
            client.force_login(user)
            actor = actor_for(user)
            levels = selectors.LEVELS if month == busiest else ("department",)
            for level in levels:
                for compare in ("true", "false") if month == busiest else ("true",):
                    url = f"/api/v1/assessment/scorecards/?period={period.label}&level={level}&compare={compare}"

                    def get(url: str = url, client: Client = client) -> None:
                        resp = client.get(url)
                        assert resp.status_code == 200, resp.content[:300]
                        assert resp.json()["source"] == "rollup"

                    results.append((month, username, f"scorecard {level} compare={compare}", timed(get, args.repeat)))
            fns: list[tuple[str, Any]] = [("tiles (all KPIs + comparisons)", partial(selectors.tiles, actor, period=period))]
            if month == busiest:
                fns += [
                    ("category pareto", partial(selectors.category_pareto, actor, period=period)),
                    ("heat table", partial(selectors.heat_table, actor, period=period)),
                    ("12-month trend", partial(selectors.trend, actor, period=period)),
                    ("training flags", partial(selectors.training_flags, actor, period=period)),
                    ("whole dashboard page", partial(client.get, f"/assessment/?period={period.label}&level=station")),
                ]
            for name, fn in fns:
                results.append((month, username, name, timed(fn, args.repeat)))
        for row in results:
            if row[0] == month:
                print(row, flush=True)

    print()
    print("| month (orders in it) | viewer | query | p50 ms | p99 ms |")
    print("|---|---|---|---|---|")
    counts = dict(months)
    for month, who, name, r in results:
        print(f"| {month} ({counts[month]:,}) | {who} | {name} | {r['p50']:.0f} | {r['p99']:.0f} |")

    user = get_user_model().objects.get(username="manager")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    for level in ("department", "all"):
        with CaptureQueriesContext(connection) as ctx:
            if level == "all":
                selectors.tiles(actor_for(user), period=kpi.parse_period(busiest))
            else:
                client.get(f"/api/v1/assessment/scorecards/?period={busiest}&level={level}&compare=true")
        print()
        print(f"== manager {level} ({'tiles' if level == 'all' else 'scorecard'}, {busiest}, compare): {len(ctx.captured_queries)} statements")
        for q in ctx.captured_queries:
            print(f"  {float(q['time']) * 1000:8.1f} ms  {q['sql'][:150]}")
        for q in sorted(ctx.captured_queries, key=lambda q: float(q["time"]), reverse=True)[:2]:
            print()
            print(q["sql"][:1500])
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                print("\n".join(r[0] for r in cur.fetchall()))
    # the refresh's statements for one day
    start, end = rollups._bounds(busy_day, busy_day)
    for sql in (rollups._received_sql("department"), rollups._assessed_sql("station")):
        with connection.cursor() as cur:
            print()
            print(sql.strip()[:600])
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql.strip(), [start, end])
            print("\n".join(r[0] for r in cur.fetchall()))
    rollups.rollup_rebuild(first=busy_day, last=busy_day)  # undo the EXPLAIN ANALYZE inserts
    print(f"\n(the busiest day {busy_day} was recomputed again after the EXPLAIN ANALYZE inserts)")


if __name__ == "__main__":
    main()
