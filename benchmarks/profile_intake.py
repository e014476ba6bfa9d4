#!/usr/bin/env python3
"""Profile the single-order intake path in-process (no HTTP server): CPU ms per
request and the top functions by cumulative time. Uses DATABASE_URL when set,
else a throwaway SQLite file.

    .venv/bin/python benchmarks/profile_intake.py [N] [--list]
"""
from __future__ import annotations

import cProfile
import os
import pstats
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
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

call_command("migrate", verbosity=0)
from griddesk.organisation.demo import build_demo_org  # noqa: E402

build_demo_org()
from django.contrib.auth import get_user_model  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

user = get_user_model().objects.get(username="agent")
token, _ = Token.objects.get_or_create(user=user)
c = Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_HOST="127.0.0.1")
N = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 300


def payload() -> str:
    import json

    return json.dumps({
        "external_id": "P" + uuid.uuid4().hex[:20], "type": "complaint", "channel": "95598",
        "received_at": "2026-11-20T10:00:00+08:00", "content": "客户反映本月电费比上月高出很多，要求核查。",
        "category": "business.tariff",
        "customer": {"account_no": "33" + uuid.uuid4().hex[:8].translate(str.maketrans("abcdef", "123456")), "name": "张三", "phone": "13812341234", "address": "杭州市", "category": "residential"},
    })


def once() -> None:
    r = c.post("/api/v1/work-orders/", data=payload(), content_type="application/json")
    assert r.status_code in (200, 201), r.content[:500]


for _ in range(20):
    once()
prof = cProfile.Profile(time.process_time) if os.environ.get("PROF_CPU") else cProfile.Profile()
t0 = time.process_time()
w0 = time.perf_counter()
prof.enable()
for _ in range(N):
    once()
prof.disable()
cpu = (time.process_time() - t0) / N * 1000
print(f"{N} intakes: {cpu:.2f} ms CPU/request (this process, incl. test client), wall {(time.perf_counter()-w0)/N*1000:.2f} ms")
st = pstats.Stats(prof)
st.sort_stats("cumulative").print_stats(45)
