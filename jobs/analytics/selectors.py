"""Reads of the analytics, scoped to the caller before anything is aggregated: a trust's staff
never see another trust's rows, not even summed into a total."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DateField,
    F,
    FloatField,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Trunc

from backend.organisations.models import Role, Setting, Trust, Ward
from backend.organisations.selectors import wards_for
from jobs.analytics.metrics import COUNTERS, metric_values, order_statistics, period_start
from jobs.analytics.models import DailyRollup, PeriodSummary, SlotFact
from jobs.analytics.summaries import (
    SUMMARY_CODES,
    SUMMARY_PERIODS,
    grouping_code,
    is_supported,
    period_bounds,
)
from jobs.models import ACTIVE_BOOKING_STATUSES, Offer, Shortfall
from jobs.selectors import shortfalls_for

GROUP_COLUMNS = {
    "trust": "trust_id",
    "ward": "ward_id",
    "role": "role_id",
    "band": "band",
    "setting": "setting_id",
    "day_night": "is_night",
}


class PercentilesCont(Aggregate):
    """PostgreSQL percentile_cont(ARRAY[...]) WITHIN GROUP (ORDER BY expr): one sort, many fractions."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(ARRAY[%(fractions)s]::float8[]) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fractions: Sequence[float], **extra) -> None:
        super().__init__(
            expression,
            fractions=", ".join(repr(float(f)) for f in fractions),
            output_field=ArrayField(FloatField()),
            **extra,
        )


def rollups_for(user) -> QuerySet[DailyRollup]:
    return DailyRollup.objects.filter(ward_id__in=wards_for(user).values("id"))


def slot_facts_for(user) -> QuerySet[SlotFact]:
    return SlotFact.objects.filter(ward_id__in=wards_for(user).values("id"))


def _with_period(qs: QuerySet, period: str) -> QuerySet:
    if period == "day":
        return qs.annotate(period_start=F("day"))
    return qs.annotate(period_start=Trunc("day", period, output_field=DateField()))


def _grouped(qs: QuerySet, *, group_by: Sequence[str], period: str) -> QuerySet:
    return _with_period(qs, period).values("period_start", *(GROUP_COLUMNS[name] for name in group_by))


def _key(row: dict, group_by: Sequence[str]) -> tuple:
    values = []
    for name in group_by:
        value = row[GROUP_COLUMNS[name]]
        values.append(("night" if value else "day") if name == "day_night" else value)
    return (row["period_start"], *values)


def fill_rate_table(
    *,
    user,
    group_by: Sequence[str],
    period: str,
    start: dt.date,
    end: dt.date,
    trust_id: int | None = None,
    ward_id: int | None = None,
) -> dict[tuple, dict]:
    """(period start, *group values) -> metrics, from the rollups the user may see.

    Whole weeks or months of a grouping kept in PeriodSummary are read from there; the partial
    periods at either end of the range, and every other grouping, from the daily tables. Both give
    the same numbers (tests/analytics/test_rollup_equals_raw.py)."""
    summaries = _summaries_for(user, group_by=group_by, period=period, trust_id=trust_id, ward_id=ward_id)
    first, last = _whole_periods(start, end, period)
    if summaries is None or first > last:
        return _daily_table(
            user=user,
            group_by=group_by,
            period=period,
            start=start,
            end=end,
            trust_id=trust_id,
            ward_id=ward_id,
        )
    edges = [
        (start, first - dt.timedelta(days=1)),
        (period_bounds(period, last)[1] + dt.timedelta(days=1), end),
    ]
    table = {}
    for edge_start, edge_end in edges:
        if edge_start <= edge_end:
            table.update(
                _daily_table(
                    user=user,
                    group_by=group_by,
                    period=period,
                    start=edge_start,
                    end=edge_end,
                    trust_id=trust_id,
                    ward_id=ward_id,
                )
            )
    stats = ("time_to_fill_median", "time_to_fill_p90", "lead_time_median", "lead_time_p90", "distinct_staff")
    rows = summaries.filter(period_start__gte=first, period_start__lte=last).values(
        "period_start", *(GROUP_COLUMNS[name] for name in group_by), *COUNTERS, *stats
    )
    for row in rows:
        counters = {name: row[name] for name in COUNTERS}
        if any(counters.values()):
            table[_key(row, group_by)] = metric_values(counters, {name: row[name] for name in stats})
    return table


def _whole_periods(start: dt.date, end: dt.date, period: str) -> tuple[dt.date, dt.date]:
    """Start of the first and of the last week or month lying wholly within start..end."""
    if period not in SUMMARY_PERIODS:
        return end, start  # empty
    first = period_start(start, period)
    if first < start:
        first = period_bounds(period, first)[1] + dt.timedelta(days=1)
    last = period_start(end, period)
    if period_bounds(period, last)[1] > end:
        last = period_start(last - dt.timedelta(days=1), period)
    return first, last


def _summaries_for(
    user, *, group_by: Sequence[str], period: str, trust_id: int | None, ward_id: int | None
) -> QuerySet[PeriodSummary] | None:
    """The PeriodSummary rows answering this request for this user, or None when the request must
    be answered from the daily tables. A trust-wide or agency-wide row is only used when the user
    sees every ward it covers (trust staff limited to some wards see only ward rows)."""
    dimensions = set(group_by) - {"trust"}
    code = grouping_code(dimensions)
    if period not in SUMMARY_PERIODS or code not in SUMMARY_CODES or not is_supported():
        return None
    if ward_id is not None and "ward" not in dimensions:
        return None
    rows = PeriodSummary.objects.filter(period=period, grouping=code)
    if ward_id is not None:
        rows = rows.filter(ward_id=ward_id)
    if trust_id is not None:
        rows = rows.filter(trust_id=trust_id)
    # Ids, not a subquery: a list of a few hundred wards keeps the plan right even before the
    # summary table has statistics.
    visible = dict(wards_for(user).values_list("id", "trust_id"))
    if "ward" in dimensions:
        return rows.filter(ward_id__in=list(visible))
    visible_trusts = set(visible.values())
    hidden = Ward.objects.filter(trust_id__in=visible_trusts).exclude(id__in=list(visible))
    whole_trusts = visible_trusts - set(hidden.values_list("trust_id", flat=True))
    if trust_id is not None:
        return None if trust_id in visible_trusts - whole_trusts else rows.filter(trust_id__in=whole_trusts)
    if "trust" in group_by:
        return rows.filter(trust_id__in=whole_trusts) if whole_trusts == visible_trusts else None
    if user.is_agency_staff:
        agency_wards = Ward.objects.filter(trust__agency_id=user.agency_id)
        if agency_wards.exclude(id__in=list(visible)).exists():
            return None
        return rows.filter(trust__isnull=True, agency_id=user.agency_id)
    if len(visible_trusts) == 1 and whole_trusts == visible_trusts:
        return rows.filter(trust_id__in=whole_trusts)
    return None


def _daily_table(
    *,
    user,
    group_by: Sequence[str],
    period: str,
    start: dt.date,
    end: dt.date,
    trust_id: int | None,
    ward_id: int | None,
) -> dict[tuple, dict]:
    filters = Q(day__gte=start, day__lte=end)
    if trust_id is not None:
        filters &= Q(trust_id=trust_id)
    if ward_id is not None:
        filters &= Q(ward_id=ward_id)
    counter_rows = _grouped(rollups_for(user).filter(filters), group_by=group_by, period=period).annotate(
        **{f"sum_{name}": Sum(name) for name in COUNTERS}
    )
    order_stats = _order_stats(slot_facts_for(user).filter(filters), group_by=group_by, period=period)
    table = {}
    for row in counter_rows.order_by():
        key = _key(row, group_by)
        counters = {name: row[f"sum_{name}"] or 0 for name in COUNTERS}
        if not any(counters.values()):
            continue
        table[key] = metric_values(counters, order_stats.get(key, {}))
    return table


def _order_stats(facts: QuerySet[SlotFact], *, group_by: Sequence[str], period: str) -> dict[tuple, dict]:
    stats: dict[tuple, dict] = {}
    if connection.vendor == "postgresql":
        rows = (
            _grouped(facts, group_by=group_by, period=period)
            .annotate(
                time_to_fill=PercentilesCont("time_to_fill_seconds", (0.5, 0.9)),
                lead_time=PercentilesCont("lead_time_seconds", (0.5, 0.9)),
                distinct_staff=Count("practitioner_id", distinct=True),
            )
            .order_by()
        )
        for row in rows:
            fills = row["time_to_fill"] or [None, None]
            leads = row["lead_time"] or [None, None]
            stats[_key(row, group_by)] = {
                "time_to_fill_median": fills[0],
                "time_to_fill_p90": fills[1],
                "lead_time_median": leads[0],
                "lead_time_p90": leads[1],
                "distinct_staff": row["distinct_staff"],
            }
        return stats
    # SQLite (the demo) has no percentile_cont: the same interpolation in Python.
    fills: dict[tuple, list[int]] = defaultdict(list)
    leads: dict[tuple, list[int]] = defaultdict(list)
    staff: dict[tuple, set[int]] = defaultdict(set)
    columns = [GROUP_COLUMNS[name] for name in group_by]
    for row in _with_period(facts, period).values(
        "period_start", *columns, "time_to_fill_seconds", "lead_time_seconds", "practitioner_id"
    ):
        key = _key(row, group_by)
        leads[key].append(row["lead_time_seconds"])
        if row["time_to_fill_seconds"] is not None:
            fills[key].append(row["time_to_fill_seconds"])
        if row["practitioner_id"] is not None:
            staff[key].add(row["practitioner_id"])
    for key in leads:
        stats[key] = order_statistics(fills[key], leads[key], staff[key])
    return stats


def group_labels(group_by: Sequence[str], keys: Sequence[tuple]) -> dict[str, dict]:
    """Names for the ids in the keys: trust and ward names, role and setting codes."""
    labels: dict[str, dict] = {}
    models = {
        "trust": (Trust, "name"),
        "ward": (Ward, "name"),
        "role": (Role, "code"),
        "setting": (Setting, "code"),
    }
    for position, name in enumerate(group_by, start=1):
        if name in models:
            model, attribute = models[name]
            ids = {key[position] for key in keys}
            labels[name] = dict(model.objects.filter(id__in=ids).values_list("id", attribute))
    return labels


def urgent_shortfalls(*, user, now: dt.datetime, within: dt.timedelta) -> QuerySet[Shortfall]:
    """Open or partly filled shortfalls starting from now to now + within, soonest first, with the
    state of their offer cascade."""
    open_offers = Q(offers__status__in=Offer.OPEN_STATUSES)
    return (
        shortfalls_for(user)
        .filter(status__in=Shortfall.OPEN_STATUSES, starts_at__gte=now, starts_at__lt=now + within)
        .select_related("trust", "ward", "role")
        .annotate(
            booked_count=Count(
                "bookings", filter=Q(bookings__status__in=ACTIVE_BOOKING_STATUSES), distinct=True
            ),
            offers_sent=Count("offers", filter=~Q(offers__status=Offer.Status.QUEUED), distinct=True),
            offers_open=Count("offers", filter=open_offers, distinct=True),
            offers_declined=Count("offers", filter=Q(offers__status=Offer.Status.DECLINED), distinct=True),
            current_wave=Max("offers__wave"),
            hold_expires_at=Min(
                "offers__expires_at",
                filter=open_offers & Q(offers__is_exclusive_hold=True, offers__expires_at__gt=now),
            ),
        )
        .order_by("starts_at", "id")
    )
