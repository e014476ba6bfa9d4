#!/usr/bin/env python3
"""The web queue's search at scale: ``GET /?q=…`` as staff open it.

    DATABASE_URL=… .venv/bin/python benchmarks/search_web.py [--repeat 10] [--q 表箱]

Runs against an already loaded database (``benchmarks/search.py --orders N``
loads one; keep its server, see that script). For each role (agent, specialist,
lead handler, manager) requests the queue page in-process (Django test client,
logged in: the whole view, template, access log and database; no network) for
a common pair (dense on PostgreSQL: in ~13 % of the orders), its page 2 and a
customer name. Prints p50 / p95 / max, the count as the page shows it, whether
a next page is linked (``--force-dense``: the dense path whatever the
statistics say, for a pair that is dense only at a larger size), then the ``EXPLAIN (ANALYZE, BUFFERS)`` of the queue
walk's segments for the specialist (``selectors.queue_walk``; absent in code
before it), and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
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
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--q", default="表箱")
    ap.add_argument("--roles", default="agent,specialist,lead_handler,manager")
    ap.add_argument("--explain-out", default="")
    ap.add_argument("--force-dense", action="store_true",
                    help="take the dense path whatever the statistics say (a pair that is dense at 1M but not at the loaded size)")
    args = ap.parse_args()
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from griddesk.workorders.models import WorkOrder

    settings.ALLOWED_HOSTS = ["*"]
    if args.force_dense:
        from griddesk.workorders import search as order_search

        order_search.search_is_dense = lambda p: True  # type: ignore[assignment]
    total = WorkOrder.objects.count()
    sample = (
        WorkOrder.objects.filter(customer__isnull=False, anonymous=False).select_related("customer").order_by("-id").first()
    )
    queries = {"text2": {"q": args.q}, "text2_page2": {"q": args.q, "page": 2}}
    if sample is not None and sample.customer is not None:
        queries["name"] = {"q": sample.customer.name}
    print(f"{total:,} orders; code {ROOT}; queries {queries}{'; dense path forced' if args.force_dense else ''}", flush=True)
    users = {"agent": "agent", "specialist": "specialist", "lead_handler": "marketing", "manager": "manager"}
    results: dict[str, dict[str, dict[str, object]]] = {}
    for role in args.roles.split(","):
        client = Client()
        client.force_login(get_user_model().objects.get(username=users[role]))
        results[role] = {}
        for kind, params in queries.items():
            times: list[float] = []
            body = ""
            for i in range(args.repeat + 1):
                t = time.perf_counter()
                r = client.get("/", params)
                dt = (time.perf_counter() - t) * 1000
                assert r.status_code == 200, r.status_code
                body = r.content.decode()
                if i >= 1:  # one warm-up
                    times.append(dt)
            m = re.search(r'id="count-estimate"[^>]*>([^<]+)<', body) or re.search(r"(共 [\d,]+ 张工单)", body)
            shown = m.group(1) if m else "?"
            rows = len(re.findall(r"<tr data-number=", body))
            nxt = f"page={int(params.get('page', 1)) + 1}" in body
            results[role][kind] = {"p50": pct(times, 50), "p95": pct(times, 95), "max": max(times), "count": shown,
                                   "rows": rows, "next": nxt}
            print(f"{role:13s} {kind:12s} p50 {pct(times, 50):8.1f} ms  p95 {pct(times, 95):8.1f} ms  "
                  f"max {max(times):8.1f} ms  [{shown}; {rows} rows; next {'yes' if nxt else 'no'}]", flush=True)

    from griddesk.organisation.access import actor_for
    from griddesk.workorders import search, selectors

    if args.explain_out and hasattr(selectors, "_queue_segments"):
        actor = actor_for(get_user_model().objects.get(username="specialist"))
        p = search.search_plan(actor, args.q)
        listed = selectors.work_order_list(actor, filters={"q": args.q})
        with open(args.explain_out, "w") as out:
            out.write(f"# benchmarks/search_web.py on {total:,} orders: the specialist's queue walk for {args.q} "
                      f"(dense: {search.search_is_dense(p)}, estimate {search.search_estimate(p):,})\n")
            segments = selectors._queue_segments(listed)
            for name, (parts, ordering) in zip(("running", "suspended", "rest"), segments, strict=True):
                for i, part in enumerate(parts):
                    sql, sp = part.order_by(*ordering).values_list("pk", "deadline_at", "received_at")[:26].query.sql_with_params()
                    with connection.cursor() as cur:
                        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, sp)
                        out.write(f"\n## segment {name}, part {i + 1} of {len(parts)}\n" + "\n".join(r[0] for r in cur.fetchall()) + "\n")
        print(f"plans: {args.explain_out}")
    print(json.dumps({"orders": total, "code": ROOT, "results": results}, ensure_ascii=False))


if __name__ == "__main__":
    main()
