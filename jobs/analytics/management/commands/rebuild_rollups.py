"""`manage.py rebuild_rollups --from 2025-01-01 --to 2025-12-31 [--trust ID ...]`

Recompute the analytics rollups for shifts starting on those local dates from the jobs tables.
Idempotent: running it again gives the same rows."""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jobs.analytics.rollups import rebuild_range


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not an ISO date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Rebuild the fill-rate / continuity rollups for a range of local shift-start dates."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--from", dest="start", help="first date (default: 365 days before today)")
        parser.add_argument("--to", dest="end", help="last date, inclusive (default: 42 days after today)")
        parser.add_argument("--trust", dest="trusts", type=int, action="append", help="only this trust id")

    def handle(self, *args, start: str | None, end: str | None, trusts: list[int] | None, **options) -> None:
        today = timezone.localdate()
        first = _date(start) if start else today - dt.timedelta(days=365)
        last = _date(end) if end else today + dt.timedelta(days=42)
        if last < first:
            raise CommandError("--to is before --from")
        began = time.monotonic()
        result = rebuild_range(start=first, end=last, trust_ids=trusts)
        self.stdout.write(
            f"Rebuilt {result.days} days {first}..{last}: {result.shortfalls} shortfalls, "
            f"{result.rollup_rows} rollup rows, {result.slot_rows} slot rows, "
            f"{result.summary_rows} period summary rows "
            f"in {time.monotonic() - began:.1f}s"
        )
