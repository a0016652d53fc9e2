#!/usr/bin/env bash
# Time `seed_demo --size large` on a scratch PostgreSQL database, print row counts, drop the database.
# Usage: benchmarks/seed/bench_seed.sh [size] [seed]     (PGHOST/PGPORT/PGUSER as for createdb)
set -euo pipefail
cd "$(dirname "$0")/../.."
size="${1:-large}"
seed="${2:-1}"
host="${PGHOST:-127.0.0.1}" port="${PGPORT:-5432}" user="${PGUSER:-postgres}"
db="seedbench_$$"
py="${PYTHON:-.venv/bin/python}"
export DATABASE_URL="postgres://${user}@${host}:${port}/${db}" DEBUG=true
createdb -h "$host" -p "$port" -U "$user" "$db"
trap 'dropdb -h "$host" -p "$port" -U "$user" --if-exists "$db"' EXIT
"$py" manage.py migrate -v0
start=$(date +%s.%N)
"$py" manage.py seed_demo --size "$size" --seed "$seed" --now 2026-11-23T12:00:00+00:00 --quiet
end=$(date +%s.%N)
printf 'seed_demo --size %s --seed %s: %.1f s\n' "$size" "$seed" "$(echo "$end - $start" | bc)"
psql -h "$host" -p "$port" -U "$user" -d "$db" -At -F ' ' -c "
  SELECT relname, n_live_tup FROM pg_stat_user_tables
  WHERE n_live_tup > 0 ORDER BY n_live_tup DESC" | column -t
psql -h "$host" -p "$port" -U "$user" -d "$db" -At -c "SELECT 'database size: ' || pg_size_pretty(pg_database_size(current_database()))"
