#!/usr/bin/env bash
# `make bench-load`: the app under gunicorn on a seeded PostgreSQL database with Redis, driven by wrk
# at 50 and 200 concurrent connections on roles for you, the shortfall list and accept, side by side
# with /api/v1/ping/ (DRF + token auth, nothing else) and /healthz (a bare Django JSON view): the
# framework's own limit on this machine. Prints a markdown table (numbers go to BENCHMARKS.md).
#
# Configuration (environment):
#   LOAD_SEED_SIZE   seed_demo --size (default large: 50,000 practitioners, ~3 min to seed once)
#   LOAD_DB          database name (default bench_load_<size>); seeded when missing, kept for reruns,
#                    LOAD_RESEED=1 drops and seeds it again
#   LOAD_DURATION    wrk -d per run (default 20s); LOAD_USERS (default "50 200"); LOAD_THREADS (2)
#   LOAD_WORKERS     gunicorn sync workers (default 4); LOAD_PORT (default 8765)
#   LISTING_CACHE    false: roles for you and the lists build every page (default true: exact
#                    cached pages, backend/core/listing_cache.py); the table's heading says which
#   LOAD_WARMUP      a duration (e.g. 15s): before each GET row, the same wrk run unmeasured, so
#                    the row measures the steady state (every caller's page built once); default
#                    none: each GET row starts cold
#   DATABASE_URL / REDIS_URL / CELERY_BROKER_URL   the servers (scripts/services.sh finds or starts them)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
py="${PYTHON:-.venv/bin/python}"
size="${LOAD_SEED_SIZE:-large}"
db="${LOAD_DB:-bench_load_${size}}"
duration="${LOAD_DURATION:-20s}"
users="${LOAD_USERS:-50 200}"
threads="${LOAD_THREADS:-2}"
workers="${LOAD_WORKERS:-4}"
port="${LOAD_PORT:-8765}"
work="$ROOT/var/bench-load/$db"  # per database: two runs side by side keep their own callers
mkdir -p "$work"

command -v wrk >/dev/null || { echo "wrk not found (make bench-load installs it: apt-get install wrk)" >&2; exit 1; }
eval "$(scripts/services.sh env)"
server_url="${DATABASE_URL%/*}"
export DATABASE_URL="$server_url/$db"
export DEBUG=false SECRET_KEY="bench-load-only-not-a-production-secret-0123456789abcdefghij"
export ALLOWED_HOSTS=127.0.0.1 LOG_LEVEL=ERROR DJANGO_SETTINGS_MODULE=backend.settings

db_exists() {
    "$py" - "$server_url/postgres" "$db" <<'PY'
import sys, psycopg2
with psycopg2.connect(sys.argv[1]) as conn, conn.cursor() as cur:
    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [sys.argv[2]])
    sys.exit(0 if cur.fetchone() else 1)
PY
}
run_sql() {
    "$py" - "$server_url/postgres" "$1" <<'PY'
import sys, psycopg2
conn = psycopg2.connect(sys.argv[1]); conn.autocommit = True
conn.cursor().execute(sys.argv[2])
PY
}
if [[ "${LOAD_RESEED:-0}" == 1 ]] && db_exists; then run_sql "DROP DATABASE \"$db\""; fi
if ! db_exists; then
    echo "seeding $db (seed_demo --size $size --seed 1)" >&2
    run_sql "CREATE DATABASE \"$db\""
    "$py" manage.py migrate -v0
    "$py" manage.py seed_demo --size "$size" --seed 1 --quiet >/dev/null
else
    "$py" manage.py migrate -v0
fi
"$py" benchmarks/load/prepare.py "$work" --runs $users >&2

.venv/bin/gunicorn backend.wsgi:application --bind "127.0.0.1:$port" --workers "$workers" \
    --backlog 2048 --log-level warning --pid "$work/gunicorn.pid" >"$work/gunicorn.log" 2>&1 &
gunicorn_pid=$!
trap 'kill "$gunicorn_pid" 2>/dev/null || true; wait "$gunicorn_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.2
done
curl -fs "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$work/gunicorn.log" >&2; exit 1; }

# name|method|path|lines file ({users} -> the run's own accept file)
endpoints=(
    "GET /healthz (bare Django JSON view)|GET|/healthz|anyone.txt"
    "GET /api/v1/ping/ (DRF + token auth)|GET|/api/v1/ping/|practitioners.txt"
    "GET /api/v1/roles/ (roles for you)|GET|/api/v1/roles/|practitioners.txt"
    "GET /api/v1/shortfalls/ (trust staff list)|GET|/api/v1/shortfalls/|trust_staff.txt"
    "POST /api/v1/offers/{id}/accept/|POST|/api/v1/offers/{id}/accept/|accept_{users}.txt"
)
run_wrk() {  # connections duration method path lines
    LOAD_METHOD="$3" LOAD_PATH="$4" LOAD_LINES="$work/$5" LOAD_THREADS="$threads" \
        wrk -t "$threads" -c "$1" -d "$2" --timeout 10s -s benchmarks/load/wrk.lua "http://127.0.0.1:$port" |
        grep '^{'
}
# After a run, gunicorn still works through requests wrk gave up on (they wait in the listen
# backlog); the next run starts only when a bare request is answered at once again.
wait_until_idle() {
    for _ in $(seq 240); do
        t="$(curl -s -o /dev/null -w '%{time_total}' --max-time 5 "http://127.0.0.1:$port/healthz" || echo 5)"
        awk -v t="$t" 'BEGIN { exit !(t < 0.25) }' && return 0
        sleep 0.5
    done
    echo "gunicorn still busy after 2 minutes; measuring anyway" >&2
}
run_wrk 50 5s GET /api/v1/ping/ practitioners.txt >/dev/null  # warm the workers' connections
results="$work/results.jsonl"
: >"$results"
for n in $users; do
    for endpoint in "${endpoints[@]}"; do
        IFS='|' read -r name method path lines <<<"$endpoint"
        if [[ -n "${LOAD_WARMUP:-}" && "$method" == GET ]]; then
            run_wrk "$n" "$LOAD_WARMUP" "$method" "$path" "${lines//\{users\}/$n}" >/dev/null
        fi
        wait_until_idle
        load_before="$(cut -d' ' -f1 /proc/loadavg)"
        json="$(run_wrk "$n" "$duration" "$method" "$path" "${lines//\{users\}/$n}")"
        load_after="$(cut -d' ' -f1 /proc/loadavg)"
        printf '{"endpoint": "%s", "users": %s, "load": "%s-%s", "wrk": %s}\n' \
            "$name" "$n" "$load_before" "$load_after" "$json" >>"$results"
        echo "done: $name at $n users" >&2
    done
done

"$py" - "$results" "$workers" "$duration" "$size" "${LISTING_CACHE:-true}" "${LOAD_WARMUP:-}" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
print(
    f"gunicorn {sys.argv[2]} sync workers; wrk -t2 -d{sys.argv[3]} per row; seed_demo --size {sys.argv[4]}; "
    f"LISTING_CACHE={sys.argv[5]}; LOAD_WARMUP={sys.argv[6] or 'none'}\n"
)
print("| endpoint | users | requests | req/s | % of ping | p50 ms | p95 ms | p99 ms | max ms | statuses | load avg |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
for row in rows:
    w = row["wrk"]
    ping = next(r["wrk"]["rps"] for r in rows if r["users"] == row["users"] and "/ping/" in r["endpoint"])
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(w["statuses"].items()))
    if w["socket_errors"] or w["timeouts"]:
        statuses += f"; socket errors {w['socket_errors']}, timeouts {w['timeouts']}"
    print(
        f"| {row['endpoint']} | {row['users']} | {w['requests']} | {w['rps']:.1f} | {100 * w['rps'] / ping:.0f} % "
        f"| {w['p50_ms']:.1f} | {w['p95_ms']:.1f} | {w['p99_ms']:.1f} | {w['max_ms']:.1f} | {statuses} | {row['load']} |"
    )
PY
