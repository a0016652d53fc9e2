#!/usr/bin/env bash
# PostgreSQL and Redis for the test suite.
#
#   scripts/services.sh env     make sure both are reachable; print `export ...` lines (for eval)
#   scripts/services.sh start   the same, printing the URLs for a human
#   scripts/services.sh status  say what is running where
#   scripts/services.sh stop    stop the throwaway servers this script started (never others)
#
# Contract (what `make test` relies on): use the running servers when the configured URLs reach
# them; otherwise start throwaway ones from installed binaries on their own ports, installing the
# binaries with apt-get when missing (root only). Throwaway state lives under var/services/.
#
# Configuration (environment):
#   TEST_DATABASE_URL, else DATABASE_URL   default postgres://postgres@127.0.0.1:5432/staffing
#   REDIS_URL                              default redis://127.0.0.1:6379/0
#   SERVICES_PG_PORT / SERVICES_REDIS_PORT throwaway ports, default 55432 / 56379
#   SERVICES_PYTHON                        interpreter with psycopg2 + redis, default .venv/bin/python
#
# Diagnostics go to stderr; with `env`, stdout carries only the export lines.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/var/services"
PG_PORT="${SERVICES_PG_PORT:-55432}"
REDIS_PORT="${SERVICES_REDIS_PORT:-56379}"
PG_DB="staffing"
PY="${SERVICES_PYTHON:-$ROOT/.venv/bin/python}"
PROBE="$ROOT/scripts/services_probe.py"

DEFAULT_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$PG_DB"
DEFAULT_REDIS_URL="redis://127.0.0.1:6379/0"
THROWAWAY_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/$PG_DB"
THROWAWAY_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"

log() { printf 'services: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

configured_database_url() {
    local url="${TEST_DATABASE_URL:-${DATABASE_URL:-}}"
    case "$url" in
        postgres://* | postgresql://*) printf '%s' "$url" ;;
        "") printf '%s' "$DEFAULT_DATABASE_URL" ;;
        *)
            # e.g. the demo's sqlite URL leaking in: the suite needs PostgreSQL regardless.
            log "ignoring non-PostgreSQL database URL '${url%%:*}://...'; trying $DEFAULT_DATABASE_URL"
            printf '%s' "$DEFAULT_DATABASE_URL"
            ;;
    esac
}

configured_redis_url() {
    local url="${REDIS_URL:-}"
    case "$url" in
        redis://* | rediss://*) printf '%s' "$url" ;;
        *) printf '%s' "$DEFAULT_REDIS_URL" ;;
    esac
}

# The Celery broker gets its own Redis database so a cache flush in a test cannot eat queued tasks.
broker_url_for() {
    local url="$1" base
    base="${url%%\?*}"
    case "$base" in
        redis://*/* | rediss://*/*) base="${base%/*}" ;;
    esac
    printf '%s/1' "$base"
}

require_python() {
    [[ -x "$PY" ]] || PY="$(command -v python3 || true)"
    [[ -n "$PY" ]] && "$PY" -c 'import psycopg2, redis' 2>/dev/null \
        || die "need a Python with psycopg2 and redis (run 'make install' first, or set SERVICES_PYTHON)"
}

pg_usable() { "$PY" "$PROBE" pg-check "$1" 2>/dev/null; }
redis_usable() { "$PY" "$PROBE" redis-check "$1" 2>/dev/null; }

# --- binaries --------------------------------------------------------------------------------

pg_bindir() {
    local dir
    # Debian keeps the server binaries off PATH, one directory per major version: take the newest.
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
        printf '%s' "$dir"
    elif command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dirname "$(command -v pg_ctl)"
    fi
}

APT_DONE=""
apt_install() {
    [[ -z "$APT_DONE" ]] || die "apt-get already ran once this run; still missing: $*"
    [[ $EUID -eq 0 ]] || die "missing $* and not root: install them (apt-get install -y $*) or start the servers yourself"
    command -v apt-get >/dev/null || die "missing $* and no apt-get on this machine"
    log "installing $* with apt-get"
    APT_DONE=1
    # Debian's postinst scripts may start system instances on 5432/6379; harmless, the suite then
    # simply keeps using the throwaway URLs printed below.
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

# --- PostgreSQL ------------------------------------------------------------------------------

# PostgreSQL refuses to run as root: when root, run the throwaway cluster as `postgres` (created
# by the Debian package) or a dedicated system user.
pg_runner() {
    if [[ $EUID -ne 0 ]]; then
        id -un
    elif id -u postgres >/dev/null 2>&1; then
        printf 'postgres'
    else
        id -u staffing-pg >/dev/null 2>&1 \
            || useradd --system --no-create-home --shell /usr/sbin/nologin staffing-pg
        printf 'staffing-pg'
    fi
}

as_runner() {
    local user="$1"
    shift
    if [[ "$user" == "$(id -un)" ]]; then
        "$@"
    else
        # From / so the other user is not left in a working directory it may not enter.
        (cd / && runuser -u "$user" -- "$@")
    fi
}

pg_datadir() {
    # The cluster's user must be able to reach the data directory; a checkout under /root is not
    # reachable for `postgres`, so fall back to a directory under /tmp recorded in the state dir.
    if [[ -f "$STATE/pg.datadir" ]]; then
        cat "$STATE/pg.datadir"
    else
        printf '%s' "$STATE/pg/data"
    fi
}

pg_throwaway_running() {
    local bindir datadir user
    bindir="$(pg_bindir)"
    datadir="$(pg_datadir)"
    [[ -n "$bindir" && -f "$datadir/postmaster.pid" ]] || return 1
    user="$(stat -c %U "$datadir")"
    as_runner "$user" "$bindir/pg_ctl" -D "$datadir" status >/dev/null 2>&1
}

pg_start_throwaway() {
    local bindir user datadir logfile
    bindir="$(pg_bindir)"
    [[ -n "$bindir" ]] || die "PostgreSQL server binaries not found"
    user="$(pg_runner)"
    mkdir -p "$STATE/pg"
    datadir="$STATE/pg/data"
    if ! as_runner "$user" test -x "$STATE/pg"; then
        datadir="${TMPDIR:-/tmp}/staffing-services-$(printf '%s' "$ROOT" | md5sum | cut -c1-8)/pg/data"
        log "$user cannot reach $STATE; keeping the cluster in $datadir"
        printf '%s' "$datadir" >"$STATE/pg.datadir"
    fi
    mkdir -p "$datadir"
    chown "$user" "$datadir" "$(dirname "$datadir")"
    chmod 700 "$datadir"
    if [[ ! -f "$datadir/PG_VERSION" ]]; then
        log "initdb throwaway cluster in $datadir (as $user)"
        as_runner "$user" "$bindir/initdb" -D "$datadir" -U postgres --auth=trust \
            --encoding=UTF8 --no-locale --no-sync >"$STATE/pg/initdb.log" 2>&1 \
            || { cat "$STATE/pg/initdb.log" >&2; die "initdb failed"; }
    fi
    logfile="$(dirname "$datadir")/postgres.log"
    log "starting throwaway PostgreSQL on 127.0.0.1:$PG_PORT"
    # Durability is worthless for a throwaway test cluster; speed is not.
    as_runner "$user" "$bindir/pg_ctl" -D "$datadir" -l "$logfile" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k /tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >&2 || { tail -n 20 "$logfile" >&2 || true; die "PostgreSQL did not start (log: $logfile)"; }
}

pg_stop_throwaway() {
    local bindir datadir user
    if pg_throwaway_running; then
        bindir="$(pg_bindir)"
        datadir="$(pg_datadir)"
        user="$(stat -c %U "$datadir")"
        log "stopping throwaway PostgreSQL ($datadir)"
        as_runner "$user" "$bindir/pg_ctl" -D "$datadir" -m fast -w stop >&2
    else
        log "no throwaway PostgreSQL running"
    fi
}

# --- Redis -----------------------------------------------------------------------------------

redis_pid() {
    local pid
    [[ -f "$STATE/redis/redis.pid" ]] || return 1
    pid="$(cat "$STATE/redis/redis.pid")"
    # Only a redis-server we started: a stale pid file must never make us signal a stranger.
    [[ -n "$pid" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "redis-server.*:$REDIS_PORT" \
        && printf '%s' "$pid"
}

redis_start_throwaway() {
    mkdir -p "$STATE/redis"
    log "starting throwaway Redis on 127.0.0.1:$REDIS_PORT"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
        --dir "$STATE/redis" --pidfile "$STATE/redis/redis.pid" --logfile "$STATE/redis/redis.log" >&2
    local _
    for _ in $(seq 50); do
        redis_usable "$THROWAWAY_REDIS_URL" && return 0
        sleep 0.1
    done
    tail -n 20 "$STATE/redis/redis.log" >&2 || true
    die "Redis did not start (log: $STATE/redis/redis.log)"
}

redis_stop_throwaway() {
    local pid _
    if pid="$(redis_pid)"; then
        log "stopping throwaway Redis (pid $pid)"
        kill "$pid"
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        rm -f "$STATE/redis/redis.pid"
    else
        log "no throwaway Redis running"
    fi
}

# --- commands --------------------------------------------------------------------------------

DATABASE_URL_OUT=""
REDIS_URL_OUT=""

ensure() {
    require_python
    local db_url redis_url need_pg="" need_redis="" packages=()
    db_url="$(configured_database_url)"
    redis_url="$(configured_redis_url)"

    # 1. What is already there: the configured servers, then our own throwaway ones.
    if pg_usable "$db_url"; then
        DATABASE_URL_OUT="$db_url"
        log "PostgreSQL: using $db_url"
    elif pg_usable "$THROWAWAY_DATABASE_URL"; then
        DATABASE_URL_OUT="$THROWAWAY_DATABASE_URL"
        log "PostgreSQL: $db_url unreachable; using throwaway $THROWAWAY_DATABASE_URL"
    else
        need_pg=1
        log "PostgreSQL: $db_url unreachable; will start a throwaway server"
    fi
    if redis_usable "$redis_url"; then
        REDIS_URL_OUT="$redis_url"
        log "Redis: using $redis_url"
    elif redis_usable "$THROWAWAY_REDIS_URL"; then
        REDIS_URL_OUT="$THROWAWAY_REDIS_URL"
        log "Redis: $redis_url unreachable; using throwaway $THROWAWAY_REDIS_URL"
    else
        need_redis=1
        log "Redis: $redis_url unreachable; will start a throwaway server"
    fi

    # 2. Binaries for what must be started, installed in one apt-get run.
    if [[ -n "$need_pg" && -z "$(pg_bindir)" ]]; then
        packages+=(postgresql postgresql-contrib)
    fi
    if [[ -n "$need_redis" ]] && ! command -v redis-server >/dev/null; then
        packages+=(redis-server)
    fi
    if ((${#packages[@]})); then
        apt_install "${packages[@]}"
    fi

    # 3. Start them.
    if [[ -n "$need_pg" ]]; then
        pg_throwaway_running && pg_stop_throwaway # running but unusable: restart it cleanly
        pg_start_throwaway
        pg_usable "$THROWAWAY_DATABASE_URL" || die "throwaway PostgreSQL started but does not answer"
        DATABASE_URL_OUT="$THROWAWAY_DATABASE_URL"
    fi
    if [[ -n "$need_redis" ]]; then
        redis_start_throwaway
        REDIS_URL_OUT="$THROWAWAY_REDIS_URL"
    fi

    # 4. The database exists and btree_gist can be created in it.
    "$PY" "$PROBE" pg-prepare "$DATABASE_URL_OUT" \
        || die "PostgreSQL at $DATABASE_URL_OUT is not usable for the suite (see above)"
}

print_exports() {
    printf 'export DATABASE_URL=%q\n' "$DATABASE_URL_OUT"
    printf 'export REDIS_URL=%q\n' "$REDIS_URL_OUT"
    printf 'export CELERY_BROKER_URL=%q\n' "$(broker_url_for "$REDIS_URL_OUT")"
}

status() {
    if pg_throwaway_running; then
        log "throwaway PostgreSQL: running on 127.0.0.1:$PG_PORT ($(pg_datadir))"
    else
        log "throwaway PostgreSQL: not running"
    fi
    if redis_pid >/dev/null; then
        log "throwaway Redis: running on 127.0.0.1:$REDIS_PORT (pid $(redis_pid))"
    else
        log "throwaway Redis: not running"
    fi
}

case "${1:-}" in
    env)
        ensure
        print_exports
        ;;
    start)
        ensure
        printf 'DATABASE_URL=%s\nREDIS_URL=%s\nCELERY_BROKER_URL=%s\n' \
            "$DATABASE_URL_OUT" "$REDIS_URL_OUT" "$(broker_url_for "$REDIS_URL_OUT")"
        ;;
    status) status ;;
    stop)
        pg_stop_throwaway
        redis_stop_throwaway
        ;;
    *)
        sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
        exit 2
        ;;
esac
