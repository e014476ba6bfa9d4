#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server.
#
#   scripts/with-postgres.sh CMD [ARGS...]
#
# Starts a private PostgreSQL (15 by default) in a fresh temporary directory on
# a free loopback port, exports
#   DATABASE_URL=postgres://postgres@127.0.0.1:PORT/postgres
# runs CMD in the caller's working directory, then stops the server and removes
# the directory (also on failure or Ctrl-C). Exits with CMD's exit code.
#
# Environment:
#   PGBIN            server binaries (default /usr/lib/postgresql/15/bin, else the newest installed)
#   WITH_FSYNC=1     keep fsync/synchronous_commit on (default off: fine for tests,
#                    not for anything that claims durability)
#   WITH_POSTGRES_OPTS  extra server options, e.g. "-c shared_buffers=1GB"
#   WITH_POSTGRES_KEEP_LOG=PATH  copy the server log there before cleaning up
#
# initdb refuses to run as root: as root the server runs as the "postgres"
# system user (runuser), which owns the temporary directory.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
if [ ! -x "$PGBIN/pg_ctl" ]; then
  PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
fi
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
  echo "with-postgres: no PostgreSQL server binaries found (install postgresql-15 or set PGBIN)" >&2
  exit 127
fi

PGTMP="$(mktemp -d "${TMPDIR:-/tmp}/with-postgres.XXXXXX")"
chmod 700 "$PGTMP"

as_pg() {
  # Run a server binary as the right user, from a directory that user can read.
  if [ "$(id -u)" = 0 ]; then
    (cd "$PGTMP" && runuser -u postgres -- "$@")
  else
    (cd "$PGTMP" && "$@")
  fi
}

started=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "$started" = 1 ]; then
    as_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -m fast -w -t 60 stop >/dev/null 2>&1 || \
      as_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -m immediate -w stop >/dev/null 2>&1 || true
    # Interrupted while pg_ctl was still starting it: stop the postmaster by pid.
    if [ -f "$PGTMP/data/postmaster.pid" ]; then
      pm="$(head -n 1 "$PGTMP/data/postmaster.pid" 2>/dev/null || true)"
      if [ -n "$pm" ] && kill -0 "$pm" 2>/dev/null; then
        kill -QUIT "$pm" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pm" 2>/dev/null || break; sleep 0.5; done
      fi
    fi
  fi
  if [ -n "${WITH_POSTGRES_KEEP_LOG:-}" ] && [ -f "$PGTMP/server.log" ]; then
    cp "$PGTMP/server.log" "$WITH_POSTGRES_KEEP_LOG" 2>/dev/null || true
  fi
  rm -rf "$PGTMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM  # until CMD runs (see the end)

if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$PGTMP"
fi

as_pg "$PGBIN/initdb" -D "$PGTMP/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$PGTMP/initdb.log" 2>&1 || {
  cat "$PGTMP/initdb.log" >&2
  exit 1
}

opts="-c listen_addresses=127.0.0.1 -k $PGTMP"
if [ "${WITH_FSYNC:-0}" != 1 ]; then
  opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi
opts="$opts ${WITH_POSTGRES_OPTS:-}"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# The port is free when chosen but could be taken before the server binds it: retry.
for attempt in 1 2 3 4 5; do
  PGPORT="$(free_port)"
  started=1  # from here on cleanup must stop whatever got started
  if as_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 60 start -o "-p $PGPORT $opts" >/dev/null 2>&1; then
    break
  fi
  if [ "$attempt" = 5 ]; then
    echo "with-postgres: the server did not start; its log:" >&2
    cat "$PGTMP/server.log" >&2 || true
    exit 1
  fi
done

export DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"
export PGHOST=127.0.0.1 PGPORT PGUSER=postgres

# Run CMD as a child we can wait for, so a TERM sent to this script stops it
# and still cleans up (stdin is passed on explicitly: a background job would
# otherwise read /dev/null). Ctrl-C reaches CMD directly from the terminal.
set +e
"$@" <&0 &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM
trap ':' INT
while :; do
  wait "$child"
  rc=$?
  kill -0 "$child" 2>/dev/null || break
done
set -e
exit "$rc"
