#!/usr/bin/env python3
"""Search latency at scale (issue 13 §1): ``GET /api/v1/work-orders/?q=…``.

    scripts/with-postgres.sh .venv/bin/python benchmarks/search.py [--orders 1000000] [--repeat 40]

Migrates, loads ``griddesk demo --orders N`` when the database holds fewer
orders (the demo indexes what it loads; 1M takes 10–25 min: to iterate, keep
one server running — ``scripts/with-postgres.sh bash -c 'echo $DATABASE_URL
>/tmp/pg-url; sleep 7200'``, then ``DATABASE_URL=$(cat /tmp/pg-url)`` — and the
second run reuses the loaded orders), then for each role (agent: personal
data, own orders; specialist: personal data, the whole company; lead handler:
personal data, led orders; manager: no personal data, the whole company)
requests the list API in-process (Django test client: the whole view,
serializer, access log and database time; no network) for a customer's whole
phone, its last four digits, a customer name, and a 2- and a 4-character text
query taken from the loaded orders. Prints p50 / p95 / max per query and role,
the EXPLAIN ANALYZE of each query's page per role (which path it took), and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "griddesk.settings")
os.environ.setdefault("GRIDDESK_LOG_LEVEL", "ERROR")
os.environ.setdefault("GRIDDESK_DEBUG", "0")


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] if s else 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=40)
    ap.add_argument("--explain-out", default=os.path.join(ROOT, "benchmarks", "search-last-run.txt"))
    args = ap.parse_args()
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    from griddesk.workorders.models import WorkOrder

    have = WorkOrder.objects.count()
    if have < args.orders:
        t = time.monotonic()
        call_command("demo", orders=args.orders, customers=args.orders // 5, no_logins=True, verbosity=1)
        print(f"loaded in {time.monotonic() - t:.0f} s", flush=True)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    total = WorkOrder.objects.count()

    # Queries taken from the data: a customer with several orders, a common
    # and a rarer text fragment.
    sample = (
        WorkOrder.objects.filter(customer__isnull=False, anonymous=False)
        .exclude(customer__phone="")
        .select_related("customer")
        .order_by("-id")
        .first()
    )
    assert sample is not None and sample.customer is not None
    content = sample.content
    queries = {
        "phone": sample.customer.phone,
        "phone_last4": sample.customer.phone[-4:],
        "name": sample.customer.name,
        "text2": "表箱",
        "text4": "电费偏高",
    }
    if "表箱" not in " ".join(WorkOrder.objects.values_list("content", flat=True)[:5000]):
        queries["text2"] = content[2:4]
    print(f"{total:,} orders; queries: {queries}", flush=True)

    users = {"agent": "agent", "specialist": "specialist", "lead_handler": "marketing", "manager": "manager"}
    results: dict[str, dict[str, dict[str, float]]] = {}
    for role, username in users.items():
        user = get_user_model().objects.get(username=username)
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        results[role] = {}
        for kind, q in queries.items():
            times: list[float] = []
            count = 0
            for i in range(args.repeat + 3):
                t = time.perf_counter()
                r = client.get("/api/v1/work-orders/", {"q": q, "page_size": 25})
                dt = (time.perf_counter() - t) * 1000
                assert r.status_code == 200, r.content[:300]
                count = r.json()["count"]
                if i >= 3:  # warm-up
                    times.append(dt)
            results[role][kind] = {"p50": pct(times, 50), "p95": pct(times, 95), "max": max(times), "count": count}
            print(f"{role:13s} {kind:12s} p50 {pct(times, 50):7.1f} ms  p95 {pct(times, 95):7.1f} ms  "
                  f"max {max(times):7.1f} ms  ({count:,} found)", flush=True)

    # What one list page costs in commits and WAL (the access log used to write
    # one row per order shown, each query in its own transaction).
    user = get_user_model().objects.get(username="agent")
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    n_req = 50

    def counters() -> tuple[int, int]:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_stat_force_next_flush()")
            cur.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
            commits = cur.fetchone()[0]
            cur.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
            return commits, int(cur.fetchone()[0])

    b0, bw0 = counters()
    b1, bw1 = counters()  # what measuring itself costs
    c0, w0 = counters()
    for _i in range(n_req):
        r = client.get("/api/v1/work-orders/", {"page_size": 25})
        assert r.status_code == 200 and len(r.json()["results"]) == 25
    c1, w1 = counters()
    list_cost = {"requests": n_req, "commits_per_request": (c1 - c0 - (b1 - b0)) / n_req,
                 "wal_bytes_per_request": (w1 - w0 - (bw1 - bw0)) / n_req}
    print(f"list page of 25 (agent): {list_cost['commits_per_request']:.2f} commits, "
          f"{list_cost['wal_bytes_per_request']:,.0f} B of WAL per request", flush=True)

    # Plans, per role: the list page's query as the API runs it (the dense
    # path's count is the planner's estimate: no query to explain).
    from django.core.exceptions import EmptyResultSet

    from griddesk.organisation.access import actor_for
    from griddesk.workorders import search, selectors

    with open(args.explain_out, "w") as out:
        out.write(f"# benchmarks/search.py on {total:,} orders, PostgreSQL {connection.pg_version}\n")
        for role, username in users.items():
            actor = actor_for(get_user_model().objects.get(username=username))
            for kind, q in queries.items():
                p = search.search_plan(actor, q)
                path = "dense: walk and probe" if search.search_is_dense(p) else "selective: ids first"
                qs = selectors.work_order_list(actor, filters={"q": q})[:26]
                try:
                    sql, params = qs.query.sql_with_params()
                except EmptyResultSet:  # the candidate step found nothing: no second query
                    out.write(f"\n## {role} {kind} ({q}; {path})\n(no candidates: the list query is not run)\n")
                    continue
                with connection.cursor() as cur:
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                    plan = "\n".join(r[0] for r in cur.fetchall())
                out.write(f"\n## {role} {kind} ({q}; {path}; estimate {search.search_estimate(p):,})\n{plan}\n")
    print(f"plans: {args.explain_out}")
    print(json.dumps({"orders": total, "queries": queries, "results": results, "list_cost": list_cost}, ensure_ascii=False))


if __name__ == "__main__":
    main()
