#!/usr/bin/env python3
"""Webhooks under sustained load (issue 14): events committed through the real
services at a steady rate, delivered by the real django-q2 cluster to a real
local HTTP receiver that verifies every Standard Webhooks signature.

    scripts/with-postgres.sh .venv/bin/python benchmarks/webhooks_throughput.py \\
        [--rate 200] [--seconds 60] [--drain 60] [--out benchmarks/webhooks-last-run.txt]

Target: 200 events/s sustained, p99 commit→receipt < 2 s, no event lost, none
delivered to a subscription whose filter does not match it. Exit code 1 when a
target is missed.

Processes (all on this machine, wall clock ``time.time()`` shared):

- this one: migrates the throwaway PostgreSQL, builds the demo organisation,
  creates three subscriptions through ``webhooks.services`` (all types /
  ``work_order.created`` only / the four progress types), starts the others,
  waits, stops them, reports;
- the receiver (``--role receiver``): a threaded ``http.server`` on 127.0.0.1
  (HTTP/1.1 keep-alive), one path per subscription; verifies each request's
  signature with that subscription's secret (``standardwebhooks``) and records
  the receipt time, the ``webhook-id`` and the event type;
- the task cluster: ``griddesk taskcluster`` (the background queue, as
  ``griddesk serve`` starts it), ``GRIDDESK_WEBHOOK_ALLOWED_HOSTS=127.0.0.1``;
- the driver (``--role driver``): commits real changes through
  ``griddesk.workorders.services`` — bulk intakes of ``--batch`` orders and the
  lifecycle actions forward, grade, dispatch, accept and urge on orders taken in
  earlier — paced to ``--rate`` events/s for ``--seconds`` (after a short
  warm-up whose events are checked for loss but left out of the rates and
  latencies). Its commit time per event is taken by the first on-commit
  callback of the transaction (registered before the outbox's own), i.e. right
  after COMMIT returned.

Reported: achieved event rate, deliveries/s, p50/p95/p99/max commit→receipt (first
receipt of each expected delivery), lost (expected (event, subscription) never
received within ``--drain`` s after the drive), misdelivered (received on a
subscription's path although its filter does not match the type or the
``webhook-id`` names another subscription), bad signatures, duplicates (the same
``webhook-id`` received twice: allowed, at least once), the outbox's final states
and attempts, and CPU seconds of the driver, the cluster and PostgreSQL.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = sys.executable

#: The three subscriptions: name → event types (None: every public type).
PROGRESS = ["work_order.forwarded", "work_order.graded", "work_order.dispatched", "work_order.accepted"]
SUBSCRIPTIONS: dict[str, list[str] | None] = {
    "all": None,
    "created": ["work_order.created"],
    "progress": PROGRESS,
}


def read(path: str) -> str:
    with open(path) as f:
        return f.read()


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def setup_env(var_dir: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "griddesk.settings")
    os.environ["GRIDDESK_WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
    os.environ.setdefault("GRIDDESK_DEBUG", "0")
    os.environ.setdefault("GRIDDESK_SECRET_KEY", f"bench-{os.getpid()}-not-a-secret")
    os.environ.setdefault("GRIDDESK_LOG_LEVEL", "ERROR")
    os.environ.setdefault("GRIDDESK_VAR_DIR", var_dir)
    os.makedirs(os.path.join(os.environ["GRIDDESK_VAR_DIR"], "static"), exist_ok=True)


# ------------------------------------------------------------------ receiver


def run_receiver(args: argparse.Namespace) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    subs = json.loads(read(args.subs))
    hooks = {s["path"]: (Webhook(s["secret"]), s) for s in subs.values()}
    got: list[tuple[float, str, str, str, bool]] = []
    lock = threading.Lock()
    unique: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: a sender may reuse its connection
        # TCP_NODELAY, as production servers set it (nginx, gunicorn): else the body's small
        # second segment waits for the sender's delayed ACK, 40 ms per request on a kept-alive connection
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            t = time.time()
            hook = hooks.get(self.path)
            ok = False
            etype = ""
            if hook is not None:
                try:
                    payload = hook[0].verify(body, {k.lower(): v for k, v in self.headers.items()})
                    ok = True
                    etype = payload.get("type", "")
                except WebhookVerificationError:
                    try:
                        etype = json.loads(body).get("type", "")
                    except ValueError:
                        pass
            wid = self.headers.get("webhook-id", "")
            with lock:
                got.append((t, self.path, wid, etype, ok))
                unique.add(f"{self.path} {wid}")
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def do_GET(self) -> None:
            if self.path == "/dump":
                with lock:
                    rows = list(got)
                with open(args.out, "w") as f:
                    json.dump(rows, f)
            with lock:
                answer = json.dumps({"received": len(got), "unique": len(unique)}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *a: Any) -> None:
            pass

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print("ready", flush=True)
    server.serve_forever()


# ------------------------------------------------------------------ driver


def run_driver(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import transaction

    sys.path.insert(0, HERE)
    from load import intake_body  # the same bodies as the HTTP benchmark

    from griddesk.organisation.access import actor_for
    from griddesk.webhooks import event_types
    from griddesk.workorders import domain_events, services
    from griddesk.workorders.serializers import parse_intake_items

    users = get_user_model().objects
    agent = actor_for(users.get(username="agent"))
    admin = actor_for(users.get(username="admin"))
    committed: list[tuple[str, str, float, bool]] = []  # (event id hex, public type, commit time, warm-up)
    phase = {"warmup": True}

    def stamp(ev: domain_events.DomainEvent) -> None:
        etype = event_types.public_type(ev.action)
        if etype is None:
            return
        warm = phase["warmup"]
        transaction.on_commit(lambda: committed.append((ev.id.hex, etype, time.time(), warm)))

    # First of the in-transaction subscribers, so its on-commit callback runs
    # before the outbox's (which queues the deliveries): the time right after COMMIT.
    domain_events.subscribe(stamp, phase="in_transaction")
    with domain_events._lock:
        subs = domain_events._subscriptions
        subs.insert(0, subs.pop())

    rng = random.Random(os.getpid())
    # the reason: the grade may differ from the suggested one
    steps = [("forward", {}), ("grade", {"grade": 3, "complexity": "ordinary", "reason": "基准测试"}), ("dispatch", {}),
             ("accept", {})]
    at_step: list[list[str]] = [[] for _ in range(len(steps) + 1)]  # orders waiting for steps[i]
    urge_pool: list[str] = []
    ext = iter(range(10**9))
    errors: Counter[str] = Counter()
    actions: Counter[str] = Counter()
    cpu0 = time.process_time()

    wall: Counter[str] = Counter()
    cpu_of_kind: Counter[str] = Counter()

    def timed_unit() -> None:
        t, c = time.perf_counter(), time.process_time()
        kind = one_unit()
        wall[kind] += time.perf_counter() - t
        cpu_of_kind[kind] += time.process_time() - c

    def one_unit() -> str:
        """A bulk intake, or one lifecycle action on an order taken in earlier
        (so that about ``--lifecycle`` of the events come from lifecycle actions)."""
        ready = [i for i in range(len(steps)) if at_step[i]]
        if ready and rng.random() < args.lifecycle / (args.lifecycle + (1 - args.lifecycle) / args.batch):
            if urge_pool and rng.random() < 0.1:
                number = rng.choice(urge_pool)
                services.work_order_act(order=number, actor=admin, action="urge", data={"note": "催办"})
                actions["urge"] += 1
                return "urge"
            i = max(ready) if rng.random() < 0.5 else rng.choice(ready)
            number = at_step[i].pop(0)
            action, data = steps[i]
            services.work_order_act(order=number, actor=admin, action=action, data=data)
            actions[action] += 1
            (at_step[i + 1] if i + 1 < len(steps) else urge_pool).append(number)
            return action
        bodies = [intake_body(rng, f"WH-{os.getpid()}-{next(ext)}", []) for _ in range(args.batch)]
        received = datetime.now(UTC).isoformat()
        for b in bodies:  # just received: no stage or deadline passes during the run (no watcher events)
            b["received_at"] = received
        results = services.work_order_bulk_intake(actor=agent, items=parse_intake_items(bodies))
        for r in results:
            if r.order is not None and r.status == "created":
                at_step[0].append(r.order.number)
            else:
                errors[f"intake {r.status}"] += 1
        actions["bulk_intake"] += 1
        return "bulk_intake"

    def drive(seconds: float, rate: float) -> tuple[float, float, int]:
        start = time.time()
        n0 = len(committed)
        while True:
            now = time.time()
            if now - start >= seconds:
                break
            due = start + (len(committed) - n0) / rate
            if due > now:
                time.sleep(min(due - now, 0.05))
                continue
            try:
                timed_unit()
            except Exception as exc:  # noqa: BLE001 — counted and reported
                errors[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1
        return start, time.time(), len(committed) - n0

    drive(args.warmup, args.rate)
    phase["warmup"] = False
    actions.clear()
    wall.clear()
    cpu_of_kind.clear()
    cpu0 = time.process_time()
    start, end, n = drive(args.seconds, args.rate)
    cpu = time.process_time() - cpu0
    with open(args.out, "w") as f:
        json.dump({"committed": committed, "start": start, "end": end, "events": n, "cpu_seconds": cpu,
                   "actions": actions, "errors": errors,
                   "ms_per_unit": {k: [round(wall[k] / actions[k] * 1000, 1), round(cpu_of_kind[k] / actions[k] * 1000, 1)]
                                   for k in actions}}, f)


# ------------------------------------------------------------------ orchestrator


def cpu_of(pred: Any) -> float:
    """utime+stime (s) of the live processes matching ``pred(pid, stat fields)``."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1: raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        if pred(int(d), comm, fields):
            # own time, and that of children already waited for (PostgreSQL's ended backends)
            total += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
    return total / tick


def pct(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def orchestrate(args: argparse.Namespace) -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("webhooks_throughput.py: run it under scripts/with-postgres.sh (a PostgreSQL DATABASE_URL)")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from griddesk.organisation.access import actor_for
    from griddesk.organisation.demo import build_demo_org
    from griddesk.webhooks import event_types, services
    from griddesk.webhooks.models import Attempt, Delivery

    work = tempfile.mkdtemp(prefix="griddesk-webhooks-bench-")
    log(f"PostgreSQL {connection.cursor().connection.info.server_version} at {url} — migrate, demo organisation")
    call_command("migrate", verbosity=0)
    build_demo_org()
    admin = actor_for(get_user_model().objects.get(username="admin"))
    port = free_port()
    subs: dict[int, dict[str, Any]] = {}
    for name, types in SUBSCRIPTIONS.items():
        events = types or [e.type for e in event_types.EVENT_TYPES]
        sub, secret = services.subscription_create(actor=admin, url=f"http://127.0.0.1:{port}/hook/{name}", events=events,
                                                  description=f"benchmark: {name}")
        subs[sub.pk] = {"name": name, "path": f"/hook/{name}", "secret": secret, "events": events}
    subs_file = os.path.join(work, "subs.json")
    with open(subs_file, "w") as f:
        json.dump(subs, f)
    connection.close()

    procs: list[subprocess.Popen[str]] = []
    env = dict(os.environ)
    me = os.path.abspath(__file__)
    receiver = subprocess.Popen([PY, me, "--role", "receiver", "--port", str(port), "--subs", subs_file,
                                 "--out", os.path.join(work, "received.json")], stdout=subprocess.PIPE, text=True, env=env)
    procs.append(receiver)
    assert receiver.stdout is not None and receiver.stdout.readline().strip() == "ready"
    base = f"http://127.0.0.1:{port}"
    cluster = subprocess.Popen([PY, "-m", "griddesk.cli", "taskcluster"], cwd=ROOT, start_new_session=True,
                               env={**env, "Q_CLUSTER_NAME": env.get("Q_CLUSTER_NAME", "griddesk")})
    procs.append(cluster)
    time.sleep(3)  # the sentinel, its pusher, monitor and workers
    if cluster.poll() is not None:
        sys.exit(f"the task cluster ended at once (exit code {cluster.returncode})")

    def in_cluster(pid: int, comm: str, f: list[str]) -> bool:
        return int(f[3]) == cluster.pid  # fields[3] = session id (the cluster has its own session)

    # this benchmark's server only (other PostgreSQL servers may run on the machine): its postmaster and backends
    with connection.cursor() as cur:
        cur.execute("select setting from pg_settings where name = 'data_directory'")
        data_dir = cur.fetchone()[0]
    connection.close()
    try:
        postmaster = int(read(os.path.join(data_dir, "postmaster.pid")).split()[0])
    except (OSError, ValueError):
        postmaster = -1  # not readable (another user's server): PostgreSQL's CPU is not reported

    def postgres(pid: int, comm: str, f: list[str]) -> bool:
        return pid == postmaster or int(f[1]) == postmaster  # fields[1] = parent pid

    load_before = read("/proc/loadavg").split()[:3]
    cpu_cluster0, cpu_pg0 = cpu_of(in_cluster), cpu_of(postgres)
    log(f"driver: {args.rate:g} events/s for {args.seconds:g} s (after {args.warmup:g} s warm-up), "
        f"bulk intakes of {args.batch}, ~{args.lifecycle:.0%} of the events from lifecycle actions, "
        f"{args.drivers} driver process(es)")
    drivers = []
    for i in range(args.drivers):
        out = os.path.join(work, f"driver-{i}.json")
        drivers.append((out, subprocess.Popen(
            [PY, me, "--role", "driver", "--rate", str(args.rate / args.drivers), "--seconds", str(args.seconds),
             "--warmup", str(args.warmup), "--batch", str(args.batch), "--lifecycle", str(args.lifecycle), "--out", out],
            cwd=ROOT, env=env)))
    procs.extend(p for _, p in drivers)
    try:
        for _, p in drivers:
            if p.wait() != 0:
                sys.exit(f"a driver failed (exit code {p.returncode})")
        parts = [json.loads(read(out)) for out, _ in drivers]
        drove = {
            "committed": [c for part in parts for c in part["committed"]],
            "start": min(part["start"] for part in parts), "end": max(part["end"] for part in parts),
            "events": sum(part["events"] for part in parts), "cpu_seconds": sum(part["cpu_seconds"] for part in parts),
            "actions": sum((Counter(part["actions"]) for part in parts), Counter()),
            "errors": sum((Counter(part["errors"]) for part in parts), Counter()),
            "ms_per_unit": [part["ms_per_unit"] for part in parts],
        }
        by_name = {s["name"]: (pk, set(s["events"])) for pk, s in subs.items()}
        expected: dict[tuple[str, str], tuple[float, bool]] = {}  # (path, webhook-id) → (commit time, warm-up)
        for eid, etype, t, warm in drove["committed"]:
            for name, (pk, events) in by_name.items():
                if etype in events:
                    expected[(f"/hook/{name}", f"msg_{eid}_{pk}")] = (t, warm)
        drain_start = time.time()
        while time.time() - drain_start < args.drain:
            if get_json(base + "/stats")["unique"] >= len(expected):
                break
            time.sleep(0.5)
        drained = time.time() - drain_start
        cpu_cluster, cpu_pg = cpu_of(in_cluster) - cpu_cluster0, cpu_of(postgres) - cpu_pg0
        load_after = read("/proc/loadavg").split()[:3]
        get_json(base + "/dump")
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(procs):
            try:
                p.wait(timeout=40)
            except subprocess.TimeoutExpired:
                p.kill()
    received = json.loads(read(os.path.join(work, "received.json")))

    # ---------------------------------------------------------- the figures
    sub_by_path = {s["path"]: (pk, set(s["events"])) for pk, s in subs.items()}
    first: dict[tuple[str, str], float] = {}
    seen: Counter[tuple[str, str]] = Counter()
    misdelivered = bad_sig = unexpected = 0
    for t, path, wid, etype, ok in received:
        key = (path, wid)
        seen[key] += 1
        if key not in first or t < first[key]:
            first[key] = t
        if not ok:
            bad_sig += 1
        sub = sub_by_path.get(path)
        if sub is None or not wid.endswith(f"_{sub[0]}") or etype not in sub[1]:
            misdelivered += 1
        elif key not in expected:
            unexpected += 1  # a matching event the driver did not commit (none expected)
    lost = [k for k in expected if k not in first]
    duplicates = sum(c - 1 for c in seen.values() if c > 1)
    measured = [(first[k] - t) for k, (t, warm) in expected.items() if not warm and k in first]
    lat = sorted(measured)
    start, end = drove["start"], drove["end"]
    window = end - start
    in_window = sum(1 for t, *_ in received if start <= t <= end)
    states = dict(Counter(Delivery.objects.values_list("state", flat=True)))
    expected_ids = {wid for _p, wid in expected}
    stray = Counter(f"{d.state} {d.event_type}" for d in Delivery.objects.only("state", "event_type", "event_id", "subscription_id")
                    if d.webhook_id not in expected_ids)
    attempts = Attempt.objects.count()
    retried = Attempt.objects.exclude(outcome="delivered").count()
    # where the time goes, from the outbox's own clock: row written → first attempt started (queue + lease),
    # the attempt's HTTP round trip
    waits, rtts = [], []
    for created, started, ms in Attempt.objects.filter(number=1).values_list("delivery__created_at", "started_at",
                                                                             "latency_ms"):
        waits.append((started - created).total_seconds())
        rtts.append(ms / 1000)
    waits.sort()
    rtts.sort()
    types = Counter(etype for _eid, etype, _t, warm in drove["committed"] if not warm)
    p99 = pct(lat, 99)
    checks = {
        f"p99 commit→receipt < 2 s ({p99:.3f} s)": p99 < 2.0,
        f"sustained ≥ {args.rate * 0.97:g} events/s ({drove['events'] / window:.1f})": drove["events"] / window >= args.rate * 0.97,
        f"0 lost ({len(lost)})": not lost,
        f"0 misdelivered ({misdelivered})": misdelivered == 0,
        f"0 bad signatures ({bad_sig})": bad_sig == 0,
    }
    lines = [
        (f"webhooks throughput — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, nproc {os.cpu_count()}, "
        f"load average before {' '.join(load_before)}, after {' '.join(load_after)}"),
        "subscriptions: " + "; ".join(f"{s['name']} (#{pk}): {len(s['events'])} types" for pk, s in subs.items()),
        (f"drivers: {drove['events']} events committed in {window:.1f} s = {drove['events'] / window:.1f} events/s "
        f"(actions {dict(drove['actions'])}; errors {dict(drove['errors']) or 0})"),
        f"per driver, ms per unit [wall, cpu]: {drove['ms_per_unit']}",
        f"event types: {dict(types)}",
        (f"deliveries expected {len(expected)} (incl. warm-up), received {len(received)} requests, "
        f"{len(first)} distinct; {in_window / window:.1f} deliveries/s during the drive; drained {drained:.1f} s after it"),
        (f"commit→receipt over {len(lat)} deliveries: p50 {pct(lat, 50) * 1000:.0f} ms, p95 {pct(lat, 95) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms, max {(lat[-1] if lat else float('nan')) * 1000:.0f} ms"),
        (f"row written → first attempt started: p50 {pct(waits, 50) * 1000:.0f} ms, p99 {pct(waits, 99) * 1000:.0f} ms; "
        f"HTTP round trip p50 {pct(rtts, 50) * 1000:.0f} ms, p99 {pct(rtts, 99) * 1000:.0f} ms"),
        (f"lost {len(lost)}, misdelivered {misdelivered}, bad signatures {bad_sig}, duplicates {duplicates}, "
        f"unexpected {unexpected}"),
        f"outbox: {states}; {attempts} attempts, {retried} not delivered at first try; rows the driver did not expect: {dict(stray) or 0}",
        (f"CPU seconds: drivers {drove['cpu_seconds']:.1f}, task cluster {cpu_cluster:.1f}, PostgreSQL {cpu_pg:.1f} "
        f"(drive + drain {window + drained:.0f} s wall)"),
    ]
    lines += [f"  {'PASS' if ok else 'FAIL'}  {name}" for name, ok in checks.items()]
    verdict = "PASS" if all(checks.values()) else "FAIL"
    lines.append(f"{verdict}")
    report = "\n".join(lines)
    print(report, flush=True)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report + "\n")
    return 0 if verdict == "PASS" else 1


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--role", choices=["orchestrator", "receiver", "driver"], default="orchestrator")
    ap.add_argument("--rate", type=float, default=200.0, help="events per second to commit")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--drain", type=float, default=60.0, help="how long to wait for the last deliveries")
    ap.add_argument("--batch", type=int, default=20, help="orders per bulk intake")
    ap.add_argument("--lifecycle", type=float, default=0.2, help="share of the events from lifecycle actions")
    ap.add_argument("--drivers", type=int, default=2, help="driver processes (each commits rate/drivers events/s)")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--subs", default="")
    ap.add_argument("--out", default=os.path.join(HERE, "webhooks-last-run.txt"))
    args = ap.parse_args()
    setup_env(tempfile.mkdtemp(prefix="griddesk-var-"))
    sys.path.insert(0, ROOT)
    if args.role == "receiver":
        run_receiver(args)
        return 0
    if args.role == "driver":
        run_driver(args)
        return 0
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
