#!/usr/bin/env python3
"""EXPLAIN ANALYZE of what the queue list and order detail endpoints run, per role.

Run with DATABASE_URL set (benchmarks/run.sh does): prints, for agent,
specialist and manager, the SQL statements one ``GET /api/v1/work-orders/?page_size=50``
issues (with their time), and the plans of the slowest ones.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "griddesk.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from griddesk.workorders.models import WorkOrder  # noqa: E402


def explain(sql: str, params: object = None) -> str:
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, TIMING ON) " + sql, params)
        return "\n".join(r[0] for r in cur.fetchall())


def main() -> None:
    host = settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else "localhost"
    print(f"orders: {WorkOrder.objects.count():,}")
    for role in ("agent", "specialist", "manager"):
        user = get_user_model().objects.get(username=role)
        token, _ = Token.objects.get_or_create(user=user)
        client = Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_HOST=host)
        client.get("/api/v1/work-orders/?page_size=50")  # warm
        for path in ("/api/v1/work-orders/?page_size=50",):
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                r = client.get(path)
                el = (time.perf_counter() - t) * 1000
            print()
            print("=" * 100)
            print(f"{role}: GET {path} -> {r.status_code} in {el:.1f} ms, {len(ctx.captured_queries)} SQL statements")
            for q in ctx.captured_queries:
                print(f"  {float(q['time']) * 1000:8.1f} ms  {q['sql'][:160]}")
            slow = sorted(ctx.captured_queries, key=lambda q: float(q["time"]), reverse=True)[:2]
            for q in slow:
                if not q["sql"].lstrip().upper().startswith("SELECT"):
                    continue
                print()
                print(f"-- EXPLAIN ANALYZE ({float(q['time']) * 1000:.1f} ms in the request):")
                print(q["sql"])
                print(explain(q["sql"]))
    number = WorkOrder.objects.filter(state="investigating").values_list("number", flat=True).first()
    if number:
        user = get_user_model().objects.get(username="agent")
        token, _ = Token.objects.get_or_create(user=user)
        client = Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_HOST=host)
        client.get(f"/api/v1/work-orders/{number}/")
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            r = client.get(f"/api/v1/work-orders/{number}/")
            el = (time.perf_counter() - t) * 1000
        print()
        print("=" * 100)
        print(f"agent: GET /api/v1/work-orders/{number}/ -> {r.status_code} in {el:.1f} ms, {len(ctx.captured_queries)} SQL statements")
        for q in ctx.captured_queries:
            print(f"  {float(q['time']) * 1000:8.1f} ms  {q['sql'][:160]}")


if __name__ == "__main__":
    main()
