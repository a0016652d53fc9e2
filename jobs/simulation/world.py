"""The simulated agency on a throwaway PostgreSQL database.

One base database is migrated and seeded once (the demo seed's generator: agency, trusts, sites,
wards, staff, practitioners with credentials, and twelve months of history that build the
continuity ledger); every policy then runs on a fresh copy made with CREATE DATABASE ... TEMPLATE,
so all policies start from exactly the same rows and ids."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg2
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections, transaction

from backend.organisations import taxonomy_data
from backend.organisations.demo.build import DemoSeed
from backend.organisations.demo.spec import SizeSpec
from backend.organisations.demo.writer import RowWriter
from jobs.models import Booking, Offer, Shortfall
from jobs.simulation.config import SimulationConfig


def _server_dsn() -> dict:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise RuntimeError("the simulator needs PostgreSQL (DATABASE_URL=postgres://...)")
    return {
        "dbname": "postgres",
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
    }


def _server(sql: str) -> None:
    with contextlib.closing(psycopg2.connect(**_server_dsn())) as server:
        server.autocommit = True
        with server.cursor() as cursor:
            cursor.execute(sql)


def _quoted(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unsafe database name {name!r}")
    return f'"{name}"'


def drop_database(name: str) -> None:
    _server(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")


def create_database(name: str, *, template: str | None = None) -> None:
    drop_database(name)
    suffix = f" TEMPLATE {_quoted(template)}" if template else ""
    _server(f"CREATE DATABASE {_quoted(name)}{suffix}")
    # A throwaway database: commits need not wait for the disk (a crash loses the run, nothing else).
    _server(f"ALTER DATABASE {_quoted(name)} SET synchronous_commit = off")


@contextlib.contextmanager
def using_database(name: str) -> Iterator[None]:
    """Point the default connection at another database on the same server for the block."""
    connections["default"].close()
    original = settings.DATABASES["default"]["NAME"]
    settings.DATABASES["default"]["NAME"] = name
    connections["default"].settings_dict["NAME"] = name
    try:
        yield
    finally:
        connections["default"].close()
        settings.DATABASES["default"]["NAME"] = original
        connections["default"].settings_dict["NAME"] = original


def seed(config: SimulationConfig, log=lambda message: None) -> dict[str, int]:
    """Seed the current (migrated, empty) database: the world as of `config.start`, history only."""
    spec = SizeSpec(
        name="simulation",
        trusts=config.trusts,
        wards=config.wards,
        sites_per_trust=config.sites_per_trust,
        practitioners=config.practitioners,
        open_shortfalls=0,
        history_per_ward_day=config.history_per_ward_day,
        staff_per_trust=2,
        agency_staff=2,
    )
    with transaction.atomic():
        if not apps.get_model("organisations", "Role").objects.exists():
            taxonomy_data.seed_taxonomy(apps.get_model)
        result = DemoSeed(
            spec=spec,
            seed=config.seed,
            now=config.start,
            writer=RowWriter(connection),
            log=log,
            progress=lambda label, total: lambda n: None,
        ).run()
        # The simulator brings its own demand: nothing from the seed starts at or after the start.
        future = Shortfall.objects.filter(starts_at__gte=config.start)
        Booking.objects.filter(shortfall__in=future).delete()
        Offer.objects.filter(shortfall__in=future).delete()
        future.delete()
        Offer.objects.filter(status__in=Offer.OPEN_STATUSES).update(status=Offer.Status.EXPIRED)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return result.counts


def build_base(name: str, config: SimulationConfig, log=lambda message: None) -> dict[str, int]:
    """Create, migrate and seed the base database every run is copied from."""
    create_database(name)
    with using_database(name):
        call_command("migrate", verbosity=0)
        return seed(config, log)
