#!/usr/bin/env bash
# `make test-faults`: the steady-traffic fault suite (tests/faults/) on a throwaway PostgreSQL
# cluster of its own (it restarts the server: never the machine's shared one), under var/faults/.
# Redis and the Celery workers are started by the test itself.
#
#   FAULTS_PG_PORT   port of the throwaway cluster (default: a free one; 55440 is tried first)
#   REDIS_URL        the cache's Redis (found or started by scripts/services.sh); the broker is a
#                    throwaway redis-server the test starts and restarts
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
state="$ROOT/var/faults"
port="${FAULTS_PG_PORT:-55440}"
# A port that nothing holds right now: 55440 lies in Linux's ephemeral range, where an outgoing
# connection of the suite that just ran can still sit on it ("Address already in use").
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# The cache's Redis (and the binaries: services.sh installs postgresql and redis-server when missing).
eval "$(scripts/services.sh env)"
bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
[[ -x "$bindir/pg_ctl" ]] || bindir="$(dirname "$(command -v pg_ctl || echo /nonexistent/pg_ctl)")"
[[ -x "$bindir/initdb" ]] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server not found (apt-get install redis-server)" >&2; exit 1; }
user="$(id -un)"
run() { if [[ $EUID -eq 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
[[ $EUID -eq 0 ]] && user=postgres

mkdir -p "$state"
rm -rf "$state/pg"
mkdir -p "$state/pg"
[[ $EUID -eq 0 ]] && chown postgres "$state" "$state/pg"
run "$bindir/initdb" -D "$state/pg" -U postgres --auth=trust --encoding=UTF8 --no-locale --no-sync >"$state/initdb.log"
for attempt in 1 2 3; do
    if run "$bindir/pg_ctl" -D "$state/pg" -l "$state/postgres.log" -w -t 60 \
        -o "-p $port -k $state/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null; then
        break
    fi
    [[ -z "${FAULTS_PG_PORT:-}" && $attempt -lt 3 ]] || { tail -5 "$state/postgres.log" >&2; exit 1; }
    port="$(free_port)"
    echo "test-faults: the cluster could not start; trying port $port" >&2
done
trap 'run "$bindir/pg_ctl" -D "$state/pg" -m fast -w stop >/dev/null 2>&1 || true' EXIT

export DATABASE_URL="postgres://postgres@127.0.0.1:$port/staffing_faults"
# Redis-shaped settings (visibility timeout, restore interval); the test points the app at its own
# throwaway Redis.
export CELERY_BROKER_URL="${CELERY_BROKER_URL:-redis://127.0.0.1:6379/1}"
export FAULTS_PGDATA="$state/pg" FAULTS_PG_BIN="$bindir" FAULTS_PG_USER="$user" FAULTS_PG_LOG="$state/postgres.log"
.venv/bin/python -m pytest tests/faults -p no:cacheprovider "$@"
