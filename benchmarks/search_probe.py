#!/usr/bin/env python3
"""Time each SQL statement of one list request per role and EXPLAIN (ANALYZE, BUFFERS) the slow ones:

    DATABASE_URL=... .venv/bin/python benchmarks/search_probe.py 表箱 [agent,specialist,marketing,manager]

(EXPLAIN=0: timings only). How benchmarks/search-1m-dense-before.txt was taken."""
import os
import sys
import time

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "griddesk.settings")
os.environ.setdefault("GRIDDESK_LOG_LEVEL", "ERROR")
os.environ.setdefault("GRIDDESK_DEBUG", "0")
import django

django.setup()
from django.conf import settings  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

q = sys.argv[1]
roles = sys.argv[2].split(",") if len(sys.argv) > 2 else ["agent", "specialist", "marketing", "manager"]
explain = os.environ.get("EXPLAIN", "1") == "1"
for username in roles:
    user = get_user_model().objects.get(username=username)
    token, _ = Token.objects.get_or_create(user=user)
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    c.get("/api/v1/work-orders/", {"q": q, "page_size": 25})
    log = []

    def wrap(execute, sql, params, many, context, log=log):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            log.append(((time.perf_counter() - t) * 1000, sql, params))

    t = time.perf_counter()
    with connection.execute_wrapper(wrap):
        r = c.get("/api/v1/work-orders/", {"q": q, "page_size": 25})
    total = (time.perf_counter() - t) * 1000
    j = r.json()
    print(f"=== {username} {q}: {total:.0f} ms, count {j['count']} exact {j['count_exact']}, {len(j['results'])} rows, first {[o['number'] for o in j['results'][:3]]}")
    for ms, sql, _params in log:
        print(f"  {ms:8.1f} ms  {sql[:160]}")
    if explain:
        for ms, sql, params in log:
            if ms > 30 and sql.lstrip().upper().startswith("SELECT"):
                with connection.cursor() as cur:
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                    print(f"--- {ms:.0f} ms: {sql[:300]}\n" + "\n".join(r[0] for r in cur.fetchall()))
