#!/usr/bin/env python3
"""What each hand-written part of the intake buys over the plain ORM (issue 14,
ADR 0016 revisited): CPU per intake with the part as it is in the code and with
the part swapped for its plain-ORM equivalent, in the same process, variants
taking turns call by call; the median call is reported.

Parts (each swapped on its own, and all together):

* ``insert``   — ``common.rows.insert`` (INSERT SQL cached per model, prepared on
                 PostgreSQL) vs ``Model.save(force_insert=True)`` (a new customer:
                 in a savepoint, IntegrityError → the existing row);
* ``new``      — ``common.rows.new`` (positional constructor) vs ``Model(**kw)``;
* ``build``    — ``common.rows.columns/build`` (hand-written joined SELECTs on the
                 prepared cursor: the token's actor, the intake's customers with
                 station and company, the latest earlier orders) vs ORM querysets
                 (``select_related``, a window filter);
* ``validate`` — ``serializers._fast_intake`` (plain-Python twin of
                 ``IntakeSerializer``) vs the serializer alone (one cached instance);
* ``render``   — ``WorkOrderSerializer.to_representation`` (hand-planned twin) vs
                 DRF's ``ModelSerializer.to_representation``.

Requests (in-process Django test client: middleware, DRF, token auth, no HTTP
server), each call timed on its own, variants taking turns call by call: a single intake ``POST /api/v1/work-orders/``, the same intake through
the service only (``parse_intake`` + ``work_order_intake`` + the reply's
rendering), the bulk intake (``POST …/bulk/``, 500 orders) per order, and an
order's ``GET`` and a 50-order list page (for the rendering twin). Half the
intakes name an existing customer (with a supply station), half a new one.

CPU: ``time.process_time`` of this process (app side incl. the test client)
and, on PostgreSQL when the server is local, the backend's run time from
/proc/PID/schedstat (database side). Uses DATABASE_URL when set, else a throwaway SQLite file.

    scripts/with-postgres.sh .venv/bin/python benchmarks/rows_parts.py [--n 200] [--bulk 500] [--bulk-calls 15]
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "griddesk.settings")
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "r.sqlite3")
os.environ.setdefault("GRIDDESK_DEBUG", "0")

import django

django.setup()
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import IntegrityError, connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=200, help="single intakes (and GETs) per variant")
ap.add_argument("--bulk", type=int, default=500, help="orders per bulk request")
ap.add_argument("--bulk-calls", type=int, default=15, help="bulk requests per variant")
ap.add_argument("--parts", default="insert,new,build,validate,render,all")
args = ap.parse_args()

call_command("migrate", verbosity=0)
from griddesk.common import rows  # noqa: E402
from griddesk.customers.models import Customer  # noqa: E402
from griddesk.organisation.access import actor_for  # noqa: E402
from griddesk.organisation.demo import build_demo_org  # noqa: E402
from griddesk.organisation.models import Department, DepartmentType  # noqa: E402
from griddesk.workorders import apis, serializers, services  # noqa: E402

build_demo_org()
User = get_user_model()
stations = list(Department.objects.filter(type=DepartmentType.POWER_STATION).order_by("pk"))
POOL = [f"36{i:08d}" for i in range(3000)]
if not Customer.objects.filter(account_no=POOL[0]).exists():
    Customer.objects.bulk_create(
        [Customer(account_no=a, name="李四", phone="13900000000", station=stations[i % len(stations)]) for i, a in enumerate(POOL)]
    )
agent_user = User.objects.get(username="agent")
token, _ = Token.objects.get_or_create(user=agent_user)
agent = Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_HOST="127.0.0.1")
seq = iter(range(10**9))


def item() -> dict[str, Any]:
    i = next(seq)
    account = POOL[i % len(POOL)] if i % 2 else f"37{uuid.uuid4().int % 10**8:08d}"
    received = datetime.now(UTC) - timedelta(minutes=i % 600)
    return {
        "external_id": "R" + uuid.uuid4().hex[:20], "type": "complaint", "channel": "95598",
        "received_at": received.isoformat(), "content": "客户反映本月电费比上月高出很多，要求核查。",
        "category": "business.tariff",
        "customer": {"account_no": account, "name": "张三", "phone": "13812341234", "address": "江城市东湖路88号",
                     "category": "residential"},
    }


# ------------------------------------------------------------------ the plain-ORM equivalents


def orm_insert(obj: Any, *, on_conflict: str | None = None) -> bool:
    if on_conflict is None:
        obj.save(force_insert=True)
        return True
    try:
        with transaction.atomic():
            obj.save(force_insert=True)
    except IntegrityError:
        obj.pk = None
        return False
    return True


def orm_new(model: Any, **values: Any) -> Any:
    return model(**values)


def orm_actor_by_token(key: str) -> Any:
    from griddesk.organisation.access import attach_actor
    from griddesk.organisation.models import StaffProfile

    t = Token.objects.select_related("user__staff__department").filter(key=key).first()
    if t is None:
        return None
    user = t.user
    try:
        profile = user.staff
    except StaffProfile.DoesNotExist:
        profile = None
    actor = attach_actor(user, profile.role if profile else None, profile.department if profile else None)
    return user, actor


def orm_customers_for_intake(account_nos: Any) -> dict[str, Any]:
    from griddesk.organisation.models import COMPANY_TYPES

    accounts = list(dict.fromkeys(account_nos))
    out: dict[str, Any] = {}
    for start in range(0, len(accounts), 500):
        found = list(Customer.objects.select_related("station").filter(account_no__in=accounts[start:start + 500]))
        paths = {c.station_id: [int(p) for p in c.station.path.strip("/").split("/") if p] for c in found if c.station_id}
        ids = {i for p in paths.values() for i in p}
        companies = Department.objects.in_bulk([i for i in ids], field_name="pk") if ids else {}
        companies = {k: v for k, v in companies.items() if v.type in COMPANY_TYPES}
        for c in found:
            company = None
            if c.station_id:
                company = next((companies[i] for i in reversed(paths[c.station_id]) if i in companies), c.station)
            out[c.account_no] = (c, company)
    return out


def orm_recent_orders(customer_ids: list[int], category_ids: list[int], since: datetime) -> list[Any]:
    from django.db.models import F, Window
    from django.db.models.functions import RowNumber

    from griddesk.engines.workflow import State
    from griddesk.workorders.models import WorkOrder

    out: list[Any] = []
    for start in range(0, len(customer_ids), 500):
        qs = (WorkOrder.objects.filter(customer_id__in=customer_ids[start:start + 500], category_id__in=category_ids,
                                       received_at__gte=since)
              .exclude(state__in=[State.INVALID.value, State.MERGED.value]).only(*services._RECENT_FIELDS))
        if len(customer_ids) == 1 and len(category_ids) == 1:
            out.extend(qs.order_by("-received_at", "-id")[:1])
        else:
            out.extend(qs.annotate(rn=Window(RowNumber(), partition_by=[F("customer_id"), F("category_id")],
                                             order_by=[F("received_at").desc(), F("id").desc()])).filter(rn=1))
    out.sort(key=lambda o: o.received_at)
    return out


_plain_intake = serializers.IntakeSerializer()


def orm_parse_intake(item: Any) -> Any:
    from rest_framework.exceptions import ValidationError

    try:
        return serializers.IntakeSerializer.intake_data(_plain_intake.run_validation(item))
    except ValidationError as exc:
        raise ValidationError(exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}) from None


@contextmanager
def patched(target: Any, name: str, value: Any):  # type: ignore[no-untyped-def]
    old = getattr(target, name)
    setattr(target, name, value)
    try:
        yield
    finally:
        setattr(target, name, old)


from rest_framework import serializers as drf  # noqa: E402

import griddesk.organisation.selectors as org_selectors  # noqa: E402

PATCHES: dict[str, list[tuple[Any, str, Any]]] = {
    "insert": [(rows, "insert", orm_insert)],
    "new": [(rows, "new", orm_new)],
    "build": [(org_selectors, "actor_by_token", orm_actor_by_token),
              (services, "customers_for_intake", orm_customers_for_intake),
              (services, "_recent_orders", orm_recent_orders)],
    # the three reads of ``build`` one at a time
    "build-token": [(org_selectors, "actor_by_token", orm_actor_by_token)],
    "build-customers": [(services, "customers_for_intake", orm_customers_for_intake)],
    "build-recent": [(services, "_recent_orders", orm_recent_orders)],
    "validate": [(serializers, "parse_intake", orm_parse_intake), (apis, "parse_intake", orm_parse_intake),
                 (serializers, "_fast_intake", lambda item, field: None)],
    "render": [(serializers.WorkOrderSerializer, "to_representation", drf.ModelSerializer.to_representation)],
}
# A part already gone from the code (ADR 0016 "Revisited") is the plain version in every variant.
PATCHES = {k: v for k, v in PATCHES.items() if all(hasattr(t, a) for t, a, _v in v[:1])}
if "validate" in PATCHES and not hasattr(serializers, "_fast_intake"):
    del PATCHES["validate"]
PATCHES["all"] = [p for k in ("insert", "new", "build", "validate", "render") for p in PATCHES.get(k, [])]


@contextmanager
def variant(name: str):  # type: ignore[no-untyped-def]
    with ExitStack() as stack:
        for target, attr, value in PATCHES.get(name, []):
            stack.enter_context(patched(target, attr, value))
        yield


# ------------------------------------------------------------------ measuring

_backend: int | None = None
if connection.vendor == "postgresql":
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        _backend = cur.fetchone()[0]
    if not os.path.exists(f"/proc/{_backend}/schedstat"):
        _backend = None


def db_cpu() -> float:
    """Seconds of CPU the backend has used (``/proc/PID/schedstat``: nanoseconds)."""
    if _backend is None:
        return 0.0
    with open(f"/proc/{_backend}/schedstat") as f:
        return int(f.read().split()[0]) / 1e9


def single_api() -> None:
    r = agent.post("/api/v1/work-orders/", data=json.dumps(item()), content_type="application/json")
    assert r.status_code == 201, r.content[:300]


actor = actor_for(agent_user)


def single_service() -> None:
    body = json.loads(json.dumps(item()))
    data = serializers.parse_intake(body)

    def render(order: Any) -> None:
        serializers.render_orders(agent_user, actor, order, detail=True, via="api", many=False, lead_codes={order.pk: []})

    services.work_order_intake(actor=actor, data=data, on_created=render)


def bulk() -> None:
    body = json.dumps({"orders": [item() for _ in range(args.bulk)]})
    r = agent.post("/api/v1/work-orders/bulk/", data=body, content_type="application/json")
    assert r.status_code == 200 and r.json()["errors"] == 0, r.content[:300]


last_number: list[str] = []


def detail() -> None:
    r = agent.get(f"/api/v1/work-orders/{last_number[0]}/")
    assert r.status_code == 200, r.content[:300]


def listing() -> None:
    r = agent.get("/api/v1/work-orders/?page_size=50")
    assert r.status_code == 200, r.content[:300]


REQUESTS: list[tuple[str, Callable[[], None], int, int]] = [
    # (label, fn, calls per variant, orders per call)
    ("single intake, API", single_api, args.n, 1),
    ("single intake, service", single_service, args.n, 1),
    ("bulk intake, API (per order)", bulk, args.bulk_calls, args.bulk),
    ("order GET", detail, args.n, 1),
    ("list page of 50", listing, max(1, args.n // 4), 1),
]
VARIANTS = ["base", *[p for p in args.parts.split(",") if p in PATCHES]]

from griddesk.workorders.models import WorkOrder  # noqa: E402

single_api()
last_number.append(WorkOrder.objects.order_by("-pk").values_list("number", flat=True).first())
for v in VARIANTS:  # warm-up: every variant's caches and statements
    with variant(v):
        for _label, fn, _n, _per in REQUESTS:
            fn()

# Each call is timed on its own (process CPU: ns resolution); the variants take
# turns call by call, in a rotating order, so a busy spell of the shared machine
# hits them alike; the median call is reported (app and database each).
app: dict[tuple[str, str], list[float]] = {}
dbt: dict[tuple[str, str], list[float]] = {}
for label, fn, n, per in REQUESTS:
    for k in range(n):
        turn = VARIANTS[k % len(VARIANTS):] + VARIANTS[:k % len(VARIANTS)]
        for v in turn:
            with variant(v):
                if per > 1:
                    gc.collect()
                t0, d0 = time.process_time(), db_cpu()
                fn()
                app.setdefault((label, v), []).append((time.process_time() - t0) * 1000 / per)
                dbt.setdefault((label, v), []).append((db_cpu() - d0) * 1000 / per)
    print(f"# {label}: {n} calls per variant, load {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)

print(f"# {connection.vendor}, median CPU ms per call (per order for bulk) over the calls; app = this process, "
      f"db = the PostgreSQL backend; saved = (plain - as is) / plain, of app + db; "
      f"{WorkOrder.objects.count()} orders at the end; load average {os.getloadavg()[0]:.1f}")
for label, _fn, n, _per in REQUESTS:
    b_app = statistics.median(app[(label, "base")])
    b_db = statistics.median(dbt[(label, "base")])
    row: dict[str, Any] = {"request": label, "calls": n, "as_is": {"app": round(b_app, 3), "db": round(b_db, 3)}}
    for v in VARIANTS[1:]:
        xs = app[(label, v)]
        a, d = statistics.median(xs), statistics.median(dbt[(label, v)])
        q1, q3 = statistics.quantiles(xs, n=4)[0], statistics.quantiles(xs, n=4)[2]
        row[v] = {"app": round(a, 3), "app_iqr": [round(q1, 3), round(q3, 3)], "db": round(d, 3),
                  "saved_pct": round(100 * ((a + d) - (b_app + b_db)) / (a + d), 1)}
    print(json.dumps(row, ensure_ascii=False), flush=True)
