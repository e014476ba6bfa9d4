#!/usr/bin/env python3
"""Durability and concurrency under crashes: acknowledged intakes survive
``kill -9`` of the app, of the database and of both at once — none lost, none
duplicated — and simultaneous lifecycle actions on one order have exactly one
winner. A benchmark, not part of the pytest suite; a few minutes on 2 cores.

    WITH_FSYNC=1 scripts/with-postgres.sh .venv/bin/python benchmarks/durability.py \\
        [--seconds 75] [--clients 8] [--orders-concurrency 10] [--racers 20]

Steps (it refuses to run unless the server has fsync and synchronous_commit on):

1. migrate the throwaway PostgreSQL, load the demo organisation
   (``griddesk demo``), get the agent's API token;
2. start ``griddesk serve --prod`` (gunicorn, production settings; requests carry
   ``X-Forwarded-Proto: https`` as from the TLS proxy the production mode
   expects, so nothing is redirected) in its own session;
3. ``--clients`` threads POST intakes to ``/api/v1/work-orders/`` for
   ``--seconds``, each with a fresh ``external_id``; on a connection error, a
   timeout or a 5xx the SAME body (same ``external_id``) is sent again until it is
   acknowledged (201 created, or 200: it had been created by an attempt whose
   reply was lost). Meanwhile the app is killed with SIGKILL (every process of
   its tree: the ``griddesk serve`` supervisor, gunicorn's master and workers)
   and restarted, the PostgreSQL server is killed with SIGKILL (postmaster and
   backends: the whole server crashes) and restarted with ``pg_ctl`` on the same
   data directory (crash recovery), and both at once;
4. checks in the database: every acknowledged ``external_id`` exists exactly
   once, with the acknowledged number; no duplicate numbers; no order of this run
   whose ``external_id`` was never acknowledged; each order has exactly one
   ``create`` event and exactly one search row (``workorders_ordersearch``);
5. concurrency: for ``--orders-concurrency`` received orders, ``--racers``
   threads (each with its connection already open, released by one barrier) POST
   the same ``forward`` with the same ``version``: exactly one 200, the rest 409,
   the order's event count up by exactly one. The same again without ``version``
   for a few more orders (the state machine alone must refuse the losers).

Prints a table and one JSON line; writes both to
benchmarks/durability-last-run.txt (``--out``). Exit code 1 when a check fails.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import psycopg

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from load import intake_body  # noqa: E402  (the same bodies as the HTTP load benchmark)

PY = sys.executable
HEADERS_BASE = {"Content-Type": "application/json", "X-Forwarded-Proto": "https", "Accept-Language": "en"}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return int(port)


def children_of(pid: int) -> list[int]:
    """Every descendant of ``pid`` (any session or process group), from /proc."""
    parent: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    stat = f.read()
                parent[int(d)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out.extend(kids)
        todo.extend(kids)
    return out


def sigkill_tree(pid: int) -> int:
    """SIGKILL ``pid``, its process group and every descendant's process group,
    all gathered first so that nothing is reparented in between. Returns how many
    processes were signalled."""
    pids = [pid, *children_of(pid)]
    groups = set()
    for p in pids:
        try:
            groups.add(os.getpgid(p))
        except ProcessLookupError:
            pass
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for g in groups:
        if g > 1:
            try:
                os.killpg(g, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    return len(pids)


def wait_gone(pids: list[int], limit: float = 15) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        alive = []
        for p in pids:
            try:
                with open(f"/proc/{p}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                        alive.append(p)
            except OSError:
                pass
        if not alive:
            return
        time.sleep(0.05)
    raise RuntimeError(f"processes still alive after SIGKILL: {alive}")


# --- the database server ---------------------------------------------------------------------------


class Postgres:
    def __init__(self, url: str) -> None:
        self.url = url
        with psycopg.connect(url, autocommit=True) as c:
            self.data = c.execute("SHOW data_directory").fetchone()[0]
            self.fsync = c.execute("SHOW fsync").fetchone()[0]
            self.sync_commit = c.execute("SHOW synchronous_commit").fetchone()[0]
            self.full_page_writes = c.execute("SHOW full_page_writes").fetchone()[0]
            self.version = c.execute("SHOW server_version").fetchone()[0]
        self.port = int(urllib.parse.urlsplit(url).port or 5432)
        self.bin = os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin")
        with open(os.path.join(self.data, "postmaster.opts")) as f:
            self.opts_line = f.read().strip()
        self.sockdir = os.path.dirname(self.data)  # with-postgres.sh: -k $PGTMP, data in $PGTMP/data

    def postmaster_pid(self) -> int:
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            return int(f.readline())

    def _as_pg(self, *cmd: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *cmd] if os.getuid() == 0 else list(cmd)

    def kill(self) -> int:
        pm = self.postmaster_pid()
        procs = [pm, *children_of(pm)]
        n = sigkill_tree(pm)
        wait_gone(procs)
        # The postmaster is not our child: until its new parent reaps it, its
        # pid still exists (a zombie) and a new postmaster would take the lock
        # file for a running one. Wait a moment for it to vanish (start() retries).
        deadline = time.monotonic() + 5
        while os.path.exists(f"/proc/{pm}") and time.monotonic() < deadline:
            time.sleep(0.05)
        return n

    def start(self) -> float:
        t = time.monotonic()
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.sockdir} {os.environ.get('WITH_POSTGRES_OPTS', '')}"
        logfile = os.path.join(self.sockdir, "restart.log")
        for attempt in range(5):
            r = subprocess.run(
                self._as_pg(f"{self.bin}/pg_ctl", "-D", self.data, "-l", logfile, "-w", "-t", "120", "start", "-o", opts),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.sockdir,
            )
            if r.returncode == 0:
                return time.monotonic() - t
            with open(logfile, errors="replace") as f:
                tail = f.read()[-1500:]
            log(f"pg_ctl start failed (attempt {attempt + 1}); log tail:\n{tail}")
            time.sleep(1)
        raise RuntimeError("PostgreSQL did not restart")


# --- the app ---------------------------------------------------------------------------------------


class App:
    def __init__(self, env: dict[str, str], port: int, logf: Any) -> None:
        self.env, self.port, self.logf = env, port, logf
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        t = time.monotonic()
        self.proc = subprocess.Popen(
            [PY, "-m", "griddesk.cli", "serve", "--prod", f"127.0.0.1:{self.port}"],
            env=self.env, cwd=ROOT, stdout=self.logf, stderr=self.logf, start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app exited with {self.proc.returncode}; see its log")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", "/healthz", headers=HEADERS_BASE)
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    return time.monotonic() - t
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the app did not answer /healthz within 60 s")

    def kill(self) -> int:
        assert self.proc is not None
        procs = [self.proc.pid, *children_of(self.proc.pid)]
        n = sigkill_tree(self.proc.pid)
        self.proc.wait()
        wait_gone(procs)
        return n

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


# --- clients ---------------------------------------------------------------------------------------


class Intakes:
    """The client side's record: every external_id sent, and the acknowledged ones with their number."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: set[str] = set()
        self.acked: dict[str, dict[str, Any]] = {}
        self.statuses: Counter[str] = Counter()
        self.retried = 0  # intakes that needed more than one attempt
        self.acked_200 = 0  # acknowledged as "already there": an earlier attempt's reply was lost
        self.acked_times: list[float] = []
        self.anomalies: list[str] = []


def client(idx: int, port: int, token: str, stop: threading.Event, hard_stop: threading.Event, rec: Intakes, run: str) -> None:
    rng = random.Random(idx)
    headers = {**HEADERS_BASE, "Authorization": f"Token {token}"}
    conn: http.client.HTTPConnection | None = None
    i = 0
    while not stop.is_set():
        ext = f"DUR-{run}-{idx}-{i}"
        i += 1
        body = json.dumps(intake_body(rng, ext, []), ensure_ascii=False).encode()
        with rec.lock:
            rec.sent.add(ext)
        attempts = 0
        while True:
            if hard_stop.is_set():
                with rec.lock:
                    rec.anomalies.append(f"{ext}: never acknowledged before the hard stop ({attempts} attempts)")
                return
            attempts += 1
            status: int | str
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
                conn.request("POST", "/api/v1/work-orders/", body=body, headers=headers)
                r = conn.getresponse()
                data = r.read()
                status = r.status
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                if conn is not None:
                    conn.close()
                conn = None
            with rec.lock:
                rec.statuses[str(status)] += 1
            if status in (200, 201):
                reply = json.loads(data)
                with rec.lock:
                    rec.acked[ext] = {"number": reply["number"], "status": status, "attempts": attempts}
                    rec.acked_times.append(time.monotonic())
                    if attempts > 1:
                        rec.retried += 1
                    if status == 200:
                        rec.acked_200 += 1
                        if attempts == 1:
                            rec.anomalies.append(f"{ext}: 200 (existing) on the first attempt")
                break
            if isinstance(status, int) and status < 500:
                with rec.lock:
                    rec.anomalies.append(f"{ext}: HTTP {status} {data[:200]!r}")
                if attempts > 5:
                    break
            time.sleep(0.05 + rng.random() * 0.1)


# --- checks ----------------------------------------------------------------------------------------


def check_orders(url: str, run: str, rec: Intakes) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=True) as c:
        rows = c.execute(
            "SELECT o.id, o.external_id, o.number,"
            " (SELECT count(*) FROM workorders_workorderevent e WHERE e.order_id = o.id AND e.action = 'create'),"
            " (SELECT count(*) FROM workorders_workorderevent e WHERE e.order_id = o.id),"
            " (SELECT count(*) FROM workorders_ordersearch s WHERE s.order_id = o.id)"
            " FROM workorders_workorder o WHERE o.external_id LIKE %s",
            (f"DUR-{run}-%",),
        ).fetchall()
        dup_numbers = c.execute(
            "SELECT count(*) FROM (SELECT number FROM workorders_workorder GROUP BY number HAVING count(*) > 1) d"
        ).fetchone()[0]
        total_orders = c.execute("SELECT count(*) FROM workorders_workorder").fetchone()[0]
        # Events or search rows whose order is gone (the FKs forbid it; counted anyway).
        orphan_events = c.execute(
            "SELECT count(*) FROM workorders_workorderevent e LEFT JOIN workorders_workorder o ON o.id = e.order_id WHERE o.id IS NULL"
        ).fetchone()[0]
    by_ext: dict[str, list[tuple[Any, ...]]] = {}
    for r in rows:
        by_ext.setdefault(r[1], []).append(r)
    lost = [e for e in rec.acked if e not in by_ext]
    duplicated = [e for e, rs in by_ext.items() if len(rs) > 1]
    wrong_number = [e for e, a in rec.acked.items() if e in by_ext and by_ext[e][0][2] != a["number"]]
    unacked = [e for e in by_ext if e not in rec.acked]
    unacked_never_sent = [e for e in unacked if e not in rec.sent]
    bad_create = [r[1] for r in rows if r[3] != 1]
    bad_events = [r[1] for r in rows if r[4] != 1]  # nothing but the intake happened to these orders yet
    bad_search = [r[1] for r in rows if r[5] != 1]
    return {
        "orders_in_db": len(rows),
        "acknowledged": len(rec.acked),
        "sent": len(rec.sent),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "wrong_number": len(wrong_number),
        "duplicate_numbers": dup_numbers,
        "orders_without_acknowledgement": len(unacked),
        "orders_never_sent": len(unacked_never_sent),
        "orders_not_one_create_event": len(bad_create),
        "orders_not_one_event": len(bad_events),
        "orders_not_one_search_row": len(bad_search),
        "orphan_events": orphan_events,
        "total_orders": total_orders,
        "examples": {
            "lost": lost[:5], "duplicated": duplicated[:5], "wrong_number": wrong_number[:5], "unacked": unacked[:5],
            "bad_create": bad_create[:5], "bad_search": bad_search[:5],
        },
    }


def race(port: int, token: str, url: str, number: str, version: int | None, racers: int) -> dict[str, Any]:
    headers = {**HEADERS_BASE, "Authorization": f"Token {token}"}
    with psycopg.connect(url, autocommit=True) as c:
        before = c.execute(
            "SELECT count(*) FROM workorders_workorderevent e JOIN workorders_workorder o ON o.id = e.order_id WHERE o.number = %s",
            (number,),
        ).fetchone()[0]
    payload: dict[str, Any] = {"action": "forward", "note": "race"}
    if version is not None:
        payload["version"] = version
    body = json.dumps(payload).encode()
    conns = []
    for _ in range(racers):
        cn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        cn.connect()
        conns.append(cn)
    barrier = threading.Barrier(racers)
    results: list[Any] = [None] * racers
    codes: list[Any] = [None] * racers

    def go(k: int) -> None:
        barrier.wait()
        try:
            conns[k].request("POST", f"/api/v1/work-orders/{number}/actions/", body=body, headers=headers)
            r = conns[k].getresponse()
            data = r.read()
            results[k] = r.status
            try:
                codes[k] = json.loads(data).get("code")
            except ValueError:
                codes[k] = None
        except (OSError, http.client.HTTPException) as exc:
            results[k] = type(exc).__name__
        finally:
            conns[k].close()

    threads = [threading.Thread(target=go, args=(k,)) for k in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with psycopg.connect(url, autocommit=True) as c:
        after, state = c.execute(
            "SELECT (SELECT count(*) FROM workorders_workorderevent e WHERE e.order_id = o.id), o.state"
            " FROM workorders_workorder o WHERE o.number = %s",
            (number,),
        ).fetchone()
    st = Counter(results)
    return {
        "number": number, "version": version, "statuses": dict(st), "codes": dict(Counter(c for c in codes if c)),
        "winners": st.get(200, 0), "conflicts": st.get(409, 0), "events_added": after - before, "state": state,
        "ok": st.get(200, 0) == 1 and st.get(409, 0) == racers - 1 and after - before == 1 and state == "forwarded",
    }


# --- main ------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=75)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--orders-concurrency", type=int, default=10)
    ap.add_argument("--racers", type=int, default=20)
    ap.add_argument("--workers", default=os.environ.get("GRIDDESK_WORKERS", "5"), help="gunicorn workers")
    ap.add_argument("--out", default=os.path.join(HERE, "durability-last-run.txt"))
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("durability.py: run it under WITH_FSYNC=1 scripts/with-postgres.sh", file=sys.stderr)
        return 2
    started = time.monotonic()
    pg = Postgres(url)
    log(f"PostgreSQL {pg.version}, data {pg.data}, fsync={pg.fsync}, synchronous_commit={pg.sync_commit}, "
        f"full_page_writes={pg.full_page_writes}")
    if pg.fsync != "on" or pg.sync_commit != "on":
        print("durability.py: fsync and synchronous_commit must be on (WITH_FSYNC=1)", file=sys.stderr)
        return 2

    var = tempfile.mkdtemp(prefix="griddesk-durability-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "griddesk.settings",
        "GRIDDESK_SECRET_KEY": secrets.token_urlsafe(64),
        "GRIDDESK_ALLOWED_HOSTS": "127.0.0.1",
        "GRIDDESK_VAR_DIR": var,
        "GRIDDESK_NO_WORKERS": "1",
        "GRIDDESK_WORKERS": str(args.workers),
        "PYTHONPATH": ROOT,  # this checkout's griddesk package
    }
    cli = [PY, "-m", "griddesk.cli"]
    t = time.monotonic()
    subprocess.run([*cli, "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
    subprocess.run([*cli, "demo"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    token = subprocess.run([*cli, "token", "agent"], env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip().split()[-1]
    log(f"migrated and loaded the demo organisation in {time.monotonic() - t:.1f} s")

    port = free_port()
    app_log = open(os.path.join(var, "app.log"), "ab")
    app = App(env, port, app_log)
    log(f"app up on 127.0.0.1:{port} in {app.start():.1f} s (gunicorn, {args.workers} workers, production mode)")

    run = datetime.now(UTC).strftime("%H%M%S")
    rec = Intakes()
    stop, hard_stop = threading.Event(), threading.Event()
    threads = [threading.Thread(target=client, args=(k, port, token, stop, hard_stop, rec, run), daemon=True) for k in range(args.clients)]
    t0 = time.monotonic()
    for th in threads:
        th.start()

    # The kill schedule, as fractions of the run: app, database, app, both, database, app.
    schedule = [(0.10, "app"), (0.24, "db"), (0.38, "app"), (0.52, "both"), (0.68, "db"), (0.84, "app")]
    kills: Counter[str] = Counter()
    events: list[dict[str, Any]] = []
    for frac, what in schedule:
        while time.monotonic() - t0 < frac * args.seconds:
            time.sleep(0.05)
        with rec.lock:
            acked_before = len(rec.acked)
        at = time.monotonic() - t0
        ev: dict[str, Any] = {"at_s": round(at, 1), "kill": what, "acked_before": acked_before}
        if what in ("app", "both"):
            ev["app_processes_killed"] = app.kill()
        if what in ("db", "both"):
            ev["db_processes_killed"] = pg.kill()
        kills[what] += 1
        time.sleep(1.0)  # down for a moment: clients see refused connections / 503s and retry
        if what in ("db", "both"):
            ev["db_restart_s"] = round(pg.start(), 2)
        if what in ("app", "both"):
            ev["app_restart_s"] = round(app.start(), 2)
        # Back in service: time until the next acknowledgement.
        t_up = time.monotonic()
        while time.monotonic() - t_up < 30:
            with rec.lock:
                if rec.acked_times and rec.acked_times[-1] > t_up:
                    break
            time.sleep(0.02)
        ev["first_ack_after_restart_s"] = round(time.monotonic() - t_up, 2)
        events.append(ev)
        log(f"kill -9 {what:4} at {at:5.1f} s: {ev}")
    while time.monotonic() - t0 < args.seconds:
        time.sleep(0.1)
    stop.set()  # no new intakes; the ones in flight are retried to acknowledgement
    for th in threads:
        th.join(60)
    hard_stop.set()
    for th in threads:
        th.join(30)
    elapsed = time.monotonic() - t0
    log(f"intake phase: {len(rec.acked)} acknowledged in {elapsed:.1f} s; statuses {dict(rec.statuses)}")

    durability = check_orders(url, run, rec)

    # Concurrency: received orders of this run, their current version.
    with psycopg.connect(url, autocommit=True) as c:
        cands = c.execute(
            "SELECT number, version FROM workorders_workorder WHERE external_id LIKE %s AND state = 'received'"
            " ORDER BY id DESC LIMIT %s",
            (f"DUR-{run}-%", args.orders_concurrency + 5),
        ).fetchall()
    races = []
    for k, (number, version) in enumerate(cands):
        r = race(port, token, url, number, version if k < args.orders_concurrency else None, args.racers)
        races.append(r)
        log(f"race on {number} (version {r['version']}): {r['statuses']} {r['codes']}, events +{r['events_added']}, "
            f"{r['state']} -> {'ok' if r['ok'] else 'FAIL'}")
    app.stop()
    app_log.close()

    ok = (
        durability["lost"] == 0 and durability["duplicated"] == 0 and durability["wrong_number"] == 0
        and durability["duplicate_numbers"] == 0 and durability["orders_without_acknowledgement"] == 0
        and durability["orders_not_one_create_event"] == 0 and durability["orders_not_one_search_row"] == 0
        and durability["orders_not_one_event"] == 0 and durability["acknowledged"] == durability["sent"]
        and all(r["ok"] for r in races) and len(races) >= args.orders_concurrency
        and kills["app"] >= 1 and kills["db"] >= 1 and kills["both"] >= 1
    )
    summary = {
        "benchmark": "durability",
        "ok": ok,
        "postgres": pg.version, "fsync": pg.fsync, "synchronous_commit": pg.sync_commit,
        "clients": args.clients, "gunicorn_workers": int(args.workers), "intake_seconds": round(elapsed, 1),
        "acknowledged": durability["acknowledged"], "sent": durability["sent"],
        "acknowledged_after_retry": rec.retried, "acknowledged_as_existing_200": rec.acked_200,
        "kills": {"app": kills["app"], "db": kills["db"], "both": kills["both"]},
        "lost": durability["lost"], "duplicated": durability["duplicated"], "wrong_number": durability["wrong_number"],
        "duplicate_numbers": durability["duplicate_numbers"],
        "orders_without_acknowledgement": durability["orders_without_acknowledgement"],
        "orders_not_one_create_event": durability["orders_not_one_create_event"],
        "orders_not_one_search_row": durability["orders_not_one_search_row"],
        "client_statuses": dict(rec.statuses),
        "anomalies": len(rec.anomalies),
        "races": len(races), "racers": args.racers,
        "races_exactly_one_winner": sum(1 for r in races if r["winners"] == 1),
        "races_ok": sum(1 for r in races if r["ok"]),
        "race_statuses": dict(sum((Counter({str(k): v for k, v in r["statuses"].items()}) for r in races), Counter())),
        "total_seconds": round(time.monotonic() - started, 1),
    }
    lines = [
        "",
        "GridDesk durability and concurrency (benchmarks/durability.py)",
        (
            f"  PostgreSQL {pg.version}, fsync={pg.fsync}, synchronous_commit={pg.sync_commit}; "
            f"gunicorn {args.workers} workers (production mode); {args.clients} client threads for {elapsed:.0f} s"
        ),
        "",
        f"  {'kill -9':<40}{'count':>8}",
        f"  {'app (serve + gunicorn master + workers)':<40}{kills['app']:>8}",
        f"  {'database (postmaster + backends)':<40}{kills['db']:>8}",
        f"  {'both at once':<40}{kills['both']:>8}",
        "",
        f"  {'intakes':<40}{'':>8}",
        f"  {'sent (distinct external_id)':<40}{durability['sent']:>8}",
        f"  {'acknowledged (201/200)':<40}{durability['acknowledged']:>8}",
        f"  {'  of which after a retry':<40}{rec.retried:>8}",
        f"  {'  of which 200 (created, reply lost)':<40}{rec.acked_200:>8}",
        f"  {'orders of this run in the database':<40}{durability['orders_in_db']:>8}",
        f"  {'lost (acknowledged, not in database)':<40}{durability['lost']:>8}",
        f"  {'duplicated (external_id twice)':<40}{durability['duplicated']:>8}",
        f"  {'acknowledged number differs':<40}{durability['wrong_number']:>8}",
        f"  {'duplicate order numbers':<40}{durability['duplicate_numbers']:>8}",
        f"  {'orders never acknowledged':<40}{durability['orders_without_acknowledgement']:>8}",
        f"  {'orders without exactly 1 create event':<40}{durability['orders_not_one_create_event']:>8}",
        f"  {'orders without exactly 1 search row':<40}{durability['orders_not_one_search_row']:>8}",
        f"  client replies: {dict(rec.statuses)}",
        "",
        (
            f"  concurrency: {len(races)} orders x {args.racers} simultaneous `forward` "
            f"({min(args.orders_concurrency, len(races))} with the same version, the rest without)"
        ),
        f"  {'orders with exactly one winner':<40}{summary['races_exactly_one_winner']:>8}",
        f"  {'orders ok (1x200, rest 409, +1 event)':<40}{summary['races_ok']:>8}",
        f"  race replies: {summary['race_statuses']}",
        "",
        f"  kills: {json.dumps(events, ensure_ascii=False)}",
    ]
    if rec.anomalies:
        lines.append(f"  client anomalies ({len(rec.anomalies)}): {rec.anomalies[:10]}")
    if any(durability["examples"].values()):
        lines.append(f"  examples: {durability['examples']}")
    lines += ["", f"  RESULT: {'OK' if ok else 'FAILED'}", "", json.dumps(summary, ensure_ascii=False)]
    text = "\n".join(lines)
    print(text)
    with open(args.out, "w") as f:
        f.write(text + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
