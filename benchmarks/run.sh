#!/usr/bin/env bash
# `make bench`: every benchmark, each printing a markdown table (numbers go to BENCHMARKS.md).
# Needs PostgreSQL (PGHOST/PGPORT/PGUSER, default 127.0.0.1:5432 postgres); scratch databases are
# created and dropped. Takes about 15 minutes on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
py="${PYTHON:-.venv/bin/python}"
host="${PGHOST:-127.0.0.1}" port="${PGPORT:-5432}" user="${PGUSER:-postgres}"

echo "## Matching engine: ranking one shortfall over 50,000 practitioners"
"$py" benchmarks/matching/bench_rank.py

echo "## Matching engine: batch assignment vs exact optimum and greedy"
"$py" benchmarks/matching/bench_assign.py

echo "## seed_demo --size large"
bash benchmarks/seed/bench_seed.sh large 1

echo "## Matching endpoints on the large seed"
db="bench_endpoints_$$"
createdb -h "$host" -p "$port" -U "$user" "$db"
trap 'dropdb -h "$host" -p "$port" -U "$user" --if-exists "$db"' EXIT
export DATABASE_URL="postgres://${user}@${host}:${port}/${db}" DEBUG=true ALLOWED_HOSTS=testserver,127.0.0.1
"$py" manage.py migrate -v0
"$py" manage.py seed_demo --size large --seed 1 --quiet >/dev/null
"$py" benchmarks/api/bench_matching_endpoints.py --requests 200
unset DATABASE_URL

if [[ -f benchmarks/analytics/bench_analytics.py ]]; then
    echo "## Fill-rate dashboard queries at 12 months / 1,000,000 slots"
    "$py" benchmarks/analytics/bench_analytics.py
fi

if [[ -f benchmarks/web/bench_staff_pages.py ]]; then
    echo "## Trust and agency web pages on the small seed"
    web_db="bench_web_$$"
    createdb -h "$host" -p "$port" -U "$user" "$web_db"
    trap 'dropdb -h "$host" -p "$port" -U "$user" --if-exists "$db"; dropdb -h "$host" -p "$port" -U "$user" --if-exists "$web_db"' EXIT
    DATABASE_URL="postgres://${user}@${host}:${port}/${web_db}" DEBUG=true ALLOWED_HOSTS=testserver \
        bash -c "'$py' manage.py migrate -v0 && '$py' manage.py seed_demo --size small --seed 7 --quiet >/dev/null \
        && '$py' manage.py rebuild_rollups >/dev/null && '$py' benchmarks/web/bench_staff_pages.py"
fi
