"""Satisfaction index through the app: DB read + PLS fit + bootstrap + segments, stored snapshot.

    .venv/bin/python benchmarks/satisfaction.py [--rows 100000] [--runs 3] [--bootstrap 200]
    scripts/with-postgres.sh .venv/bin/python benchmarks/satisfaction.py   # SQLite, then PostgreSQL

Each database is benchmarked in fresh child processes: one migrates and loads
``--rows`` synthetic responses of the default CCSI questionnaire (8 constructs ×
3 = 24 indicators, answers 1–10, 1 % missing; ``demo.demo_responses_create``),
the next times ``index.index_compute`` (what "Compute now" and the queued task
run) ``--runs`` times and reports latency, throughput (responses/s), the
snapshot's own read / fit / segments split, the peak RSS of that process after
computing, one computation without bootstrap, then the reader alone
(``index.load_responses``: time; tracemalloc peak on all rows and on 20,000)
against reading the same rows as model objects (what the reader replaces; time
on all rows, tracemalloc peak on 20,000).
SQLite uses a temporary file; PostgreSQL the ``DATABASE_URL`` given (only when set).
Prints one JSON line per database.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "griddesk.settings")
    import django

    django.setup()


def load(rows: int) -> dict[str, float]:
    _setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from griddesk.organisation.demo import build_demo_org
    from griddesk.satisfaction.demo import demo_responses_create

    build_demo_org(with_users=False)
    t = time.perf_counter()
    done = 0
    while done < rows:  # in slices so the loader's own memory stays small
        n = min(20_000, rows - done)
        demo_responses_create(n=n, seed=1000 + done, months=12)
        done += n
    return {"load_seconds": round(time.perf_counter() - t, 1)}


def measure(runs: int, bootstrap: int) -> dict[str, object]:
    _setup()
    from django.db import connection

    from griddesk.satisfaction import defaults
    from griddesk.satisfaction.index import engine_model, index_compute, load_responses
    from griddesk.satisfaction.models import Questionnaire, SurveyResponse

    q = Questionnaire.objects.get(code=defaults.DEFAULT_CODE)
    q.bootstrap = bootstrap
    q.save()
    columns = list(engine_model(q).indicators)
    qs = SurveyResponse.objects.filter(questionnaire=q)

    # 1. The service, as "Compute now" runs it (first: the process's peak RSS is the computation's).
    lat: list[float] = []
    parts: list[dict[str, float]] = []
    snap = None
    for _ in range(runs):
        t = time.perf_counter()
        snap = index_compute(questionnaire=q)
        lat.append(time.perf_counter() - t)
        parts.append(snap.params.get("timings", {}))
        assert snap.state == "done", snap.message
    assert snap is not None
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    n = snap.n
    q.bootstrap = 0
    q.save()
    t = time.perf_counter()
    index_compute(questionnaire=q)
    no_boot = time.perf_counter() - t

    # 2. The reader alone: timed, then again under tracemalloc for its peak (tracemalloc slows it down).
    t = time.perf_counter()
    frame = load_responses(qs, columns)
    read_s = time.perf_counter() - t
    del frame
    tracemalloc.start()
    frame = load_responses(qs, columns)
    read_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del frame

    # 3. What the reader replaces: model objects, timed on all rows; memory traced on 20,000 of them.
    t = time.perf_counter()
    objs = list(qs.select_related("area").order_by("pk"))
    naive = [[r.answers.get(c) for c in columns] for r in objs]
    naive_s = time.perf_counter() - t
    del objs, naive
    tracemalloc.start()
    objs = list(qs.select_related("area").order_by("pk")[:20_000])
    naive = [[r.answers.get(c) for c in columns] for r in objs]
    naive_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del objs, naive
    tracemalloc.start()
    small = load_responses(qs.filter(pk__in=qs.order_by("pk").values("pk")[:20_000]), columns)
    small_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del small

    return {
        "database": connection.vendor,
        "responses": n,
        "indicators": len(columns),
        "bootstrap": bootstrap,
        "runs": runs,
        "compute_seconds": [round(x, 2) for x in lat],
        "compute_p50": round(statistics.median(lat), 2),
        "compute_max": round(max(lat), 2),
        "responses_per_second": round(n / statistics.median(lat)),
        "split_p50": {k: round(statistics.median(p[k] for p in parts), 2) for k in ("read", "fit", "segments")},
        "compute_no_bootstrap_seconds": round(no_boot, 2),
        "peak_rss_mib_after_compute": round(rss1 / 1024),
        "reader_seconds": round(read_s, 2),
        "reader_peak_mib": round(read_peak / 2**20, 1),
        "model_objects_seconds": round(naive_s, 2),
        "reader_peak_mib_20k": round(small_peak / 2**20, 1),
        "model_objects_peak_mib_20k": round(naive_peak / 2**20, 1),
        "index_cs": round(snap.result["index"]["CS"], 2),
    }


def run_child(env: dict[str, str], args: list[str]) -> dict[str, object]:
    out = subprocess.run([sys.executable, __file__, *args], env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--bootstrap", type=int, default=200)
    p.add_argument("--child", choices=["load", "measure"])
    a = p.parse_args()
    if a.child == "load":
        print(json.dumps(load(a.rows)))
        return
    if a.child == "measure":
        print(json.dumps(measure(a.runs, a.bootstrap)))
        return
    targets: list[tuple[str, dict[str, str], str | None]] = []
    tmp = tempfile.mkdtemp(prefix="griddesk-bench-")
    sqlite_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    sqlite_env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    targets.append(("sqlite", sqlite_env, f"{tmp}/bench.sqlite3"))
    if os.environ.get("DATABASE_URL"):
        targets.append(("postgresql", dict(os.environ), None))
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
          file=sys.stderr)
    for name, env, path in targets:
        loaded = run_child(env, ["--child", "load", "--rows", str(a.rows)])
        result = run_child(env, ["--child", "measure", "--runs", str(a.runs), "--bootstrap", str(a.bootstrap)])
        print(json.dumps({"target": name, **loaded, **result}, ensure_ascii=False), flush=True)
        if path:
            for suffix in ("", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
