"""PeriodSummary: the dashboard groupings of whole weeks and months, precomputed from the daily
tables (DailyRollup for the counters, SlotFact for the medians, p90s and distinct staff) with the
same SQL aggregates the daily path of the selectors uses, so a summary row holds exactly the
numbers a query over the daily tables would give for that period and key.

rollups.py calls `summarise` for every week and month it touched, in the same transaction as the
daily rows (refresh_day) or right after them (rebuild_range). PostgreSQL only (percentile_cont,
GROUPING SETS); elsewhere the table stays empty and the selectors use the daily tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import connection
from django.db.models import Q, QuerySet

from backend.organisations.models import Trust
from jobs.analytics.models import COUNTERS, PeriodSummary

# The groupings kept per period (besides trust, which every trust-scoped row carries). A request
# grouped by these, optionally plus trust, is answered from PeriodSummary; any other from the daily
# tables. Agency-wide rows exist for the groupings without a ward.
SUMMARY_GROUPINGS: tuple[tuple[str, ...], ...] = (
    (),
    ("ward",),
    ("ward", "day_night"),
    ("role",),
    ("band",),
    ("setting",),
    ("day_night",),
    ("role", "band", "day_night"),
)
SUMMARY_PERIODS = ("week", "month")
_COLUMNS = {
    "ward": "ward_id",
    "role": "role_id",
    "band": "band",
    "setting": "setting_id",
    "day_night": "is_night",
}
_KEY_COLUMNS = tuple(_COLUMNS.values())
_ORDER_STATS = ("time_to_fill_median", "time_to_fill_p90", "lead_time_median", "lead_time_p90")


def grouping_code(dimensions: Sequence[str]) -> str:
    """Canonical name of a set of dimensions (trust left out): their names in _COLUMNS order."""
    return ",".join(name for name in _COLUMNS if name in dimensions)


SUMMARY_CODES = frozenset(grouping_code(grouping) for grouping in SUMMARY_GROUPINGS)


def is_supported() -> bool:
    return connection.vendor == "postgresql"


def period_bounds(period: str, period_start: dt.date) -> tuple[dt.date, dt.date]:
    """First and last local date of the week or month starting on period_start."""
    if period == "week":
        return period_start, period_start + dt.timedelta(days=6)
    next_month = (period_start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return period_start, next_month - dt.timedelta(days=1)


def _grouping_sets(*, agency_wide: bool) -> tuple[str, list[str], dict[int, str]]:
    """The GROUPING SETS clause, the key columns it uses, and GROUPING() bitmask -> grouping code."""
    groupings = [g for g in SUMMARY_GROUPINGS if not (agency_wide and "ward" in g)]
    used = [column for name, column in _COLUMNS.items() if any(name in g for g in groupings)]
    sets, codes = [], {}
    for grouping in groupings:
        columns = [_COLUMNS[name] for name in grouping]
        sets.append("(" + ", ".join(columns) + ")")
        # GROUPING(a, b, ...) sets the bit of every argument left out of the row's grouping set,
        # the first argument being the most significant.
        mask = sum(1 << (len(used) - 1 - index) for index, column in enumerate(used) if column not in columns)
        codes[mask] = grouping_code(grouping)
    return "GROUPING SETS (" + ", ".join(sets) + ")", used, codes


def _aggregate(
    *,
    table: str,
    aggregates: str,
    period: str,
    first: dt.date,
    last: dt.date,
    agency_wide: bool,
    where: str,
    params: dict,
) -> dict[tuple, tuple]:
    """(period_start, agency, trust or None, grouping code, *key columns) -> aggregate values."""
    grouping_sets, used, codes = _grouping_sets(agency_wide=agency_wide)
    keys = ", ".join(f"src.{column}" if column in used else "NULL" for column in _KEY_COLUMNS)
    sql = f"""
        SELECT date_trunc(%(period)s, src.day::timestamp)::date AS period_start, trust.agency_id,
               {"NULL" if agency_wide else "src.trust_id"},
               GROUPING({", ".join(f"src.{column}" for column in used)}), {keys}, {aggregates}
        FROM {table} AS src JOIN organisations_trust AS trust ON trust.id = src.trust_id
        WHERE src.day >= %(first)s AND src.day <= %(last)s {where}
        GROUP BY period_start, trust.agency_id, {"" if agency_wide else "src.trust_id,"} {grouping_sets}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"period": period, "first": first, "last": last, **params})
        rows = cursor.fetchall()
    width = 4 + len(_KEY_COLUMNS)
    return {(*row[:3], codes[row[3]], *row[4:width]): row[width:] for row in rows}


SUMMARY_ATTNAMES = (
    "period",
    "period_start",
    "agency_id",
    "trust_id",
    "grouping",
    *_KEY_COLUMNS,
    *COUNTERS,
    *_ORDER_STATS,
    "distinct_staff",
)


def stored_summaries(
    *, period: str, first: dt.date, last: dt.date, trust_ids: Sequence[int] | None = None
) -> QuerySet[PeriodSummary]:
    """The rows summary_rows recomputes: those of trust_ids and their agencies' agency-wide rows."""
    stored = PeriodSummary.objects.filter(period=period, period_start__gte=first, period_start__lte=last)
    if trust_ids is None:
        return stored
    agencies = Trust.objects.filter(id__in=trust_ids).values("agency_id")
    return stored.filter(Q(trust_id__in=trust_ids) | Q(trust__isnull=True, agency_id__in=agencies))


def summary_rows(
    *, period: str, first: dt.date, last: dt.date, trust_ids: Sequence[int] | None = None
) -> list[tuple]:
    """The summary rows (SUMMARY_ATTNAMES) of the weeks or months starting first..last, of every
    trust and agency, or of trust_ids and their agencies, from the daily tables."""
    _, last_day = period_bounds(period, last)
    counters = ", ".join(f"SUM(src.{name})" for name in COUNTERS)
    order_stats = (
        "PERCENTILE_CONT(ARRAY[0.5, 0.9]::float8[]) WITHIN GROUP (ORDER BY src.time_to_fill_seconds), "
        "PERCENTILE_CONT(ARRAY[0.5, 0.9]::float8[]) WITHIN GROUP (ORDER BY src.lead_time_seconds), "
        "COUNT(DISTINCT src.practitioner_id)"
    )
    rows = []
    for agency_wide in (False, True):
        where, params = "", {}
        if trust_ids is not None:
            params = {"trusts": list(trust_ids)}
            where = (
                "AND trust.agency_id IN (SELECT agency_id FROM organisations_trust WHERE id = ANY(%(trusts)s))"
                if agency_wide
                else "AND src.trust_id = ANY(%(trusts)s)"
            )
        scope = {
            "period": period,
            "first": first,
            "last": last_day,
            "agency_wide": agency_wide,
            "where": where,
            "params": params,
        }
        sums = _aggregate(table="analytics_dailyrollup", aggregates=counters, **scope)
        stats = _aggregate(table="analytics_slotfact", aggregates=order_stats, **scope)
        for key, values in sums.items():
            fills, leads, distinct_staff = stats.get(key, (None, None, 0))
            rows.append(
                (period, *key, *values, *(fills or (None, None)), *(leads or (None, None)), distinct_staff)
            )
    return rows
