#!/usr/bin/env python3
"""CPU cost per request of the three hot API paths, in-process (no HTTP server,
no profiler): single intake, bulk intake (per order) and the queue list GET for
several roles. Reports process CPU ms (this process: the app side incl. the
test client) and SQL statements per request. Uses DATABASE_URL when set, else a
throwaway SQLite file. Judge changes by these figures on a busy machine, not by
wall time.

    scripts/with-postgres.sh .venv/bin/python benchmarks/profile_paths.py [--intakes 200] [--bulk 2000] [--lists 30]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "griddesk.settings")
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "p.sqlite3")
os.environ.setdefault("GRIDDESK_DEBUG", "0")

import django

django.setup()
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--intakes", type=int, default=200)
ap.add_argument("--bulk", type=int, default=2000, help="orders, in requests of 500")
ap.add_argument("--lists", type=int, default=30)
args = ap.parse_args()

call_command("migrate", verbosity=0)
from griddesk.organisation.demo import build_demo_org  # noqa: E402

build_demo_org()


def client(username: str) -> Client:
    token, _ = Token.objects.get_or_create(user=get_user_model().objects.get(username=username))
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_HOST="127.0.0.1")


def item(i: int) -> dict:
    return {
        "external_id": "P" + uuid.uuid4().hex[:20], "type": "complaint", "channel": "95598",
        "received_at": "2026-11-20T10:00:00+08:00", "content": "客户反映本月电费比上月高出很多，要求核查。",
        "category": "business.tariff",
        "customer": {"account_no": f"33{i % 3000:08d}", "name": "张三", "phone": "13812341234", "address": "杭州市",
                     "category": "residential"},
    }


def measure(label: str, n: int, fn, per: int = 1) -> dict:
    fn()  # warm-up
    t0, w0 = time.process_time(), time.perf_counter()
    with CaptureQueriesContext(connection) as q:
        for _ in range(n):
            fn()
    cpu = (time.process_time() - t0) * 1000 / (n * per)
    row = {"path": label, "n": n * per, "cpu_ms": round(cpu, 3), "queries": round(len(q) / n, 1),
           "wall_ms": round((time.perf_counter() - w0) * 1000 / (n * per), 3)}
    print(json.dumps(row), flush=True)
    return row


agent = client("agent")
counter = iter(range(10**9))


def one() -> None:
    r = agent.post("/api/v1/work-orders/", data=json.dumps(item(next(counter))), content_type="application/json")
    assert r.status_code in (200, 201), r.content[:300]


def bulk() -> None:
    body = json.dumps({"orders": [item(next(counter)) for _ in range(500)]})
    r = agent.post("/api/v1/work-orders/bulk/", data=body, content_type="application/json")
    assert r.status_code == 200 and r.json()["errors"] == 0, r.content[:300]


rows = [measure("intake single", args.intakes, one)]
rows.append(measure("intake bulk (per order, 500/request)", max(1, args.bulk // 500), bulk, per=500))
for username in ("agent", "specialist", "manager"):
    c = client(username)

    def lst(c: Client = c) -> None:
        r = c.get("/api/v1/work-orders/?page_size=50")
        assert r.status_code == 200, r.content[:300]

    rows.append(measure(f"queue list ({username}, 50/page)", args.lists, lst))
# The floor: a bare DRF view behind the same middleware and token authentication,
# (a) GET returning a tiny dict, (b) POST parsing the intake body and echoing it.
import types  # noqa: E402

from django.test import override_settings  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402


class _Bare(APIView):
    def get(self, request):  # type: ignore[no-untyped-def]
        return Response({"ok": True})

    def post(self, request):  # type: ignore[no-untyped-def]
        return Response(dict(request.data), status=201)


_urls = types.ModuleType("bench_bare_urls")
_urls.urlpatterns = [path("bare/", _Bare.as_view())]  # type: ignore[attr-defined]
sys.modules["bench_bare_urls"] = _urls
with override_settings(ROOT_URLCONF="bench_bare_urls"):
    rows.append(measure("bare DRF GET (token auth, tiny JSON)", args.lists * 5, lambda: agent.get("/bare/")))
    body = json.dumps(item(0))
    rows.append(measure("bare DRF POST (parse intake body, echo)", args.lists * 5,
                        lambda: agent.post("/bare/", data=body, content_type="application/json")))
from griddesk.workorders.models import WorkOrder  # noqa: E402

print(f"# {WorkOrder.objects.count()} orders in the database ({connection.vendor})", file=sys.stderr)
