#!/usr/bin/env python3
"""The Python-side floor of a bulk intake, per order, with no database write:
the stages every order passes whatever the storage does — JSON decoding of the
request body, validation (``parse_intake_items``: IntakeSerializer, one instance),
building the order (grading suggestion, SLA deadline, stage clock, repeat
detection: ``services._build_order``) and its ``create`` event. CPU µs per
order for each stage, on one core. If these alone exceed 200 µs, 10,000
orders/s cannot be reached on two cores by this code, however the rows are
written. Uses DATABASE_URL when set, else a throwaway SQLite file (only the
reads of reference data touch it).

    .venv/bin/python benchmarks/intake_floor.py [--orders 5000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "griddesk.settings")
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "f.sqlite3")
os.environ.setdefault("GRIDDESK_DEBUG", "0")

import django

django.setup()
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load import intake_body  # noqa: E402  (the same bodies as the HTTP benchmark)

ap = argparse.ArgumentParser()
ap.add_argument("--orders", type=int, default=5000)
ap.add_argument("--repeat", type=int, default=3)
args = ap.parse_args()

call_command("migrate", verbosity=0)
from griddesk.organisation.access import actor_for  # noqa: E402
from griddesk.organisation.demo import build_demo_org  # noqa: E402
from griddesk.workorders import services  # noqa: E402
from griddesk.workorders.serializers import parse_intake_items  # noqa: E402

build_demo_org()
actor = actor_for(get_user_model().objects.get(username="agent"))
dept = services._intake_department(actor)
rng = random.Random(7)
body = json.dumps({"orders": [intake_body(rng, f"F-{i}", []) for i in range(args.orders)]}, ensure_ascii=False).encode()


def per_order(fn) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(args.repeat):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best / args.orders * 1e6


decoded = json.loads(body)["orders"]
parsed = parse_intake_items(decoded)
assert all(isinstance(p, services.IntakeData) for p in parsed)
ctx = services._IntakeContext(parsed)  # reference data and (no) customers: reads only
for p in parsed:
    if p.customer is not None:  # as if every customer existed (no INSERT): the build alone
        from griddesk.customers.models import Customer

        ctx.customers.setdefault(p.customer.account_no, Customer(pk=1, account_no=p.customer.account_no, name="x"))


def build() -> None:
    for i, p in enumerate(parsed):
        o = services._build_order(ctx, actor, p, f"TS20261129{i:06d}", dept)
        o.pk = i + 1
        services._create_event(o, actor, action="create", from_state="", to_state=o.state, data={"bulk": True})


stages = {
    "json.loads of the request body": per_order(lambda: json.loads(body)),
    "validation (parse_intake_items)": per_order(lambda: parse_intake_items(decoded)),
    "build order + event (grading, SLA, stage clock)": per_order(build),
}
total = sum(stages.values())
print(f"{args.orders} orders, best of {args.repeat}, CPU µs per order on one core "
      f"({datetime.now(UTC) + timedelta(hours=8):%Y-%m-%d %H:%M} Asia/Shanghai):")
for k, v in stages.items():
    print(f"  {k:<50} {v:8.1f}")
print(f"  {'total, before any database write':<50} {total:8.1f}  → at most {2e6 / total:,.0f} orders/s on two cores")
