#!/usr/bin/env python3
"""Assessment analytics benchmark: scorecard and dashboard-tile latencies on PostgreSQL.

    scripts/with-postgres.sh .venv/bin/python benchmarks/analytics.py --orders 1000000 --days 60

Steps: migrate; load ``griddesk demo --orders N --days D`` (the COPY loader);
backfill one ``assessment_orderassessment`` fact row per assessed/archived order
with one set-based INSERT … SELECT (the demo loader writes orders with COPY, not
through the assess service; *the working-hour figures of the backfill are
synthetic*: natural hours × 9/24 — the query shapes and row counts are what
matter here); ANALYZE; then time, as the administrator and as a manager (whose
visibility adds a company-subtree semi-join):

* ``GET /api/v1/assessment/scorecards/?period=P&level=L`` for every level, with
  the previous-period and last-year comparisons (3 periods) and without;
* the dashboard tiles (``selectors.tiles``), the category Pareto, the area ×
  category heat table, the 12-month trend;

p50/p99 over ``--repeat`` runs (warm cache), then EXPLAIN (ANALYZE, BUFFERS) of the
slowest statements of one scorecard. Prints everything; ``--skip-load`` reuses
the data already in the database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "griddesk.settings")
os.environ.setdefault("GRIDDESK_LOG_LEVEL", "ERROR")

BACKFILL = """
INSERT INTO assessment_orderassessment (
    order_id, assessment_id, rule_set_id, received_at, order_type, company_id, department_id, station_id, staff_id,
    category_id, customer_category, on_time, overdue_hours, handling_hours, at_fault, visit_outcome, satisfied,
    repeat, repeat_of_id, escalated, urge_count, reopen_count, first_time, items, weight, score, final_score,
    adjusted, computed_at)
SELECT o.id, NULL, %(rs)s, o.received_at, o.type, o.company_id, la.department_id, c.station_id, r.submitted_by_id,
    o.category_id, COALESCE(c.category, ''),
    ot.on_time,
    CASE WHEN ot.on_time THEN 0 ELSE GREATEST(0, EXTRACT(EPOCH FROM (o.closed_at - o.deadline_at)) / 3600 * 9 / 24) END,
    EXTRACT(EPOCH FROM (o.closed_at - o.received_at)) / 3600 * 9 / 24,
    r.company_at_fault, COALESCE(v.outcome, ''),
    CASE WHEN v.outcome IS NULL OR v.outcome = 'unreachable' THEN NULL
         ELSE v.outcome IN ('satisfied', 'basically_satisfied') END,
    o.is_repeat, o.repeat_of_id, (o.escalated OR o.channel IN ('12345', 'media')), o.urge_count, o.reopen_count,
    o.reopen_count = 0, '{}'::jsonb, 1.0,
    GREATEST(0, 100 - CASE WHEN ot.on_time THEN 0 ELSE 10 END - CASE WHEN r.company_at_fault THEN 20 ELSE 0 END
                    - CASE WHEN o.is_repeat THEN 10 ELSE 0 END - LEAST(10, 2 * o.urge_count) - LEAST(15, 5 * o.reopen_count)),
    0, false, now()
FROM workorders_workorder o
LEFT JOIN customers_customer c ON c.id = o.customer_id
LEFT JOIN LATERAL (SELECT department_id FROM workorders_leadassignment x
                   WHERE x.order_id = o.id AND x."primary" ORDER BY x.id LIMIT 1) la ON true
LEFT JOIN LATERAL (SELECT submitted_by_id, company_at_fault FROM workorders_report x
                   WHERE x.order_id = o.id ORDER BY x.id DESC LIMIT 1) r ON true
LEFT JOIN LATERAL (SELECT outcome FROM workorders_returnvisit x
                   WHERE x.order_id = o.id ORDER BY x.id DESC LIMIT 1) v ON true
CROSS JOIN LATERAL (SELECT (o.closed_at IS NOT NULL AND o.deadline_at IS NOT NULL
                            AND o.closed_at <= o.deadline_at) AS on_time) ot
WHERE o.state IN ('assessed', 'archived')
  AND NOT EXISTS (SELECT 1 FROM assessment_orderassessment y WHERE y.order_id = o.id)
"""


def run(cmd: list[str]) -> None:
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def timed(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    fn()  # warm
    xs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        xs.append((time.perf_counter() - t) * 1000)
    xs.sort()
    p99 = xs[min(len(xs) - 1, int(round(0.99 * (len(xs) - 1))))]
    return {"p50": statistics.median(xs), "p99": p99, "min": xs[0], "n": len(xs)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--customers", type=int, default=None)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--skip-load", action="store_true")
    args = ap.parse_args()
    py = sys.executable
    if not os.environ.get("DATABASE_URL"):
        sys.exit("run under scripts/with-postgres.sh (DATABASE_URL)")
    if not args.skip_load:
        run([py, "manage.py", "migrate", "--noinput", "-v0"])
        t = time.perf_counter()
        customers = args.customers or max(1000, args.orders // 5)
        run([py, "manage.py", "demo", "--orders", str(args.orders), "--customers", str(customers), "--days", str(args.days), "--no-logins"])
        print(f"load: {time.perf_counter() - t:.1f} s")

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from griddesk.assessment import selectors
    from griddesk.assessment.models import OrderAssessment
    from griddesk.assessment.services import current_rule_set
    from griddesk.engines import kpi
    from griddesk.organisation.access import actor_for

    with connection.cursor() as cur:
        t = time.perf_counter()
        cur.execute(BACKFILL, {"rs": current_rule_set().pk})
        print(f"backfill: {cur.rowcount:,} fact rows in {time.perf_counter() - t:.1f} s")
        cur.execute("ANALYZE")
        cur.execute("SELECT count(*) FROM workorders_workorder")
        n_orders = cur.fetchone()[0]
        cur.execute(
            "SELECT to_char(received_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') m, count(*) FROM workorders_workorder "
            "GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        )
        month, in_month = cur.fetchone()
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database())), version()")
        size, version = cur.fetchone()
    n_facts = OrderAssessment.objects.count()
    print(f"orders {n_orders:,}; fact rows {n_facts:,}; busiest month {month}: {in_month:,} orders; db {size}")
    print(version)
    period = kpi.parse_period(month)
    host = "localhost"
    results: list[tuple[str, str, dict[str, float]]] = []
    for username in ("admin", "manager"):
        user = get_user_model().objects.get(username=username)
        client = Client(HTTP_HOST=host)
        client.force_login(user)
        actor = actor_for(user)
        for level in selectors.LEVELS:
            for compare in ("true", "false"):
                url = f"/api/v1/assessment/scorecards/?period={period.label}&level={level}&compare={compare}"

                def get(url: str = url, client: Client = client) -> None:
                    r = client.get(url)
                    assert r.status_code == 200, r.content[:300]

                results.append((username, f"scorecard {level} compare={compare}", timed(get, args.repeat)))
                print(results[-1], flush=True)
        for name, fn in [
            ("tiles (all KPIs + comparisons)", partial(selectors.tiles, actor, period=period)),
            ("category pareto", partial(selectors.category_pareto, actor, period=period)),
            ("heat table", partial(selectors.heat_table, actor, period=period)),
            ("12-month trend", partial(selectors.trend, actor, period=period)),
        ]:
            results.append((username, name, timed(fn, args.repeat)))
            print(results[-1], flush=True)

    print()
    print(f"| viewer | query ({period.label}, {in_month:,} orders in the month, {n_orders:,} in total) | p50 ms | p99 ms |")
    print("|---|---|---|---|")
    for who, name, r in results:
        print(f"| {who} | {name} | {r['p50']:.0f} | {r['p99']:.0f} |")

    # plans of the slowest statements of one department scorecard as the manager
    user = get_user_model().objects.get(username="manager")
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        client.get(f"/api/v1/assessment/scorecards/?period={period.label}&level=department&compare=false")
    print()
    print(f"== manager department scorecard: {len(ctx.captured_queries)} statements")
    for q in ctx.captured_queries:
        print(f"  {float(q['time']) * 1000:8.1f} ms  {q['sql'][:140]}")
    slow = sorted(ctx.captured_queries, key=lambda q: float(q["time"]), reverse=True)[:3]
    for q in slow:
        if not q["sql"].lstrip().upper().startswith("SELECT"):
            continue
        print()
        print("-" * 100)
        print(q["sql"][:2000])
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
            print("\n".join(r[0] for r in cur.fetchall()))


if __name__ == "__main__":
    main()
