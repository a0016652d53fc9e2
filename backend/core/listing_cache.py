"""Cached listings (roles for you, shortfall lists) that are never served stale.

A page is stored under the number of the sequence ``listing_version``, which triggers move on every
statement that changes a row a listing shows (jobs migration 0007). A request first reads that
number; a page stored under it is current, a page under an older number is never read again.

The one race: a writer moves the number when its statement runs, but its rows become visible only
when it commits. A page built in between would carry the new number and the old rows. So a page
is stored only if, when the number was read, no other session of this database held a write lock
(RowExclusiveLock) on any of those tables: every writer that moved the number holds that lock
until its commit is visible, so none was still in flight. Once a number has been seen with no
such lock, that holds for good (a later writer moves the number before its rows can show), so each
process checks the locks once per number. Under writes, pages are simply not stored; under reads,
they are. PostgreSQL only: elsewhere nothing is cached.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection

LISTING_TABLES = (  # as in jobs/migrations/0007_listing_version.py
    "jobs_shortfall",
    "jobs_booking",
    "jobs_shortfall_required_competences",
    "jobs_shortfall_desired_competences",
    "organisations_ward",
    "organisations_trust",
    "organisations_settingrequirement",
    "organisations_trustrequirement",
    "organisations_role",
    "organisations_competence",
)

_NO_WRITER_SQL = """
SELECT NOT EXISTS (
    SELECT 1 FROM pg_locks l
    WHERE l.locktype = 'relation' AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.relation = ANY(%s::regclass[]))
"""
_settled = -1  # the last number this process saw with no writer in flight


@dataclass(frozen=True)
class Version:
    number: int
    storable: bool  # no write to a listing table was in flight when the number was read


def read_version() -> Version | None:
    """The current listing version, read before any of the listing's data; None: do not cache."""
    global _settled
    if not settings.LISTING_CACHE or connection.vendor != "postgresql" or connection.in_atomic_block:
        return None  # inside a transaction this session may itself hold a write lock
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM listing_version")
        (number,) = cursor.fetchone()
        if number == _settled:
            return Version(number=number, storable=True)
        cursor.execute(_NO_WRITER_SQL, [list(LISTING_TABLES)])  # after reading the number
        (storable,) = cursor.fetchone()
    if storable:
        _settled = number
    return Version(number=number, storable=storable)


def _key(kind: str, version: Version, parts: tuple) -> str:
    # The database's name too: one Redis may serve several databases (test runs side by side).
    digest = hashlib.blake2b(
        repr((connection.settings_dict["NAME"], parts)).encode(), digest_size=16
    ).hexdigest()
    return f"listing:{kind}:{version.number}:{digest}"


def get(kind: str, version: Version | None, *parts) -> object | None:
    if version is None:
        return None
    return cache.get(_key(kind, version, parts))


def put(kind: str, version: Version | None, value: object, *parts, ttl: float) -> None:
    if version is not None and version.storable:
        cache.set(_key(kind, version, parts), value, timeout=ttl)
