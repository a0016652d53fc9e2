"""Maintaining DailyRollup and SlotFact from the jobs tables.

Every write here is "recompute this range from raw rows, replace what is stored": running it twice,
or concurrently, or after any booking event, leaves the same rows. refresh_day is what the booking
and offer services call (through the outbox) after a change to a shortfall starting that day;
rebuild_range is the beat task's and the `rebuild_rollups` command's. Both also recompute the
period summaries (summaries.py) of every week and month they touched.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection, transaction

from backend.organisations.demo.writer import RowWriter
from jobs.analytics import summaries
from jobs.analytics.metrics import ShortfallFacts, local_day_bounds, period_start, shortfall_facts
from jobs.analytics.models import COUNTERS, DailyRollup, PeriodSummary, SlotFact
from jobs.analytics.summaries import SUMMARY_PERIODS
from jobs.models import Shortfall

log = logging.getLogger(__name__)

CHUNK_DAYS = 7
_LOCK_KEY = 0x616E_6C79  # "anly": one advisory lock serialises rollup writers (PostgreSQL)
_KEY_FIELDS = ("day", "trust_id", "ward_id", "role_id", "band", "setting_id", "is_night")
_SLOT_FIELDS = (
    "shortfall_id",
    "slot",
    "day",
    "trust_id",
    "ward_id",
    "role_id",
    "band",
    "setting_id",
    "is_night",
    "lead_time_seconds",
    "practitioner_id",
    "time_to_fill_seconds",
)


@dataclass(frozen=True)
class RebuildResult:
    days: int
    shortfalls: int
    rollup_rows: int
    slot_rows: int
    summary_rows: int


@transaction.atomic
def refresh_day(*, trust_id: int, day: dt.date) -> None:
    """Recompute one trust's rollup rows and slot facts for shortfalls starting on local date `day`,
    and the period summaries of its week and month, in one transaction."""
    rebuild_range(start=day, end=day, trust_ids=[trust_id])


def rebuild_range(*, start: dt.date, end: dt.date, trust_ids: Sequence[int] | None = None) -> RebuildResult:
    """Recompute local dates start..end (inclusive), for some trusts or all, a week per transaction."""
    if end < start:
        raise ValueError("end is before start")
    totals = [0, 0, 0, 0]
    chunk_start = start
    while chunk_start <= end:
        chunk_end = min(chunk_start + dt.timedelta(days=CHUNK_DAYS - 1), end)
        shortfalls, rollup_rows, slot_rows = _rebuild_chunk(chunk_start, chunk_end, trust_ids)
        totals = [
            totals[0] + (chunk_end - chunk_start).days + 1,
            totals[1] + shortfalls,
            totals[2] + rollup_rows,
            totals[3] + slot_rows,
        ]
        chunk_start = chunk_end + dt.timedelta(days=1)
    summary_rows = sum(
        _summarise_chunk(period, period_start(start, period), period_start(end, period), trust_ids)
        for period in SUMMARY_PERIODS
    )
    return RebuildResult(*totals, summary_rows)


@transaction.atomic
def _summarise_chunk(period: str, first: dt.date, last: dt.date, trust_ids: Sequence[int] | None) -> int:
    """Replace the summaries of the weeks or months starting first..last (see summaries.py)."""
    if not summaries.is_supported():
        return 0
    _lock()
    rows = summaries.summary_rows(period=period, first=first, last=last, trust_ids=trust_ids)
    summaries.stored_summaries(period=period, first=first, last=last, trust_ids=trust_ids).delete()
    _write(PeriodSummary, summaries.SUMMARY_ATTNAMES, rows)
    return len(rows)


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


@transaction.atomic
def _rebuild_chunk(start: dt.date, end: dt.date, trust_ids: Sequence[int] | None) -> tuple[int, int, int]:
    _lock()
    lo, hi = local_day_bounds(start, end)
    shortfalls = Shortfall.objects.filter(starts_at__gte=lo, starts_at__lt=hi)
    stored_rollups = DailyRollup.objects.filter(day__gte=start, day__lte=end)
    stored_slots = SlotFact.objects.filter(day__gte=start, day__lte=end)
    if trust_ids is not None:
        shortfalls = shortfalls.filter(trust_id__in=trust_ids)
        stored_rollups = stored_rollups.filter(trust_id__in=trust_ids)
        stored_slots = stored_slots.filter(trust_id__in=trust_ids)

    facts = list(shortfall_facts(shortfalls))
    rollups = _rollup_rows(facts)
    slots = [
        (
            f.shortfall_id,
            s.slot,
            f.day,
            f.trust_id,
            f.ward_id,
            f.role_id,
            f.band,
            f.setting_id,
            f.is_night,
            s.lead_time_seconds,
            s.practitioner_id,
            s.time_to_fill_seconds,
        )
        for f in facts
        for s in f.slots
    ]
    stored_rollups.delete()
    # A shortfall whose start moved to another date still has slot rows under the old date.
    stored_slots.delete()
    SlotFact.objects.filter(shortfall_id__in=shortfalls.values("id")).delete()
    _write(DailyRollup, (*_KEY_FIELDS, *COUNTERS), rollups)
    _write(SlotFact, _SLOT_FIELDS, slots)
    return len(facts), len(rollups), len(slots)


def _rollup_rows(facts: Iterable[ShortfallFacts]) -> list[tuple]:
    totals: dict[tuple, list[int]] = {}
    for f in facts:
        row = totals.setdefault(f.key, [0] * len(COUNTERS))
        for index, name in enumerate(COUNTERS):
            row[index] += f.counters[name]
    return [(*key, *values) for key, values in sorted(totals.items())]


def _write(model, attnames: Sequence[str], rows: list[tuple]) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql" and len(rows) > 500:
        RowWriter(connection).write(model, attnames, rows)
        return
    model.objects.bulk_create(
        [model(**dict(zip(attnames, row, strict=True))) for row in rows], batch_size=2000
    )
