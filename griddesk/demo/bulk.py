"""Scaled demo data for benchmarks: hundreds of thousands of orders in minutes.

The rows follow the same rules as the services, computed in bulk instead of
one transaction per action:

* numbers ``TS20261001000123`` come from the same ``NumberSequence`` rows,
  advanced by a whole block per (prefix, day) under a row lock, so later
  intake continues after them;
* the suggested grade comes from the editable grading rules, the handling
  deadline from ``bulk_working_day_deadlines`` on the official calendar, the
  lead departments from the routing rules and the order's company (the
  customer's supply station's company);
* every order gets the complete event log of its journey (create, forward,
  grade, dispatch, … up to its present state, ``seq`` 1…version) plus its lead
  assignments, station tasks, reports, return visits and assessments, so the
  API and the services can carry on with any of them.

On PostgreSQL rows are streamed with binary ``COPY … FROM STDIN`` (psycopg 3)
and the primary keys are taken from the tables' sequences beforehand; for big
loads a writer thread COPYs batch N while batch N+1 is generated (see
``_Writer``). Elsewhere (SQLite in tests) the same rows go through
``executemany``. Each batch of orders is one transaction.

Measured: 1,000,000 orders with 10.3 million events in about 7 minutes on two
cores (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import json
import queue
import random
import threading
import time
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import F, ForeignObjectRel
from psycopg.adapt import Dumper
from psycopg.pq import Format

from griddesk.customers.models import Customer
from griddesk.engines import grading, routing, workdays
from griddesk.organisation.models import Department
from griddesk.workorders import rules, services
from griddesk.workorders.models import (
    ESCALATED_CHANNELS,
    Assessment,
    Category,
    LeadAssignment,
    NumberSequence,
    OrderType,
    Report,
    ReturnVisit,
    StationTask,
    WorkOrder,
    WorkOrderEvent,
)

from . import data as D
from .clock import real_now
from .journey import Step, gaps_seconds, journey
from .org import DemoContext

BULK_EXT_PREFIX = "DEMO-B"
BULK_ACCOUNT_PREFIX = "72"

#: Calls per local hour of day (95598 traffic: quiet nights, peaks mid-morning and afternoon).
HOUR_WEIGHTS = (1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.5, 3, 6, 8, 8, 7, 5, 6, 7, 7, 6, 5, 5, 6, 5, 4, 3, 2)
_HOUR_CUM = list(accumulate(HOUR_WEIGHTS))

_TEMPLATES = 1500
#: From this many orders on (PostgreSQL, outside a transaction) COPY runs in a writer thread.
PIPELINE_MIN = 20000
_VARIANTS = 6


# ------------------------------------------------------------------ writing rows


def _concrete(field: models.Field[Any, Any] | ForeignObjectRel) -> models.Field[Any, Any]:
    """``field`` as a column's field (``get_field`` also answers with reverse relations)."""
    if not isinstance(field, models.Field):
        raise TypeError(f"{field!r} is a reverse relation, not a column")
    return field


def _column(field: models.Field[Any, Any]) -> str:
    if field.column is None:
        raise TypeError(f"{field!r} has no column")
    return field.column


class TableWriter:
    """Writes tuples into one model's table: COPY on PostgreSQL, executemany elsewhere.

    ``attnames`` are the columns the loader fills; any other concrete column
    (added by a later migration) gets its model default so the loader keeps
    working as the schema grows.
    """

    def __init__(self, model: type[models.Model], attnames: Sequence[str]) -> None:
        meta = model._meta
        self.model = model
        self.fields = [_concrete(meta.get_field(a)) for a in attnames]
        extra = []
        for f in meta.concrete_fields:
            if f.attname in attnames or f.primary_key:
                continue
            extra.append((f, f.get_default()))
        self.fields += [f for f, _ in extra]
        self.json = [isinstance(f, models.JSONField) for f in self.fields]
        self.extra = tuple(json.dumps(v, ensure_ascii=False) if isinstance(f, models.JSONField) else v for f, v in extra)
        self.columns = [_column(f) for f in self.fields]
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        self.table = connection.ops.quote_name(meta.db_table)
        self.copy_sql = f"COPY {self.table} ({cols}) FROM STDIN"
        self.insert_sql = f"INSERT INTO {self.table} ({cols}) VALUES ({', '.join(['%s'] * len(self.fields))})"

    def _column_types(self, cur: Any) -> list[int]:
        # Binary COPY needs the exact type of every column: ask the catalogue.
        cur.execute(
            "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [self.model._meta.db_table],
        )
        oids = dict(cur.fetchall())
        return [oids[c] for c in self.columns]

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        """JSON columns arrive as JSON text."""
        if not rows:
            return
        extra = self.extra
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                # Binary COPY: about twice as fast as text, on both ends.
                raw = getattr(cur, "cursor", cur)
                raw.adapters.register_dumper(_JsonText, _JsonTextBinaryDumper)
                types = self._column_types(cur)
                with raw.copy(self.copy_sql + " (FORMAT BINARY)") as cp:
                    cp.set_types(types)
                    write_row = cp.write_row
                    if extra:
                        for r in rows:
                            write_row(r + extra)
                    else:
                        for r in rows:
                            write_row(r)
                return
            prepped = []
            for r in rows:
                vals = []
                for f, is_json, v in zip(self.fields, self.json, r + extra):
                    if is_json and isinstance(v, str):
                        v = json.loads(v)
                    vals.append(f.get_db_prep_save(v, connection))
                prepped.append(tuple(vals))
            cur.executemany(self.insert_sql, prepped)


class _JsonText(str):
    """Marker type; its dumper (registered per cursor) takes over the jsonb OID."""


class _JsonTextBinaryDumper(Dumper):
    """JSON *text* into a jsonb column in binary COPY: version byte 1 + the text
    (psycopg's own jsonb dumper would serialise a ``str`` as a JSON string)."""

    format = Format.BINARY
    oid = 3802  # jsonb

    def dump(self, obj: Any) -> bytes:
        return b"\x01" + (obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)).encode()


def reserve_ids(model: type[models.Model], n: int) -> list[int]:
    """``n`` primary keys nobody else will get (call inside the inserting transaction)."""
    if n <= 0:
        return []
    table = model._meta.db_table
    pk = _column(model._meta.pk)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, n])
            return sorted(r[0] for r in cur.fetchall())
        # SQLite: the write lock is held (BEGIN IMMEDIATE), so MAX+1… is ours.
        cur.execute(f"SELECT COALESCE(MAX({connection.ops.quote_name(pk)}), 0) FROM {connection.ops.quote_name(table)}")
        start = cur.fetchone()[0] + 1
        return list(range(start, start + n))


def reserve_numbers(counts: dict[str, int]) -> dict[str, int]:
    """Advance ``NumberSequence`` by ``counts[key]`` per key; return the first number of each block.

    Same counter rows and lock as ``services._allocate_numbers``: intake running
    concurrently waits for this transaction and continues after the block.
    """
    keys = sorted(counts)
    NumberSequence.objects.bulk_create([NumberSequence(key=k) for k in keys], ignore_conflicts=True)
    # Lock in key order, so two loaders (or a loader and bulk intake) cannot deadlock on each other.
    last = dict(NumberSequence.objects.select_for_update().filter(key__in=keys).order_by("key").values_list("key", "last"))
    for k in keys:
        NumberSequence.objects.filter(key=k).update(last=F("last") + counts[k])
    return {k: last[k] + 1 for k in keys}


class _Writer:
    """A thread with its own connection that writes (COPYs) batches, one
    transaction each, while the loader generates the next batch.

    For big loads it switches its session to ``session_replication_role =
    replica`` when allowed (superuser, as in the benchmark's throwaway
    server): that skips the per-row foreign-key triggers, which otherwise take
    half the load time. The rows reference only the ids the loader itself
    reserved or read, and the same generator runs with the checks on in the
    tests. Without the privilege the checks simply stay on.
    """

    def __init__(self, loader: BulkLoader, *, replica: bool) -> None:
        self.loader = loader
        self.replica = replica
        self.fk_checks = True
        self.write_seconds = 0.0
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="demo-bulk-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            if self.replica:
                try:
                    with transaction.atomic(), connection.cursor() as cur:
                        cur.execute("SET session_replication_role = replica")
                    self.fk_checks = False
                except Exception:  # noqa: BLE001 - not a superuser: keep the checks
                    self.fk_checks = True
            while True:
                item = self.queue.get()
                if item is None:
                    return
                if self.error is None:
                    t = time.monotonic()
                    with transaction.atomic():
                        self.loader.write(item)
                    self.write_seconds += time.monotonic() - t
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            self.error = exc
            while self.queue.get() is not None:  # drain so put() never blocks forever
                pass
        finally:
            connection.close()

    def put(self, tables: Any) -> None:
        if self.error is not None:
            raise RuntimeError("bulk writer failed") from self.error
        self.queue.put(tables)

    def finish(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise RuntimeError("bulk writer failed") from self.error


# ------------------------------------------------------------------ templates


@dataclass(slots=True)
class Template:
    """A journey with its timing: ``cum[0]`` is the intake delay, ``cum[i]`` the
    offset (seconds after receipt) of step ``i``."""

    kind: str
    steps: tuple[Step, ...]
    cum: tuple[int, ...]
    override: bool
    #: index of the grade step (None: the journey never grades)
    grade_idx: int | None
    #: per prefix length k (steps done): (station tasks, reports, visits, assessments)
    needs: tuple[tuple[int, int, int, int], ...]


def _templates(seed: int, station: bool) -> list[Template]:
    rng = random.Random(f"{seed}-templates-{station}")
    kinds = ("normal", "returned", "revisit", "mgr_reopen", "invalid", "merged")
    weights = (84, 3, 4, 1, 5, 3)
    out = []
    for _ in range(_TEMPLATES):
        kind = rng.choices(kinds, weights)[0]
        steps = journey(rng, kind, station=station and rng.random() < 0.45, urge=rng.random() < 0.06, forward_first=rng.random() < 0.6)
        slow = rng.lognormvariate(0, 0.45)
        stall_at = rng.randrange(len(steps)) if rng.random() < 0.06 else None
        gaps = gaps_seconds(rng, steps, slow=slow, stall_at=stall_at, stall=rng.uniform(10, 60))
        cum = tuple(accumulate(gaps))
        needs = [(0, 0, 0, 0)]
        t = r = v = a = 0
        for s in steps:
            t += s.action == "assign_station"
            r += s.action == "submit_report"
            v += s.action == "return_visit"
            a += s.action == "assess"
            needs.append((t, r, v, a))
        grade_idx = next((i for i, s in enumerate(steps) if s.action == "grade"), None)
        out.append(Template(kind, tuple(steps), cum, rng.random() < 0.1, grade_idx, tuple(needs)))
    return out


# ------------------------------------------------------------------ the loader


@dataclass(slots=True)
class _Pooled:
    id: int
    station_id: int | None
    company_id: int
    sensitive: bool
    place: int  # index into the variant pools (-1: city)


def _b(v: bool) -> str:
    return "true" if v else "false"


class BulkLoader:
    def __init__(self, ctx: DemoContext, *, seed: int = 95598, days: int = 60, batch: int = 20000, log: Callable[[str], None] | None = None) -> None:
        self.ctx = ctx
        self.seed = seed
        self.days = max(1, days)
        self.batch = max(100, batch)
        self.log = log or (lambda msg: None)
        self.pg = connection.vendor == "postgresql"
        self.tz = ZoneInfo(settings.TIME_ZONE)

    # customers -----------------------------------------------------------

    def ensure_customers(self, n: int) -> int:
        """Top the bulk customers up to ``n``; return how many were added."""
        qs = Customer.objects.filter(account_no__startswith=BULK_ACCOUNT_PREFIX)
        last = qs.order_by("-account_no").values_list("account_no", flat=True).first()
        have = int(last[len(BULK_ACCOUNT_PREFIX):]) if last else 0
        if have >= n:
            return 0
        # keyed by the place's station code (a place without a station has none)
        stations: dict[str | None, Department] = {p.station_code: self.ctx.org.departments[p.station_code] for p in D.STATION_PLACES if p.station_code in self.ctx.org.departments}
        places = [p for p in D.STATION_PLACES if p.station_code in stations]
        rng = random.Random(f"{self.seed}-bulk-customers-{have}")
        now = real_now()
        w = TableWriter(
            Customer,
            ["account_no", "name", "phone", "address", "id_number", "category", "voltage_level", "station_id", "sensitive", "created_at"],
        )
        cats = rng.choices(D.CUSTOMER_CATEGORIES, D.CUSTOMER_CATEGORY_WEIGHTS, k=n - have)
        rows = []
        for i, cat in zip(range(have + 1, n + 1), cats):
            place = places[rng.randrange(len(places))]
            rows.append(
                (
                    f"{BULK_ACCOUNT_PREFIX}{i:08d}", D.customer_name(rng, cat, place), D.customer_phone(rng, cat),
                    D.address(rng, place, cat), D.id_number(rng, place.area_code) if cat == "residential" else "",
                    cat, D.voltage_level(rng, cat), stations[place.station_code].pk,
                    rng.random() < D.SENSITIVE_SHARE[cat], now,
                )
            )
            if len(rows) >= 50000:
                with transaction.atomic():
                    w.write(rows)
                rows = []
        with transaction.atomic():
            w.write(rows)
        return n - have

    def _pool(self) -> list[_Pooled]:
        place_of = {p.station_code: i for i, p in enumerate(D.STATION_PLACES)}
        code_of = {d.pk: d.code for d in self.ctx.org.departments.values()}
        city = self.ctx.org.company.pk
        qs = Customer.objects.filter(account_no__startswith=BULK_ACCOUNT_PREFIX)
        if not qs.exists():
            qs = Customer.objects.all()
        out = []
        for pk, station_id, sensitive in qs.order_by("pk").values_list("pk", "station_id", "sensitive").iterator(chunk_size=20000):
            company = self.ctx.company_of.get(station_id, city) if station_id else city
            out.append(_Pooled(pk, station_id, company, sensitive, place_of.get(code_of.get(station_id, ""), -1)))
        return out

    # receipt times -------------------------------------------------------

    def _receipts(self, m: int, rng: random.Random) -> Iterator[tuple[datetime, str]]:
        """``m`` receipt times over the last ``days`` days, ascending, with local day strings."""
        now = real_now()
        limit = now - timedelta(minutes=2)
        today = now.astimezone(self.tz).date()
        days = [today - timedelta(days=d) for d in range(self.days - 1, -1, -1)]
        hour_now = now.astimezone(self.tz).hour
        weights = []
        for d in days:
            w = 1.0 if d.weekday() < 5 else 0.8
            if d == today:
                w *= sum(HOUR_WEIGHTS[: hour_now + 1]) / sum(HOUR_WEIGHTS)
            weights.append(w)
        total = sum(weights)
        raw = [m * w / total for w in weights]
        counts = [int(x) for x in raw]
        for i in sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)[: m - sum(counts)]:
            counts[i] += 1
        for d, count in zip(days, counts):
            if not count:
                continue
            midnight = datetime(d.year, d.month, d.day, tzinfo=self.tz)
            cum = _HOUR_CUM if d != today else _HOUR_CUM[: hour_now + 1]
            hours = rng.choices(range(len(cum)), cum_weights=cum, k=count)
            secs = sorted(h * 3600 + rng.random() * 3600 for h in hours)
            day = d.strftime("%Y%m%d")
            for s in secs:
                t = (midnight + timedelta(seconds=s)).astimezone(UTC)
                if t > limit:
                    t = limit - timedelta(seconds=rng.random() * 600)
                    if t.astimezone(self.tz).date() != d:  # pragma: no cover - just after midnight
                        t = midnight.astimezone(UTC)
                yield t, day

    # orders --------------------------------------------------------------

    def load_orders(self, m: int) -> dict[str, Any]:
        """Top the bulk orders up to ``m``; return statistics."""
        last = (
            WorkOrder.objects.filter(external_id__startswith=BULK_EXT_PREFIX).order_by("-external_id").values_list("external_id", flat=True).first()
        )
        have = int(last[len(BULK_EXT_PREFIX):]) if last else 0
        todo = m - have
        stats: dict[str, Any] = {"existing": have, "created": 0, "events": 0, "states": Counter(), "seconds": 0.0}
        if todo <= 0:
            return stats
        self._prepare()
        rng = random.Random(f"{self.seed}-bulk-orders-{have}")
        started = time.monotonic()
        # Big loads on PostgreSQL: generate batch N+1 while a writer thread (with
        # its own connection) COPYs batch N. Not inside an outer transaction
        # (tests): the writer could not see that transaction's rows.
        pipelined = self.pg and todo >= PIPELINE_MIN and not connection.in_atomic_block
        stats["mode"] = "pipelined COPY" if pipelined else ("COPY" if self.pg else "executemany")
        writer = _Writer(self, replica=todo >= PIPELINE_MIN) if pipelined else None
        try:
            batch: list[tuple[datetime, str]] = []
            next_ext = have + 1
            for receipt in self._receipts(todo, rng):
                batch.append(receipt)
                if len(batch) >= self.batch:
                    self._load_batch(batch, next_ext, rng, stats, writer)
                    next_ext += len(batch)
                    batch = []
                    self._progress(stats, todo, started)
            if batch:
                self._load_batch(batch, next_ext, rng, stats, writer)
                self._progress(stats, todo, started)
        finally:
            if writer is not None:
                writer.finish()
        if writer is not None:
            stats["fk_checks"] = writer.fk_checks
            stats["write_seconds"] = writer.write_seconds
        stats["seconds"] = time.monotonic() - started
        if self.pg:
            t = time.monotonic()
            with connection.cursor() as cur:
                for model in (WorkOrder, WorkOrderEvent, LeadAssignment, StationTask, Report, ReturnVisit, Assessment, Customer, NumberSequence):
                    cur.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
            stats["analyze_seconds"] = time.monotonic() - t
        return stats

    def _progress(self, stats: dict[str, Any], todo: int, started: float) -> None:
        el = time.monotonic() - started
        self.log(f"  {stats['created']:>10,}/{todo:,} orders, {stats['events']:,} events  ({stats['created'] / max(el, 1e-9):,.0f} orders/s)")

    def _prepare(self) -> None:
        ctx = self.ctx
        self.pool = self._pool()
        if not self.pool:
            raise ValueError("no customers to attach orders to")
        self.cats: dict[str | None, int] = dict(Category.objects.values_list("code", "pk"))
        self.grading_rules = rules.grading_rules()
        self.workdays_for = rules.working_days_by_complexity()
        self.calendar = workdays.official_calendar()
        route_rules = rules.routing_rules()
        self.routes = {g: routing.route(g, route_rules) for g in (1, 2, 3, 4)}
        self.uid = {u: ctx.users[u].pk for u in ctx.users}
        companies = {p.company_id for p in self.pool}
        depts = ctx.org.departments
        by_pk = {d.pk: d for d in depts.values()}
        self.leads: dict[tuple[int, int], list[tuple[int, str]]] = {}
        self.lead_json: dict[tuple[int, int], str] = {}
        for company in companies:
            for g, types in self.routes.items():
                found = [services._nearest_of_type(by_pk[company], t) for t in types]
                leads = [(d.pk, d.code) for d in found if d is not None]
                self.leads[(company, g)] = leads
                self.lead_json[(company, g)] = json.dumps({"lead_departments": [c for _, c in leads], "routed_by": "rules"})
        self.handler = {}
        for dpk, username in ctx.handler_of.items():
            self.handler[dpk] = (self.uid[username], username)
        admin = ("admin", self.uid.get("admin"))
        self.admin = (admin[1], admin[0])
        self.investigator = {spk: (self.uid[u], u) for spk, u in ctx.investigator_of.items()}
        self.station_code = {d.pk: d.code for d in depts.values()}
        self.created_department = depts["city-95598"].pk if "city-95598" in depts else ctx.org.company.pk
        self.templates = {True: _templates(self.seed, True), False: _templates(self.seed, False)}
        # Text variants per place (so the town in the text is the customer's town).
        rng = random.Random(f"{self.seed}-texts")
        self.type_cum = list(accumulate(D.ORDER_TYPE_WEIGHTS))
        self.channel_cum = list(accumulate(D.CHANNEL_WEIGHTS))
        self.cat_codes = list(D.COMPLAINT_CATEGORY_WEIGHTS)
        self.cat_cum = list(accumulate(D.COMPLAINT_CATEGORY_WEIGHTS.values()))
        places = [*D.STATION_PLACES, D.Place("city", D.CITY_DISTRICTS[0], "", None)]
        self.variants: dict[tuple[str, str | None, int], list[tuple[int, str, str, str]]] = {}
        vid = 0
        keys = [("complaint", c) for c in self.cat_codes] + [(t, None) for t in D.ORDER_TYPES if t != "complaint"]
        for pi, place in enumerate(places):
            for t, c in keys:
                lst = []
                for title, content, remedy in D.texts_for(t, c):
                    for _ in range(_VARIANTS):
                        lst.append((vid, title, D.fill(rng, content, place.town, place.county), remedy))
                        vid += 1
                self.variants[(t, c, pi if pi < len(D.STATION_PLACES) else -1)] = lst
        self.suggestions: dict[tuple[int, str, bool, bool], tuple[int, str, str]] = {}
        self.w_order = TableWriter(WorkOrder, _ORDER_COLS)
        self.w_event = TableWriter(WorkOrderEvent, _EVENT_COLS)
        self.w_lead = TableWriter(LeadAssignment, ["order_id", "department_id", "primary", "assigned_at"])
        self.w_task = TableWriter(
            StationTask,
            ["id", "order_id", "station_id", "request_note", "requested_by_id", "state", "findings", "findings_by_id", "created_at", "done_at"],
        )
        self.w_report = TableWriter(
            Report,
            ["id", "order_id", "findings", "responsibility", "responsible_department_id", "responsible_person", "company_at_fault",
             "rectification", "submitted_by_id", "submitted_at", "confirmed_by_id", "confirmed_at"],
        )
        self.w_visit = TableWriter(
            ReturnVisit, ["id", "order_id", "method", "outcome", "solved", "customer_words", "visited_by_id", "visited_at"]
        )
        self.w_assess = TableWriter(
            Assessment, ["id", "order_id", "on_time", "company_at_fault", "score", "note", "assessed_by_id", "assessed_at"]
        )
        self.repeat_last: dict[tuple[int, int], tuple[int, datetime]] = {}

    def _suggest(self, vid: int, order_type: str, channel: str, category: str | None, content: str, sensitive: bool, repeat: bool) -> tuple[int, str, str]:
        key = (vid, channel, sensitive, repeat)
        s = self.suggestions.get(key)
        if s is None:
            sug = grading.suggest_grade(
                grading.OrderFacts(
                    order_type=order_type, channel=channel, category=category or "", content=content,
                    sensitive_customer=sensitive, escalated=channel in ESCALATED_CHANNELS, repeat=repeat,
                ),
                self.grading_rules,
            )
            s = (sug.grade, sug.complexity, json.dumps([sug.rule_code, *sug.reasons], ensure_ascii=False))
            self.suggestions[key] = s
        return s

    def _load_batch(
        self, receipts: list[tuple[datetime, str]], first_ext: int, rng: random.Random, stats: dict[str, Any], writer: _Writer | None
    ) -> None:
        if writer is None:
            # One transaction: ids (MAX+1 on SQLite), numbers and rows together.
            with transaction.atomic():
                tables = self._generate(receipts, first_ext, rng, stats, reserve_in_own_transaction=False)
                self.write(tables)
        else:
            t = time.monotonic()
            tables = self._generate(receipts, first_ext, rng, stats, reserve_in_own_transaction=True)
            stats["generate_seconds"] = stats.get("generate_seconds", 0.0) + time.monotonic() - t
            writer.put(tables)

    def write(self, tables: list[tuple[TableWriter, list[tuple[Any, ...]]]]) -> None:
        for w, rows in tables:
            w.write(rows)

    def _generate(
        self, receipts: list[tuple[datetime, str]], first_ext: int, rng: random.Random, stats: dict[str, Any], *, reserve_in_own_transaction: bool
    ) -> list[tuple[TableWriter, list[tuple[Any, ...]]]]:
        n = len(receipts)
        order_ids = reserve_ids(WorkOrder, n)
        now = real_now()
        pool = self.pool
        npool = len(pool)
        types = rng.choices(D.ORDER_TYPES, cum_weights=self.type_cum, k=n)
        channels = rng.choices(D.CHANNELS, cum_weights=self.channel_cum, k=n)
        cats = rng.choices(self.cat_codes, cum_weights=self.cat_cum, k=n)
        prefix = {OrderType(t).value: p for t, p in services._TYPE_PREFIX.items()}
        randrange = rng.randrange

        # pass 1: who, what, which journey, how far it got -------------------
        plan: list[tuple[Any, ...]] = []
        need = [0, 0, 0, 0]
        for i in range(n):
            received, day = receipts[i]
            cust = pool[randrange(npool)]
            order_type = types[i]
            category = cats[i] if order_type == "complaint" else None
            tpls = self.templates[cust.station_id is not None]
            tpl = tpls[randrange(len(tpls))]
            merge_into = None
            while tpl.kind == "merged":
                # A duplicate call: same customer and matter as a recent order
                # that is not itself closed as invalid or merged.
                j = i - 1 - randrange(min(i, 30)) if i else -1
                if j >= 0 and plan[j][4].kind not in ("invalid", "merged"):
                    merge_into = j
                    prev = plan[j]
                    cust, order_type, category = prev[1], prev[2], prev[3]
                    break
                tpl = tpls[randrange(len(tpls))]
            variants = self.variants[(order_type, category, cust.place)]
            if merge_into is not None:
                variant = plan[merge_into][5]
                content = "客户再次来电反映：" + variant[2]
            else:
                variant = variants[randrange(len(variants))]
                content = variant[2]
            age = (now - received).total_seconds()
            k = bisect_right(tpl.cum, age)
            create_after: float = tpl.cum[0]
            if k == 0:  # received moments ago: taken in, nothing else yet
                k, create_after = 1, age / 2
            needs = tpl.needs[k - 1]
            for x in range(4):
                need[x] += needs[x]
            repeat_of = None
            if order_type == "complaint":
                # As intake does: an earlier order of the customer in the same
                # category within 90 days makes this one a repeat complaint.
                repeat_key = (cust.id, self.cats.get(category, 0))
                prev_rep = self.repeat_last.get(repeat_key)
                if prev_rep is not None and (received - prev_rep[1]).days < 90:
                    repeat_of = prev_rep[0]
                if tpl.kind not in ("invalid", "merged"):
                    self.repeat_last[repeat_key] = (order_ids[i], received)
            plan.append((received, cust, order_type, category, tpl, variant, content, k, merge_into, repeat_of, day, create_after))

        task_ids = iter(reserve_ids(StationTask, need[0]))
        report_ids = iter(reserve_ids(Report, need[1]))
        visit_ids = iter(reserve_ids(ReturnVisit, need[2]))
        assess_ids = iter(reserve_ids(Assessment, need[3]))

        # numbers, in receipt order per (prefix, day)
        counts: Counter[str] = Counter()
        keys = []
        for p in plan:
            key = prefix[p[2]] + p[10]
            keys.append(key)
            counts[key] += 1
        # suggestions and deadlines
        ns = []
        sugg = []
        for i, p in enumerate(plan):
            received, cust, order_type, category, tpl, variant, content, k, merge_into, repeat_of = p[:10]
            s = self._suggest(variant[0], order_type, channels[i], category, content, cust.sensitive, repeat_of is not None)
            graded = tpl.grade_idx is not None and tpl.grade_idx < k - 1
            complexity = s[1]
            grade = None
            if graded:
                grade = s[0]
                if tpl.override:
                    grade, complexity = (s[0] - 1, "important") if s[0] > 1 else (2, s[1])
            sugg.append((s, grade, complexity))
            ns.append(self.workdays_for[complexity])
        deadlines = workdays.bulk_working_day_deadlines([p[0] for p in plan], ns, self.calendar)

        if reserve_in_own_transaction:
            # Pipelined: the block is committed at once (a failed batch leaves a
            # gap in the numbers, never a duplicate).
            with transaction.atomic():
                first = reserve_numbers(dict(counts))
        else:
            first = reserve_numbers(dict(counts))
        nxt = dict(first)
        numbers = []
        for key in keys:
            numbers.append(f"{key}{nxt[key]:06d}")
            nxt[key] += 1
        return self._emit(plan, channels, sugg, deadlines, order_ids, numbers, first_ext, task_ids, report_ids, visit_ids, assess_ids, stats, rng)

    def _emit(self, plan, channels, sugg, deadlines, order_ids, numbers, first_ext, task_ids, report_ids, visit_ids, assess_ids, stats, rng) -> list[tuple[TableWriter, list[tuple[Any, ...]]]]:  # noqa: C901 - one loop on purpose (hot path)
        orders, events, leads, tasks, reports, visits, assessments = [], [], [], [], [], [], []
        agent = (self.uid.get("agent"), "agent")
        specialist = (self.uid.get("specialist"), "specialist")
        manager = (self.uid.get("manager"), "manager")
        created_dept = self.created_department
        cats = self.cats
        td = timedelta
        rand = rng.random
        choice = rng.choice
        states = stats["states"]
        for i, p in enumerate(plan):
            received, cust, order_type, category, tpl, variant, content, k, merge_into, repeat_of, _day, create_after = p
            (sg, sc, reasons), grade, complexity = sugg[i]
            dl = deadlines[i]
            oid = order_ids[i]
            number = numbers[i]
            ext = f"{BULK_EXT_PREFIX}{first_ext + i:09d}"
            channel = channels[i]
            create_at = received + td(seconds=create_after)
            seq = 1
            events.append((oid, 1, "create", agent[0], agent[1], create_at, "", "received", "", f'{{"channel": "{channel}", "external_id": "{ext}"}}'))
            state = "received"
            last_at = create_at
            closed_at = None
            clock_start = None  # a reopen restarts the handling clock (new deadline + a deadline event)
            reopen = 0
            is_repeat = repeat_of is not None
            urge = 0
            merged_into = None
            report_key = D.report_key(category)
            rtexts = D.REPORT_TEXTS[report_key]
            leadlist = self.leads.get((cust.company_id, grade or sg), [])
            lead = self.handler.get(leadlist[0][0], self.admin) if leadlist else self.admin
            station = cust.station_id
            task_row = None
            report_row = None
            at_fault = False
            for j in range(k - 1):
                step = tpl.steps[j]
                a = step.action
                at = received + td(seconds=tpl.cum[j + 1])
                to = step.to_state
                note = ""
                data = "{}"
                actor = agent
                if a == "forward":
                    pass
                elif a == "grade":
                    actor = specialist
                    override = grade != sg or complexity != sc
                    if override:
                        note = choice(D.GRADE_UP_REASONS) if grade < sg else choice(D.GRADE_DOWN_REASONS)
                    data = (
                        f'{{"grade": {grade}, "complexity": "{complexity}", "suggested_grade": {sg}, '
                        f'"suggested_complexity": "{sc}", "override": {_b(override)}, "deadline_at": "{dl.due_at.isoformat()}"}}'
                    )
                elif a == "dispatch":
                    actor = specialist
                    data = self.lead_json.get((cust.company_id, grade or sg), "{}")
                    for n_, (dpk, _code) in enumerate(leadlist):
                        leads.append((oid, dpk, n_ == 0, at))
                elif a == "accept":
                    actor = lead
                elif a == "assign_station":
                    actor = lead
                    tid = next(task_ids)
                    note = choice(D.ASSIGN_NOTES)
                    code = self.station_code[station]
                    data = f'{{"stations": ["{code}"]}}'
                    task_row = [tid, oid, station, note, lead[0], "open", "", None, at, None]
                    tasks.append(task_row)
                elif a == "station_findings":
                    actor = self.investigator.get(station, lead)
                    note = choice(D.STATION_FINDINGS[report_key])
                    assert task_row is not None, "assign_station comes first"
                    data = f'{{"station": "{self.station_code[station]}", "task": {task_row[0]}}}'
                    task_row[5], task_row[6], task_row[7], task_row[9] = "done", note, actor[0], at
                elif a == "submit_report":
                    actor = lead
                    rid = next(report_ids)
                    f_, r_, m_, at_fault = rtexts[int(rand() * len(rtexts))]
                    resp_dept = (station or (leadlist[0][0] if leadlist else None)) if at_fault else None
                    report_row = [rid, oid, f_, r_, resp_dept, D.person_name(rng) if at_fault else "", at_fault, m_, lead[0], at, None, None]
                    reports.append(report_row)
                    data = f'{{"report": {rid}, "company_at_fault": {_b(at_fault)}}}'
                elif a == "return_report":
                    actor = manager
                    note = choice(D.RETURN_REPORT_NOTES)
                elif a == "confirm_report":
                    actor = manager  # four eyes: not the lead handler who submitted it
                    assert report_row is not None, "submit_report comes first"
                    report_row[10], report_row[11] = actor[0], at
                    closed_at = at
                    data = f'{{"report": {report_row[0]}, "on_time": {_b(at <= dl.due_at)}}}'
                elif a == "return_visit":
                    actor = specialist
                    vid = next(visit_ids)
                    outcome = step.arg
                    method = "phone" if rand() < 0.8 else choice(("sms", "wechat", "onsite"))
                    solved = {"satisfied": True, "basically_satisfied": True, "unsatisfied": False}.get(outcome)
                    note = choice(D.VISIT_WORDS[outcome])
                    visits.append((vid, oid, method, outcome, solved, note, actor[0], at))
                    sj = "null" if solved is None else _b(solved)
                    if outcome == "unsatisfied":
                        reopen += 1
                        is_repeat = True
                        closed_at = None
                        clock_start = at
                        data = f'{{"visit": {vid}, "outcome": "{outcome}", "method": "{method}", "solved": {sj}, "reopened": true}}'
                    else:
                        data = f'{{"visit": {vid}, "outcome": "{outcome}", "method": "{method}", "solved": {sj}}}'
                elif a == "assess":
                    actor = manager
                    aid = next(assess_ids)
                    on_time = bool(closed_at and closed_at <= dl.due_at)
                    note = "" if on_time else D.ASSESS_NOTES[1]
                    assessments.append((aid, oid, on_time, at_fault, 100 if on_time else 80, note, actor[0], at))
                    data = f'{{"assessment": {aid}, "on_time": {_b(on_time)}}}'
                elif a == "archive":
                    actor = manager
                elif a == "reopen":
                    actor = manager
                    reopen += 1
                    is_repeat = True
                    closed_at = None
                    clock_start = at
                    note = choice(D.REOPEN_REASONS)
                elif a == "invalidate":
                    closed_at = at
                    note = choice(D.INVALID_REASONS)
                elif a == "merge":
                    closed_at = at
                    merged_into = order_ids[merge_into]
                    note = choice(D.MERGE_NOTES)
                    data = f'{{"into": "{numbers[merge_into]}"}}'
                elif a == "urge":
                    urge += 1
                    note = choice(D.URGE_NOTES)
                    data = f'{{"urge_count": {urge}}}'
                seq += 1
                events.append((oid, seq, a, actor[0], actor[1], at, state, to, note, data))
                state = to
                last_at = at
                if clock_start == at:  # reopened just now: the deadline from the reopen, as the services do
                    before = dl
                    dl = workdays.bulk_working_day_deadlines([at], [self.workdays_for[complexity]], self.calendar)[0]
                    seq += 1
                    events.append((
                        oid, seq, "deadline", actor[0], actor[1], at, state, state, "",
                        (
                            f'{{"before": "{before.due_at.isoformat()}", "deadline_at": "{dl.due_at.isoformat()}", '
                            f'"overdue": false, "reason": "reopen", "clock_start": "{at.isoformat()}"}}'
                        ),
                    ))
            title, remedy = variant[1], variant[3]
            orders.append(
                (
                    oid, number, ext, order_type, channel, cats.get(category) if category else None, title, content, remedy,
                    rand() < 0.03, received, cust.id, cust.company_id, created_dept, agent[0], state, grade, complexity, sg, sc,
                    reasons, dl.due_at, dl.provisional, urge, channel in ESCALATED_CHANNELS,
                    repeat_of, is_repeat, reopen, merged_into, closed_at, seq, create_at, last_at, clock_start,
                )
            )
            states[state] += 1
        stats["created"] += len(orders)
        stats["events"] += len(events)
        return [
            (self.w_order, orders),
            (self.w_event, events),
            (self.w_lead, leads),
            (self.w_task, [tuple(t) for t in tasks]),
            (self.w_report, [tuple(r) for r in reports]),
            (self.w_visit, visits),
            (self.w_assess, assessments),
        ]


_ORDER_COLS = [
    "id", "number", "external_id", "type", "channel", "category_id", "title", "content", "remedy_sought", "anonymous",
    "received_at", "customer_id", "company_id", "created_department_id", "created_by_id", "state", "grade", "complexity",
    "suggested_grade", "suggested_complexity", "suggestion_reasons", "deadline_at", "deadline_provisional", "urge_count",
    "escalated", "repeat_of_id", "is_repeat", "reopen_count", "merged_into_id", "closed_at", "version", "created_at",
    "updated_at", "handling_started_at",
]
_EVENT_COLS = ["order_id", "seq", "action", "actor_id", "actor_name", "at", "from_state", "to_state", "note", "data"]


