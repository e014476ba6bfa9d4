#!/usr/bin/env bash
# `make bench`: GridDesk under load, on a throwaway PostgreSQL 15.
#
#   benchmarks/run.sh            # 1,000,000 orders / 200,000 customers (several minutes to load)
#   BENCH_ORDERS=100000 BENCH_CUSTOMERS=20000 benchmarks/run.sh     # smaller
#
# Steps: start PostgreSQL (scripts/with-postgres.sh; fsync ON unless
# BENCH_FSYNC=0), migrate, load `griddesk demo --customers N --orders M` (timed),
# EXPLAIN ANALYZE the queue queries, start gunicorn on a free loopback port, run
# benchmarks/load.py, print a table and write benchmarks/last-run.json.
#
# Environment: BENCH_OUT / BENCH_EXPLAIN_OUT (output files), BENCH_ORDERS, BENCH_CUSTOMERS, BENCH_WORKERS (gunicorn, default 5),
# BENCH_SECONDS (time cap per scenario, default 20), BENCH_QUICK=1 (small request
# counts), BENCH_FSYNC, BENCH_PG_OPTS (server options), PY (python, default .venv),
# BENCH_SCENARIOS (comma list of floor,intake,bulk,detail,queue; default all).
#
# Against an already loaded database (no throwaway server, no load):
#   DATABASE_URL=postgres://… PGHOST=… PGPORT=… PGUSER=… BENCH_NO_LOAD=1 benchmarks/run.sh --inside
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
PY="${PY:-$ROOT/.venv/bin/python}"
case "$PY" in /*) ;; *) PY="$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")" ;; esac

if [ "${1:-}" != "--inside" ]; then
  # Durable settings for a benchmark (fsync on); memory settings of a small
  # dedicated database server. Override with BENCH_PG_OPTS.
  export WITH_FSYNC="${BENCH_FSYNC:-1}"
  export WITH_POSTGRES_OPTS="${BENCH_PG_OPTS:--c shared_buffers=2GB -c effective_cache_size=8GB -c work_mem=16MB -c maintenance_work_mem=512MB -c max_wal_size=8GB -c checkpoint_timeout=30min -c max_connections=200}"
  exec "$ROOT/scripts/with-postgres.sh" "$HERE/run.sh" --inside
fi

cd "$ROOT"
ORDERS="${BENCH_ORDERS:-1000000}"
CUSTOMERS="${BENCH_CUSTOMERS:-200000}"
WORKERS="${BENCH_WORKERS:-5}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/griddesk-bench.XXXXXX")"
GUNICORN_PID=""

cleanup() {
  local rc=$?
  if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
    kill -TERM "$GUNICORN_PID" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$GUNICORN_PID" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$GUNICORN_PID" 2>/dev/null || true
  fi
  # server-side errors (Django logs them with tracebacks) are kept for reading
  if [ -s "$WORK/gunicorn.log" ]; then cp "$WORK/gunicorn.log" "$HERE/last-server.log" 2>/dev/null || true; else rm -f "$HERE/last-server.log"; fi
  if [ "$rc" != 0 ] && [ -f "$WORK/gunicorn.log" ]; then
    echo "--- gunicorn log (tail) ---" >&2
    tail -n 40 "$WORK/gunicorn.log" >&2 || true
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export GRIDDESK_VAR_DIR="$WORK/var"
export GRIDDESK_DEBUG=0
export GRIDDESK_ALLOWED_HOSTS="127.0.0.1,localhost"
export GRIDDESK_SECRET_KEY="bench-$(date +%s)-$$-not-a-secret"
export GRIDDESK_LOG_LEVEL="${GRIDDESK_LOG_LEVEL:-ERROR}"
export DJANGO_SETTINGS_MODULE=griddesk.settings
mkdir -p "$GRIDDESK_VAR_DIR/static"

now() { date +%s.%N; }
echo "== PostgreSQL: $(psql -Atc 'show server_version') at $DATABASE_URL (fsync $(psql -Atc 'show fsync'))"

echo "== migrate"
"$PY" manage.py migrate --noinput -v0

if [ "${BENCH_NO_LOAD:-0}" = 1 ]; then
  echo "== no load (BENCH_NO_LOAD=1): $(psql -Atc 'select count(*) from workorders_workorder') orders already in the database"
  : >"$WORK/demo.log"
  LOAD_SECONDS=0
else
  echo "== load: demo --customers $CUSTOMERS --orders $ORDERS"
  t0="$(now)"
  "$PY" manage.py demo --customers "$CUSTOMERS" --orders "$ORDERS" --no-logins | tee "$WORK/demo.log"
  t1="$(now)"
  LOAD_SECONDS="$(python3 -c "print(round($t1 - $t0, 1))")"
  echo "== load took $LOAD_SECONDS s (wall clock, whole command)"
fi

psql -Atc "select number from workorders_workorder tablesample system (2) limit 5000" >"$WORK/numbers.txt"
psql -Atc "select account_no from customers_customer tablesample system (5) limit 5000" >"$WORK/accounts.txt"

echo "== EXPLAIN ANALYZE of the queue queries -> benchmarks/last-explain.txt"
"$PY" "$HERE/explain.py" >"${BENCH_EXPLAIN_OUT:-$HERE/last-explain.txt}" 2>&1 || echo "(explain failed, see ${BENCH_EXPLAIN_OUT:-benchmarks/last-explain.txt})"

TOKENS=()
for role in agent specialist manager; do
  TOKENS+=(--token "$role=$("$PY" manage.py token "$role")")
done

# facts about this run for the report
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD -- griddesk 2>/dev/null || echo '+uncommitted')"
"$PY" - "$WORK/meta.json" "$LOAD_SECONDS" "$ORDERS" "$CUSTOMERS" "$WORKERS" "$WORK/demo.log" "$COMMIT" <<'PYEOF'
import json, os, subprocess, sys, datetime
out, load_s, orders, customers, workers, demo_log, commit = sys.argv[1:]
def psql(sql):
    return subprocess.run(["psql", "-Atc", sql], capture_output=True, text=True).stdout.strip()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem_kb = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
bulk_line = next((l.strip() for l in open(demo_log) if l.startswith("Bulk orders:")), "")
meta = {
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "commit": commit,
    "nproc": os.cpu_count(),
    "memory_gb": round(mem_kb / 1024 / 1024, 1),
    "cpu": cpu,
    "postgresql": psql("show server_version"),
    "fsync": psql("show fsync"),
    "shared_buffers": psql("show shared_buffers"),
    "orders_in_db": int(psql("select count(*) from workorders_workorder") or 0),
    "events_in_db": int(psql("select count(*) from workorders_workorderevent") or 0),
    "customers_in_db": int(psql("select count(*) from customers_customer") or 0),
    "database_size": psql("select pg_size_pretty(pg_database_size(current_database()))"),
    "bulk_orders_requested": int(orders),
    "load_seconds_total": float(load_s),
    "load_line": bulk_line,
    "gunicorn_workers": int(workers),
    "load_average_before": open("/proc/loadavg").read().split()[:3],
}
json.dump(meta, open(out, "w"), indent=2, ensure_ascii=False)
PYEOF

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
echo "== gunicorn: $WORKERS workers on 127.0.0.1:$PORT"
"$PY" -m gunicorn griddesk.wsgi -w "$WORKERS" -b "127.0.0.1:$PORT" --timeout 600 \
  --log-level warning --error-logfile - >"$WORK/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
ready=0
for _ in $(seq 1 120); do
  if python3 - "$PORT" <<'PYEOF' 2>/dev/null
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/accounts/login/", timeout=2)
except urllib.error.HTTPError:
    pass  # any HTTP answer means the server is up
PYEOF
  then ready=1; break; fi
  kill -0 "$GUNICORN_PID" 2>/dev/null || break
  sleep 0.5
done
if [ "$ready" != 1 ]; then
  echo "gunicorn did not come up" >&2
  exit 1
fi

PG_PID="$(head -n 1 "$(psql -Atc "select setting from pg_settings where name = 'data_directory'")/postmaster.pid" 2>/dev/null || true)"

echo "== load generator"
QUICK=()
[ "${BENCH_QUICK:-0}" = 1 ] && QUICK=(--quick)
"$PY" "$HERE/load.py" --url "http://127.0.0.1:$PORT" --pid "$GUNICORN_PID" ${PG_PID:+--db-pid "$PG_PID"} "${TOKENS[@]}" \
  --numbers "$WORK/numbers.txt" --accounts "$WORK/accounts.txt" --meta "$WORK/meta.json" \
  --seconds "${BENCH_SECONDS:-20}" --scenarios "${BENCH_SCENARIOS:-floor,intake,bulk,detail,queue}" "${QUICK[@]}" --out "${BENCH_OUT:-$HERE/last-run.json}"
