"""Reachability probes for scripts/services.sh.

Kept in Python (psycopg2 and redis come with the project's venv) so the checks do not depend on
which PostgreSQL or Redis client binaries happen to be installed.

    services_probe.py pg-check URL      exit 0 when the server behind URL accepts the credentials
    services_probe.py pg-prepare URL    create URL's database if missing, prove btree_gist works
    services_probe.py redis-check URL   exit 0 when PING answers
"""

from __future__ import annotations

import sys
import uuid
from contextlib import closing

TIMEOUT_SECONDS = 3


def _connect(url: str, dbname: str):
    import psycopg2

    # The maintenance database, not URL's own: the database named in URL may not exist yet.
    connection = psycopg2.connect(url, dbname=dbname, connect_timeout=TIMEOUT_SECONDS)
    connection.autocommit = True
    return connection


def _database_name(url: str) -> str:
    from psycopg2.extensions import parse_dsn

    return parse_dsn(url).get("dbname") or "postgres"


def pg_check(url: str) -> int:
    try:
        _connect(url, "postgres").close()
    except Exception as error:  # any failure means "not usable", the caller decides what to do
        print(f"postgres not usable at {url}: {str(error).strip()}", file=sys.stderr)
        return 1
    return 0


def pg_prepare(url: str) -> int:
    from psycopg2 import sql

    name = _database_name(url)
    scratch = f"services_probe_{uuid.uuid4().hex[:8]}"
    with closing(_connect(url, "postgres")) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}", file=sys.stderr)
        # The schema relies on exclusion constraints over btree_gist; prove the extension can be
        # created (contrib present, role allowed) before the test suite finds out the hard way.
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
    try:
        with closing(_connect(url, scratch)) as scratch_connection, scratch_connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    except Exception as error:
        print(f"btree_gist unavailable at {url}: {str(error).strip()}", file=sys.stderr)
        return 1
    finally:
        with closing(_connect(url, "postgres")) as connection, connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch)))
    return 0


def redis_check(url: str) -> int:
    import redis

    try:
        client = redis.Redis.from_url(
            url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
        )
        client.ping()
        client.close()
    except Exception as error:
        print(f"redis not usable at {url}: {str(error).strip()}", file=sys.stderr)
        return 1
    return 0


COMMANDS = {"pg-check": pg_check, "pg-prepare": pg_prepare, "redis-check": redis_check}


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    return COMMANDS[argv[1]](argv[2])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
