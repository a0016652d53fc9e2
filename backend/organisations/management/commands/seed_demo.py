"""`manage.py seed_demo --size small|large --seed N [--now ISO] [--reset] [--quiet]`

Fills an empty database with realistic, deterministic demo data (same size, seed and now: the same
rows) and prints the demo logins. See backend/organisations/demo/ for what is generated."""

from __future__ import annotations

import datetime as dt
import sys
import time

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from backend.organisations import taxonomy_data
from backend.organisations.demo import reset as demo_reset
from backend.organisations.demo.build import DEMO_PRACTITIONERS, DemoSeed
from backend.organisations.demo.spec import DEMO_PASSWORD, LONDON, SIZES
from backend.organisations.demo.writer import RowWriter


def parse_now(value: str | None) -> dt.datetime:
    """The anchor every generated time is relative to: given (naive means Europe/London), else the
    current hour in Europe/London."""
    if value is None:
        return dt.datetime.now(LONDON).replace(minute=0, second=0, microsecond=0)
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--now {value!r} is not an ISO 8601 date-time") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=LONDON)


class Command(BaseCommand):
    help = "Seed realistic, deterministic demo data (agency, trusts, wards, practitioners, 12 months of history)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--size", choices=sorted(SIZES), default="small")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--now", help="anchor time, ISO 8601 (default: this hour, Europe/London)")
        parser.add_argument("--reset", action="store_true", help="delete existing demo data first")
        parser.add_argument("--quiet", action="store_true", help="no progress bars")

    def handle(
        self, *args, size: str, seed: int, now: str | None, reset: bool, quiet: bool, **options
    ) -> None:
        anchor = parse_now(now)
        spec = SIZES[size]
        started = time.monotonic()
        bars = []

        def log(message: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:7.1f}s] {message}")

        def progress(label: str, total: int):
            if quiet or not sys.stderr.isatty() or total < 1000:
                return lambda n: None
            from tqdm import tqdm

            bar = tqdm(total=total, desc=f"  {label}", unit="row", file=sys.stderr, leave=False)
            bars.append(bar)
            return bar.update

        with transaction.atomic():
            if not demo_reset.is_empty():
                if not reset:
                    raise CommandError("The database already has data; run with --reset to replace it.")
                log("Resetting: deleting existing demo data (taxonomy and audit trail kept)")
                demo_reset.reset(connection)
            if not apps.get_model("organisations", "Role").objects.exists():
                taxonomy_data.seed_taxonomy(apps.get_model)
            log(f"Seeding size={size} seed={seed} now={anchor.isoformat()} on {connection.vendor}")
            builder = DemoSeed(
                spec=spec, seed=seed, now=anchor, writer=RowWriter(connection), log=log, progress=progress
            )
            result = builder.run()
            for bar in bars:
                bar.close()
            # Open shortfalls carry offers from before "now"; the offer cascade takes them from here
            # (the first sweep sends the next wave to whoever has not been asked yet).
            Shortfall = apps.get_model("jobs", "Shortfall")
            Shortfall.objects.filter(status__in=("open", "partially_filled"), starts_at__gt=anchor).update(
                next_wave_at=anchor
            )
        if connection.vendor == "postgresql":
            log("ANALYZE")
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        log("Done")
        width = max(len(label) for label in result.counts)
        for label, count in result.counts.items():
            self.stdout.write(f"  {label:<{width}}  {count:>9,}")
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        roles = {"agency": "agency staff (admin)", "trust1": "trust staff", "trust2": "trust staff"}
        roles.update({name: "practitioner" for name in DEMO_PRACTITIONERS})
        for username in (*(name for name, _ in result.logins), *DEMO_PRACTITIONERS):
            self.stdout.write(f"  {username:<8} {DEMO_PASSWORD}   {roles[username]}")
