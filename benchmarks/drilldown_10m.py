#!/usr/bin/env python3
"""Drill-down reconciliation and page latencies on a large database (issue 6).

    DATABASE_URL=postgres://… .venv/bin/python benchmarks/drilldown_10m.py [--period 2026-10] [--repeat 3]

Against a database loaded like benchmarks/analytics_rollups.py's (``griddesk demo
--orders N``, fact backfill, rollups rebuilt): for the period, as the
administrator and as a manager, every KPI of the company and department
scorecards: its drill-down URL (``/api/v1/work-orders/?…&count=exact``) is
fetched, its ``count`` compared with the figure (numerator or denominator) and
timed; then the whole dashboard page (``/assessment/``) and the queue list
(``/api/v1/work-orders/?page_size=50``) are timed. Prints a table and one JSON line.
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


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] if s else 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--period", default="2026-10")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    assert connection.vendor == "postgresql"
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM workorders_workorder")
        n_orders = cur.fetchone()[0]
    out: dict[str, object] = {"orders": n_orders, "period": args.period, "drilldowns": [], "pages": {}}
    mismatches = 0
    for username in ("admin", "manager"):
        client = Client(HTTP_HOST="localhost")
        client.force_login(get_user_model().objects.get(username=username))
        for level in ("company", "department"):
            card = client.get(f"/api/v1/assessment/scorecards/?period={args.period}&level={level}").json()
            for unit in card["units"][:3]:
                for k in unit["kpis"]:
                    expected = k["numerator"] if k["counts"] == "numerator" else k["denominator"]
                    t = time.perf_counter()
                    r = client.get(k["drilldown"] + "&page_size=50")
                    ms = (time.perf_counter() - t) * 1000
                    body = r.json()
                    ok = r.status_code == 200 and body["count"] == expected and body["count_exact"] is True
                    mismatches += not ok
                    row = {"viewer": username, "level": level, "unit": unit["unit"], "kpi": k["code"],
                           "expected": expected, "count": body.get("count"), "ok": ok, "ms": round(ms, 1)}
                    out["drilldowns"].append(row)  # type: ignore[union-attr]
                    print(f"{username:8} {level:11} {str(unit['unit'])[:18]:18} {k['code']:24} {expected:>9,} "
                          f"{body.get('count', -1):>9,} {'ok' if ok else 'MISMATCH'} {ms:8.0f} ms", flush=True)
        for name, url in (("dashboard page (/assessment/, station level)", f"/assessment/?period={args.period}&level=station"),
                          ("queue list API (50/page)", "/api/v1/work-orders/?page_size=50"),
                          ("queue web page", "/")):
            client.get(url)
            xs = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                r = client.get(url)
                xs.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, (url, r.status_code)
            out["pages"][f"{username}: {name}"] = {"p50_ms": round(pct(xs, 50), 1), "max_ms": round(max(xs), 1)}  # type: ignore[index]
            print(f"{username:8} {name:48} p50 {pct(xs, 50):8.0f} ms  max {max(xs):8.0f} ms", flush=True)
    times = [d["ms"] for d in out["drilldowns"]]  # type: ignore[union-attr]
    out["drilldown_ms_p50"] = round(pct(times, 50), 1)
    out["drilldown_ms_p99"] = round(pct(times, 99), 1)
    out["drilldown_ms_max"] = round(max(times), 1)
    out["mismatches"] = mismatches
    print(f"{len(times)} drill-downs: p50 {out['drilldown_ms_p50']} ms, p99 {out['drilldown_ms_p99']} ms, "
          f"max {out['drilldown_ms_max']} ms; mismatches: {mismatches}")
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
