#!/usr/bin/env python3
"""Load generator for the GridDesk API (standard library only, loopback only).

Measures, against a running server:

* single-order intake (POST /api/v1/work-orders/, unique external ids) at 1, 8
  and 32 concurrent clients: throughput and p50/p99 latency;
* bulk intake (POST /api/v1/work-orders/bulk/, 1,000 orders per request): orders/s;
* order detail GET and queue list GET (?page_size=50 as agent, specialist and
  manager): p50/p99;
* peak RSS (VmHWM) of the server processes, from /proc.

Every scenario is bounded both by a request count and by a duration. Prints a
table and writes a JSON report.

    python benchmarks/load.py --url http://127.0.0.1:8000 --pid GUNICORN_MASTER_PID \\
        --token agent=KEY --token specialist=KEY --token manager=KEY --numbers numbers.txt --out last-run.json
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import statistics
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

CHANNELS = ("95598", "95598", "95598", "online", "wechat", "12345", "hall")
CATEGORIES = ("business.tariff", "business.metering", "outage.fault", "power_quality.voltage", "service.attitude", "business.payment")
CONTENTS = (
    "客户反映本月电费比上月高出很多，家中用电情况没有变化，怀疑电表计量有误，要求核查。",
    "客户反映所在片区晚上电压偏低，空调无法启动，要求尽快处理。",
    "客户反映昨天晚上突然停电，至今未恢复供电，家中有老人，要求尽快抢修。",
    "客户反映营业厅工作人员态度冷淡，询问电费明细时不耐烦，要求批评教育。",
    "客户反映网上国网缴费后系统仍显示欠费，要求核实到账情况。",
)


# ------------------------------------------------------------------ measurement


@dataclass
class Result:
    name: str
    clients: int
    requests: int = 0
    ok: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    items: int = 0  # orders created (bulk)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds: app, db, client

    def add(self, status: int, latency: float, items: int = 0) -> None:
        self.requests += 1
        self.latencies.append(latency)
        if 200 <= status < 300:
            self.ok += 1
            self.items += items
        else:
            self.errors[str(status)] = self.errors.get(str(status), 0) + 1

    def pct(self, p: float) -> float | None:
        if not self.latencies:
            return None
        xs = sorted(self.latencies)  # nearest-rank percentile
        k = min(len(xs) - 1, max(0, math.ceil(p / 100 * len(xs)) - 1))
        return xs[k] * 1000

    def summary(self) -> dict[str, Any]:
        rps = self.ok / self.seconds if self.seconds else 0.0
        return {
            "name": self.name,
            "clients": self.clients,
            "requests": self.requests,
            "ok": self.ok,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "requests_per_s": round(rps, 1),
            "items": self.items,
            "items_per_s": round(self.items / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": _r(self.pct(50)),
            "p90_ms": _r(self.pct(90)),
            "p99_ms": _r(self.pct(99)),
            "max_ms": _r(max(self.latencies) * 1000 if self.latencies else None),
            "mean_ms": _r(statistics.fmean(self.latencies) * 1000 if self.latencies else None),
            "cpu_seconds": {k: round(v, 2) for k, v in self.cpu.items()},
            "app_cpu_ms_per_request": _r(self.cpu["app"] / self.requests * 1000) if self.requests and "app" in self.cpu else None,
            "db_cpu_ms_per_request": _r(self.cpu["db"] / self.requests * 1000) if self.requests and "db" in self.cpu else None,
        }


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


class Client:
    """One keep-alive-capable HTTP connection (reopened when the server closes it)."""

    def __init__(self, base: str, token: str, timeout: float = 120.0) -> None:
        u = urllib.parse.urlsplit(base)
        if u.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("load.py only talks to a server on the loopback interface")
        self.host, self.port = u.hostname, u.port or 80
        self.timeout = timeout
        self.headers = {"Accept": "application/json"}
        if token:
            self.headers["Authorization"] = f"Token {token}"
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        data = None
        headers = dict(self.headers)
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                payload = resp.read()
                if resp.getheader("Connection", "").lower() == "close" or resp.will_close:
                    self.conn.close()
                    self.conn = None
                return resp.status, payload
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


METER: Any = None  # the CpuMeter, set in main()


def run(name: str, clients: int, make_request: Any, *, max_requests: int, max_seconds: float, warmup: int = 0) -> Result:
    """Run ``make_request(client_index, i) -> (status, items)`` from ``clients`` threads."""
    result = Result(name, clients)
    lock = threading.Lock()
    counter = iter(range(max_requests))
    deadline_box: list[float] = []
    errors: list[BaseException] = []

    def worker(ci: int) -> None:
        for w in range(warmup):
            make_request(ci, -1 - w)
        start_barrier.wait()
        go.wait()
        while True:
            with lock:
                i = next(counter, None)
            if i is None or time.perf_counter() > deadline_box[0]:
                return
            t = time.perf_counter()
            try:
                status, items = make_request(ci, i)
            except Exception as exc:  # noqa: BLE001 - counted, not fatal
                status, items = 599, 0
                errors.append(exc)
            lat = time.perf_counter() - t
            with lock:
                result.add(status, lat, items)

    start_barrier = threading.Barrier(clients + 1)
    go = threading.Event()
    threads = [threading.Thread(target=worker, args=(ci,), daemon=True) for ci in range(clients)]
    for th in threads:
        th.start()
    start_barrier.wait()  # every client warmed up
    meter = METER or CpuMeter(None, None)
    cpu_before = meter.snapshot()
    client_before = time.process_time()
    t0 = time.perf_counter()
    deadline_box.append(t0 + max_seconds)
    go.set()
    for th in threads:
        th.join()
    result.seconds = time.perf_counter() - t0
    result.cpu = meter.delta(cpu_before, meter.snapshot())
    result.cpu["client"] = time.process_time() - client_before
    if errors:
        result.errors["exception"] = len(errors)
        result.errors["first_exception"] = repr(errors[0])[:200]  # type: ignore[assignment]
    return result


# ------------------------------------------------------------------ scenarios


def intake_body(rng: random.Random, ext: str, accounts: list[str]) -> dict[str, Any]:
    received = datetime.now(UTC) - timedelta(minutes=rng.randint(1, 600))
    account = rng.choice(accounts) if accounts and rng.random() < 0.7 else f"79{rng.randrange(10**8):08d}"
    return {
        "external_id": ext,
        "channel": rng.choice(CHANNELS),
        "type": "complaint",
        "category": rng.choice(CATEGORIES),
        "content": rng.choice(CONTENTS),
        "received_at": received.isoformat(),
        "customer": {"account_no": account, "name": "张三", "phone": "13812341234", "address": "江城市东湖县城关街道人民路1号", "category": "residential"},
    }


def proc_status(pid: int) -> dict[str, str]:
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.strip()
    except OSError:
        pass
    return out


def server_processes(master: int) -> list[int]:
    pids = [master]
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    stat = f.read()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == master:
                pids.append(int(d))
    return pids


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """utime + stime of each process, in seconds (from /proc/PID/stat)."""
    out = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / _TICK
        except (OSError, ValueError, IndexError):
            pass
    return out


class CpuMeter:
    """CPU time used by the app server and the database server during a scenario.

    The machine may be shared, so wall-clock figures depend on what else runs;
    CPU milliseconds per request do much less.
    """

    def __init__(self, app_pid: int | None, db_pid: int | None) -> None:
        self.app_pid, self.db_pid = app_pid, db_pid

    def snapshot(self) -> dict[str, dict[int, float]]:
        snap = {}
        if self.app_pid:
            snap["app"] = cpu_seconds(server_processes(self.app_pid))
        if self.db_pid:
            snap["db"] = cpu_seconds(server_processes(self.db_pid))
        return snap

    @staticmethod
    def delta(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
        out = {}
        for k, now in after.items():
            prev = before.get(k, {})
            out[k] = sum(max(0.0, v - prev.get(pid, 0.0)) for pid, v in now.items())
        return out


def memory(master: int) -> dict[str, Any]:
    procs = []
    for pid in server_processes(master):
        st = proc_status(pid)
        if not st:
            continue
        hwm_kb, rss_kb = (int(st.get(k, "0 kB").split()[0]) for k in ("VmHWM", "VmRSS"))
        procs.append({"pid": pid, "role": "master" if pid == master else "worker", "vm_hwm_mb": round(hwm_kb / 1024, 1), "vm_rss_mb": round(rss_kb / 1024, 1)})
    workers = [p for p in procs if p["role"] == "worker"]
    return {
        "processes": procs,
        "peak_worker_mb": max((p["vm_hwm_mb"] for p in workers), default=None),
        "sum_of_worker_peaks_mb": round(sum(p["vm_hwm_mb"] for p in workers), 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--pid", type=int, help="gunicorn master pid (peak RSS, CPU time)")
    ap.add_argument("--db-pid", type=int, help="PostgreSQL postmaster pid (CPU time of its backends)")
    ap.add_argument("--token", action="append", default=[], help="ROLE=KEY (agent, specialist, manager)")
    ap.add_argument("--numbers", help="file with order numbers to GET")
    ap.add_argument("--accounts", help="file with customer account numbers for intake")
    ap.add_argument("--out", help="write the JSON report here")
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", 20)), help="time cap per scenario")
    ap.add_argument("--quick", action="store_true", help="small request counts (smoke test)")
    ap.add_argument("--meta", help="JSON file with facts about the run to merge into the report")
    ap.add_argument("--scenarios", default="floor,intake,bulk,detail,queue", help="comma list of floor,intake,bulk,detail,queue")
    args = ap.parse_args()

    global METER
    METER = CpuMeter(args.pid, args.db_pid)
    tokens = dict(t.split("=", 1) for t in args.token)
    numbers = [line.strip() for line in open(args.numbers)] if args.numbers else []
    accounts = [line.strip() for line in open(args.accounts)] if args.accounts else []
    numbers = [n for n in numbers if n]
    accounts = [a for a in accounts if a]
    scale = 0.1 if args.quick else 1.0
    secs = args.seconds * (0.25 if args.quick else 1.0)
    run_id = f"{int(time.time())}-{os.getpid()}"
    results: list[Result] = []
    local = threading.local()

    def client(role: str) -> Client:
        c = getattr(local, role, None)
        if c is None:
            c = Client(args.url, tokens[role])
            setattr(local, role, c)
        return c

    def bare() -> Client:  # no token
        c = getattr(local, "_bare", None)
        if c is None:
            c = Client(args.url, "")
            local._bare = c
        return c

    rng_lock = threading.Lock()
    rng = random.Random(42)

    def rnd() -> random.Random:
        with rng_lock:
            return random.Random(rng.random())

    # warm every worker up (imports, connections, caches)
    for _ in range(20):
        client("agent").request("GET", "/api/v1/work-orders/?page_size=1")

    wanted = set(args.scenarios.split(","))

    # 0. floors: what a request costs that does (almost) nothing ------------
    #    /healthz: gunicorn + Django's middleware + one SELECT 1, no login;
    #    an unknown order: the same + DRF + token authentication + one lookup.
    for path, label, role in (("/healthz", "floor: healthz", None), ("/api/v1/work-orders/XX00000000000000/", "floor: API 404", "agent")):
        if "floor" not in wanted:
            break
        for clients in (1, 8):
            def floor(ci: int, i: int, path: str = path, role: str | None = role) -> tuple[int, int]:
                status, _ = client(role or "agent").request("GET", path) if role else bare().request("GET", path)
                return (200 if status in (200, 404) else status), 0

            res = run(label, clients, floor, max_requests=int(3000 * scale), max_seconds=secs, warmup=2)
            results.append(res)
            _print_progress(res)

    # 1. single-order intake ------------------------------------------------
    for clients in ((1, 8, 32) if "intake" in wanted else ()):
        def single(ci: int, i: int, clients: int = clients) -> tuple[int, int]:
            r = rnd()
            ext = f"BENCH-{run_id}-s{clients}-{ci}-{i}"
            status, _ = client("agent").request("POST", "/api/v1/work-orders/", intake_body(r, ext, accounts))
            return status, 1 if status == 201 else 0

        res = run("intake single", clients, single, max_requests=int(3000 * scale * max(1, clients / 8)), max_seconds=secs, warmup=1)
        results.append(res)
        _print_progress(res)

    # 2. bulk intake: 1,000 orders per request --------------------------------
    for clients in ((1, 4) if "bulk" in wanted else ()):
        def bulk(ci: int, i: int, clients: int = clients) -> tuple[int, int]:
            r = rnd()
            size = 1000
            orders = [intake_body(r, f"BENCH-{run_id}-b{clients}-{ci}-{i}-{k}", accounts) for k in range(size)]
            status, body = client("agent").request("POST", "/api/v1/work-orders/bulk/", {"orders": orders})
            created = json.loads(body).get("created", 0) if status == 200 else 0
            return status, created

        res = run("intake bulk x1000", clients, bulk, max_requests=max(2, int(12 * scale)) * clients, max_seconds=max(secs, 30 if not args.quick else 10))
        results.append(res)
        _print_progress(res)

    # 3. order detail ---------------------------------------------------------
    if numbers and "detail" in wanted:
        for clients in (1, 8):
            def detail(ci: int, i: int) -> tuple[int, int]:
                n = numbers[rnd().randrange(len(numbers))]
                status, _ = client("agent").request("GET", f"/api/v1/work-orders/{n}/")
                return status, 0

            res = run("order detail GET", clients, detail, max_requests=int(2000 * scale), max_seconds=secs, warmup=2)
            results.append(res)
            _print_progress(res)

    # 4. queue list -------------------------------------------------------------
    for role in (("agent", "specialist", "manager") if "queue" in wanted else ()):
        if role not in tokens:
            continue
        for clients in (1, 8):
            def queue_list(ci: int, i: int, role: str = role) -> tuple[int, int]:
                status, _ = client(role).request("GET", "/api/v1/work-orders/?page_size=50")
                return status, 0

            res = run(f"queue list ({role})", clients, queue_list, max_requests=int(600 * scale), max_seconds=secs, warmup=1)
            results.append(res)
            _print_progress(res)

    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "url": args.url,
        "results": [r.summary() for r in results],
    }
    report["load_average_after"] = open("/proc/loadavg").read().split()[:3]
    if args.pid:
        report["memory"] = memory(args.pid)
    if args.meta and os.path.exists(args.meta):
        with open(args.meta) as f:
            report["meta"] = json.load(f)
    print_table(report)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=2, ensure_ascii=False)
            f.write("\n")
        print(f"\nwritten: {args.out}")
    return 0


def _print_progress(res: Result) -> None:
    s = res.summary()
    print(f"  … {s['name']:<24} c={s['clients']:<3} {s['ok']:>6} ok in {s['seconds']:.1f}s  p50 {s['p50_ms']} ms  p99 {s['p99_ms']} ms  errors {s['errors'] or '-'}", file=sys.stderr, flush=True)


def print_table(report: dict[str, Any]) -> None:
    meta = report.get("meta", {})
    if meta:
        print()
        for k, v in meta.items():
            print(f"{k:>22}: {v}")
    print()
    head = (
        f"{'scenario':<26}{'clients':>8}{'requests':>10}{'req/s':>9}{'orders/s':>10}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}{'app cpu':>9}{'db cpu':>8}  errors"
    )
    print(head)
    print("-" * len(head))
    for s in report["results"]:
        orders = f"{s['items_per_s']:,.0f}" if s["items"] else ""
        err = ",".join(f"{k}:{v}" for k, v in s["errors"].items() if k != "first_exception") or "-"
        print(
            f"{s['name']:<26}{s['clients']:>8}{s['requests']:>10}{s['requests_per_s']:>9,.1f}{orders:>10}"
            f"{_f(s['p50_ms'])}{_f(s['p90_ms'])}{_f(s['p99_ms'])}{_f(s['max_ms'])}"
            f"{_f(s['app_cpu_ms_per_request'])}{_f(s['db_cpu_ms_per_request'], 8)}  {err}"
        )
    print("(app cpu / db cpu: CPU milliseconds per request used by the gunicorn processes / the PostgreSQL backends)")
    mem = report.get("memory")
    if mem:
        print()
        print(f"server peak RSS (VmHWM): largest worker {mem['peak_worker_mb']} MB, all workers {mem['sum_of_worker_peaks_mb']} MB")
        for p in mem["processes"]:
            print(f"  pid {p['pid']:>7} {p['role']:<7} peak {p['vm_hwm_mb']:>7} MB  now {p['vm_rss_mb']:>7} MB")


def _f(v: float | None, width: int = 9) -> str:
    return f"{v:>{width},.1f}" if v is not None else f"{'-':>{width}}"


if __name__ == "__main__":
    sys.exit(main())
