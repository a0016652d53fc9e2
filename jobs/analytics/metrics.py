"""The metric definitions (DESIGN.md "Metrics"), computed straight from the jobs tables.

This module is the reference: rollups.py stores what `shortfall_facts` derives, and
`compute_from_raw` aggregates the same facts without any stored table, so tests can check
rollup == raw on any history.

Definitions and the edge cases decided here
-------------------------------------------
Slot. A shortfall of headcount N is N slots. Every metric is counted per slot, so a partial fill
of 2 out of 3 is 2 filled slots and 1 unfilled.

Day. A shortfall belongs to the local (Europe/London) date its shift starts: a night from 20:00 on
the 25th to 08:00 on the 26th is the 25th's. Weeks start on Monday (ISO), months on the 1st, both
over local dates, so the week holding the October clock change is still seven dates.

Hours. Elapsed hours (end - start in UTC): a 20:00-08:00 night is 13 h on the October change
night and 11 h on the March one, because that is what was worked and paid.

Cutoff. A shortfall the trust cancelled at or before CANCELLATION_CUTOFF (24 h) before its start
is treated as never requested: it leaves every metric (slots, hours, bookings, offers). One
cancelled later than that stays requested; its slots count as filled if a booking held them
(the trust's late cancellation is its own metric), else as unfilled.

Filled. A slot is filled by a booking that held it: status confirmed, completed, no-show or
cancelled by the trust. Only a practitioner's cancellation releases a slot (another booking may
refill it). Holding bookings beyond the headcount (not possible through the booking service) are
ignored, earliest booking first.

Time to fill = booking made (Booking.created_at) - shortfall posted, per filled slot. Lead time =
start - posted, per requested slot. Medians and p90 are PostgreSQL percentile_cont (linear
interpolation), reported in hours.

Unfilled at start = slots still wanted at start (the shortfall was not cancelled before it
started) without a holding booking made before the start. For shifts still in the future it is
the number unfilled so far.

Continuity. A filled slot is continuous over D days when its practitioner worked the same ward on
a local date within [start date - D days, start date) or earlier on the same date, before this
shift's start. "Worked" is a completed booking on the ward, or the continuity ledger
(WardExperience first_worked_at / last_worked_at, which also holds imported history). Exactly 90
days before counts; 91 does not. 12 months is 365 days. The ledger keeps only its first and last
dates, so imported history between them is not seen; bookings are.

Distinct temporary staff = distinct practitioners holding filled slots in the group and period
(group by ward and period month for "per ward per month").

Late cancellation rate = bookings cancelled less than 12 h (or 4 h) before the start, including
after it, / bookings made; practitioner and trust cancellations are reported apart. No-show rate =
no-shows / (completed + no-shows). Offers per fill = offers sent / filled slots. Acceptance rate =
accepted / (accepted + declined + expired): withdrawn offers (somebody else filled the shift) and
offers still open are not a practitioner's answer. An offer was sent unless it is still queued or
was withdrawn before it was sent.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery

from backend.practitioners.models import WardExperience
from jobs.analytics.models import COUNTERS
from jobs.models import Booking, Offer, Shortfall

LONDON = ZoneInfo(settings.TIME_ZONE)
CANCELLATION_CUTOFF = dt.timedelta(hours=24)
CONTINUITY_DAYS = (90, 365)
LATE_CANCELLATION_HOURS = (12, 4)
HOLDING_STATUSES = (
    Booking.Status.CONFIRMED,
    Booking.Status.COMPLETED,
    Booking.Status.NO_SHOW,
    Booking.Status.CANCELLED_BY_TRUST,
)
DIMENSIONS = ("trust", "ward", "role", "band", "setting", "day_night")
PERIODS = ("day", "week", "month")


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LONDON).date()


def local_day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[local midnight of start, local midnight after end) as aware datetimes."""
    lo = dt.datetime.combine(start, dt.time(), tzinfo=LONDON)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=LONDON)
    return lo, hi


def period_start(day: dt.date, period: str) -> dt.date:
    if period == "day":
        return day
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown period {period!r}")


def _seconds(delta: dt.timedelta) -> int:
    return int(round(delta.total_seconds()))


@dataclass(frozen=True)
class Slot:
    slot: int
    lead_time_seconds: int
    practitioner_id: int | None = None
    time_to_fill_seconds: int | None = None


@dataclass
class ShortfallFacts:
    """Everything the metrics need from one shortfall, its bookings and its offers."""

    shortfall_id: int
    day: dt.date
    trust_id: int
    ward_id: int
    role_id: int
    band: int
    setting_id: int
    is_night: bool
    is_requested: bool
    counters: dict[str, int] = field(default_factory=dict)
    slots: list[Slot] = field(default_factory=list)

    @property
    def key(self) -> tuple:
        return (
            self.day,
            self.trust_id,
            self.ward_id,
            self.role_id,
            self.band,
            self.setting_id,
            self.is_night,
        )


def _worked_within(evidence: Sequence[dt.datetime], starts_at: dt.datetime, days: int) -> bool:
    earliest = local_date(starts_at) - dt.timedelta(days=days)
    return any(moment < starts_at and local_date(moment) >= earliest for moment in evidence)


def _ledger(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], tuple[dt.datetime, dt.datetime]]:
    """(practitioner, ward) -> (first, last) worked, from the continuity ledger."""
    if not pairs:
        return {}
    rows = WardExperience.objects.filter(
        practitioner_id__in={p for p, _ in pairs}, ward_id__in={w for _, w in pairs}
    ).values_list("practitioner_id", "ward_id", "first_worked_at", "last_worked_at")
    return {(p, w): (first, last) for p, w, first, last in rows if (p, w) in pairs}


def shortfall_facts(shortfalls: QuerySet[Shortfall]) -> Iterator[ShortfallFacts]:
    """The per-shortfall facts of `shortfalls`, in a constant number of queries."""
    rows = list(
        shortfalls.order_by()
        .values(
            "id",
            "trust_id",
            "ward_id",
            "role_id",
            "min_band",
            "ward__setting_id",
            "shift_type",
            "headcount",
            "starts_at",
            "ends_at",
            "posted_at",
            "status",
            "cancelled_at",
        )
        .iterator(chunk_size=5000)
    )
    if not rows:
        return
    # Time order, so each chunk's history window (below) is about as long as the chunk.
    ids = [row["id"] for row in sorted(rows, key=lambda row: row["starts_at"])]
    bookings: dict[int, list[tuple]] = defaultdict(list)
    for chunk in _chunks(ids, 20_000):
        worked_before = _previous_completed_shifts(chunk)
        for booking in Booking.objects.filter(shortfall_id__in=chunk).values_list(
            "shortfall_id", "id", "practitioner_id", "status", "created_at", "cancelled_at"
        ):
            bookings[booking[0]].append((*booking[1:], worked_before.get(booking[1])))
    offers: dict[int, list[tuple]] = defaultdict(list)
    for chunk in _chunks(ids, 20_000):
        for offer in Offer.objects.filter(shortfall_id__in=chunk).values_list(
            "shortfall_id", "status", "sent_at"
        ):
            offers[offer[0]].append(offer[1:])

    by_id = {row["id"]: row for row in rows}
    ledger = _ledger(
        {
            (booking[1], by_id[shortfall_id]["ward_id"])
            for shortfall_id, items in bookings.items()
            for booking in items
            if booking[2] in HOLDING_STATUSES
        }
    )
    for row in rows:
        yield _facts_for(row, bookings.get(row["id"], []), offers.get(row["id"], []), ledger)


# The latest completed booking by the same practitioner on the same ward before a holding booking:
# if that one is not within the continuity window, no earlier one is. Only the last
# _HISTORY_LOOKBACK matters (365 local days plus a day and a clock change, with room to spare).
_HISTORY_LOOKBACK = dt.timedelta(days=367)
_PREVIOUS_SHIFT_SQL = """
SELECT b.id, previous.starts_at
FROM jobs_booking AS b JOIN jobs_shortfall AS s ON s.id = b.shortfall_id
CROSS JOIN LATERAL (
    SELECT earlier.starts_at
    FROM jobs_booking AS earlier JOIN jobs_shortfall AS earlier_shortfall
        ON earlier_shortfall.id = earlier.shortfall_id
    WHERE earlier.practitioner_id = b.practitioner_id
      AND earlier_shortfall.ward_id = s.ward_id
      AND earlier.status = %(completed)s
      AND earlier.starts_at < b.starts_at
      AND earlier.starts_at >= b.starts_at - %(lookback)s
    ORDER BY earlier.starts_at DESC
    LIMIT 1
) AS previous
WHERE b.shortfall_id = ANY(%(ids)s) AND b.status = ANY(%(holding)s)
"""


def _previous_completed_shifts(shortfall_ids: list[int]) -> dict[int, dt.datetime]:
    """Holding booking id -> start of the practitioner's latest completed shift on the same ward
    before it (within _HISTORY_LOOKBACK), for the bookings of these shortfalls. On PostgreSQL one
    query for the whole chunk: a LATERAL walk back down the (practitioner, starts_at) booking index,
    which stops at the first completed shift on the ward (a few index entries each); elsewhere (the
    SQLite demo) the same as a correlated subquery."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _PREVIOUS_SHIFT_SQL,
                {
                    "ids": shortfall_ids,
                    "holding": list(HOLDING_STATUSES),
                    "completed": Booking.Status.COMPLETED,
                    "lookback": _HISTORY_LOOKBACK,
                },
            )
            return dict(cursor.fetchall())
    previous_shift = (
        Booking.objects.filter(
            practitioner_id=OuterRef("practitioner_id"),
            shortfall__ward_id=OuterRef("shortfall__ward_id"),
            status=Booking.Status.COMPLETED,
            starts_at__lt=OuterRef("starts_at"),
            starts_at__gte=OuterRef("starts_at") - _HISTORY_LOOKBACK,
        )
        .order_by("-starts_at")
        .values("starts_at")[:1]
    )
    rows = (
        Booking.objects.filter(shortfall_id__in=shortfall_ids, status__in=HOLDING_STATUSES)
        .annotate(worked_before=Subquery(previous_shift))
        .values_list("id", "worked_before")
    )
    return {booking_id: worked for booking_id, worked in rows if worked is not None}


def _chunks(values: list[int], size: int) -> Iterator[list[int]]:
    for index in range(0, len(values), size):
        yield values[index : index + size]


def _facts_for(row: dict, bookings: list[tuple], offers: list[tuple], ledger: dict) -> ShortfallFacts:
    starts_at: dt.datetime = row["starts_at"]
    cancelled_at: dt.datetime | None = row["cancelled_at"]
    is_cancelled = row["status"] == Shortfall.Status.CANCELLED
    is_requested = not (is_cancelled and cancelled_at <= starts_at - CANCELLATION_CUTOFF)
    facts = ShortfallFacts(
        shortfall_id=row["id"],
        day=local_date(starts_at),
        trust_id=row["trust_id"],
        ward_id=row["ward_id"],
        role_id=row["role_id"],
        band=row["min_band"],
        setting_id=row["ward__setting_id"],
        is_night=row["shift_type"] == Shortfall.ShiftType.NIGHT,
        is_requested=is_requested,
        counters=dict.fromkeys(COUNTERS, 0),
    )
    headcount = row["headcount"]
    counters = facts.counters
    if not is_requested:
        counters["slots_cancelled_before_cutoff"] = headcount
        return facts

    shift_seconds = _seconds(row["ends_at"] - starts_at)
    lead = _seconds(starts_at - row["posted_at"])
    # (booking id, practitioner, status, created_at, cancelled_at, worked before), earliest first
    holding = sorted((b for b in bookings if b[2] in HOLDING_STATUSES), key=lambda b: (b[3], b[0]))[
        :headcount
    ]
    wanted_at_start = not (is_cancelled and cancelled_at < starts_at)
    booked_before_start = sum(1 for b in holding if b[3] < starts_at)

    counters["slots_requested"] = headcount
    counters["slots_filled"] = len(holding)
    counters["seconds_requested"] = shift_seconds * headcount
    counters["seconds_filled"] = shift_seconds * len(holding)
    counters["slots_unfilled_at_start"] = headcount - booked_before_start if wanted_at_start else 0
    counters["lead_time_seconds_sum"] = lead * headcount
    for index, (_, practitioner_id, _, created_at, _, worked_before) in enumerate(holding):
        time_to_fill = _seconds(created_at - row["posted_at"])
        counters["time_to_fill_seconds_sum"] += time_to_fill
        worked = [
            *ledger.get((practitioner_id, row["ward_id"]), ()),
            *([worked_before] if worked_before else []),
        ]
        counters["fills_continuity_90"] += _worked_within(worked, starts_at, 90)
        counters["fills_continuity_365"] += _worked_within(worked, starts_at, 365)
        facts.slots.append(Slot(index, lead, practitioner_id, time_to_fill))
    facts.slots.extend(Slot(index, lead) for index in range(len(holding), headcount))

    for _, _, status, _, booking_cancelled_at, _ in bookings:
        counters["bookings_made"] += 1
        if status == Booking.Status.COMPLETED:
            counters["bookings_completed"] += 1
        elif status == Booking.Status.NO_SHOW:
            counters["bookings_no_show"] += 1
        elif status in (Booking.Status.CANCELLED_BY_PRACTITIONER, Booking.Status.CANCELLED_BY_TRUST):
            notice = starts_at - booking_cancelled_at if booking_cancelled_at else dt.timedelta(0)
            prefix = "" if status == Booking.Status.CANCELLED_BY_PRACTITIONER else "trust_"
            for hours in LATE_CANCELLATION_HOURS:
                if notice < dt.timedelta(hours=hours):
                    counters[f"{prefix}late_cancellations_{hours}h"] += 1
    for status, sent_at in offers:
        if status == Offer.Status.QUEUED or (status == Offer.Status.WITHDRAWN and sent_at is None):
            continue
        counters["offers_sent"] += 1
        if status == Offer.Status.ACCEPTED:
            counters["offers_accepted"] += 1
        elif status == Offer.Status.DECLINED:
            counters["offers_declined"] += 1
        elif status == Offer.Status.EXPIRED:
            counters["offers_expired"] += 1
    return facts


# --- from counters and slots to the reported numbers ---------------------------------------------


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL percentile_cont: linear interpolation between the closest ranks."""
    if not sorted_values:
        return None
    position = fraction * (len(sorted_values) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    weight = position - lower
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * weight


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


def metric_values(counters: dict[str, int], order_stats: dict[str, float | int | None]) -> dict:
    """The reported metrics of one group: rates from the summed counters, plus the order statistics
    (medians, p90s, distinct staff) computed from slot rows."""
    c = counters
    return {
        "slots_requested": c["slots_requested"],
        "slots_filled": c["slots_filled"],
        "slots_cancelled_before_cutoff": c["slots_cancelled_before_cutoff"],
        "fill_rate": _ratio(c["slots_filled"], c["slots_requested"]),
        "hours_requested": c["seconds_requested"] / 3600,
        "hours_filled": c["seconds_filled"] / 3600,
        "fill_rate_hours": _ratio(c["seconds_filled"], c["seconds_requested"]),
        "time_to_fill_median_hours": _hours(order_stats.get("time_to_fill_median")),
        "time_to_fill_p90_hours": _hours(order_stats.get("time_to_fill_p90")),
        "lead_time_median_hours": _hours(order_stats.get("lead_time_median")),
        "lead_time_p90_hours": _hours(order_stats.get("lead_time_p90")),
        "continuity_rate_90": _ratio(c["fills_continuity_90"], c["slots_filled"]),
        "continuity_rate_365": _ratio(c["fills_continuity_365"], c["slots_filled"]),
        "distinct_staff": order_stats.get("distinct_staff") or 0,
        "unfilled_at_start": c["slots_unfilled_at_start"],
        "bookings_made": c["bookings_made"],
        "late_cancellation_rate_12h": _ratio(c["late_cancellations_12h"], c["bookings_made"]),
        "late_cancellation_rate_4h": _ratio(c["late_cancellations_4h"], c["bookings_made"]),
        "trust_late_cancellation_rate_12h": _ratio(c["trust_late_cancellations_12h"], c["bookings_made"]),
        "trust_late_cancellation_rate_4h": _ratio(c["trust_late_cancellations_4h"], c["bookings_made"]),
        "no_show_rate": _ratio(c["bookings_no_show"], c["bookings_completed"] + c["bookings_no_show"]),
        "offers_sent": c["offers_sent"],
        "offers_per_fill": _ratio(c["offers_sent"], c["slots_filled"]),
        "acceptance_rate": _ratio(
            c["offers_accepted"], c["offers_accepted"] + c["offers_declined"] + c["offers_expired"]
        ),
    }


def group_key(facts: ShortfallFacts, group_by: Sequence[str], period: str) -> tuple:
    """(period start, *dimension values) in the order of group_by."""
    values = {
        "trust": facts.trust_id,
        "ward": facts.ward_id,
        "role": facts.role_id,
        "band": facts.band,
        "setting": facts.setting_id,
        "day_night": "night" if facts.is_night else "day",
    }
    return (period_start(facts.day, period), *(values[name] for name in group_by))


def compute_from_raw(
    shortfalls: QuerySet[Shortfall], *, group_by: Sequence[str], period: str, start: dt.date, end: dt.date
) -> dict[tuple, dict]:
    """The reference: every metric by (period start, *group_by) over shortfalls starting on local
    dates start..end, from the jobs tables alone. Groups with no slot at all are left out."""
    lo, hi = local_day_bounds(start, end)
    counters: dict[tuple, dict[str, int]] = {}
    time_to_fill: dict[tuple, list[int]] = defaultdict(list)
    lead_time: dict[tuple, list[int]] = defaultdict(list)
    staff: dict[tuple, set[int]] = defaultdict(set)
    for facts in shortfall_facts(shortfalls.filter(starts_at__gte=lo, starts_at__lt=hi)):
        key = group_key(facts, group_by, period)
        totals = counters.setdefault(key, dict.fromkeys(COUNTERS, 0))
        for name, value in facts.counters.items():
            totals[name] += value
        for slot in facts.slots:
            lead_time[key].append(slot.lead_time_seconds)
            if slot.practitioner_id is not None:
                time_to_fill[key].append(slot.time_to_fill_seconds)
                staff[key].add(slot.practitioner_id)
    result = {}
    for key, totals in counters.items():
        result[key] = metric_values(totals, order_statistics(time_to_fill[key], lead_time[key], staff[key]))
    return result


def order_statistics(fills: Iterable[float], leads: Iterable[float], staff: set) -> dict:
    """Medians and p90s of time to fill and lead time (percentile_cont) and distinct staff."""
    ordered_fills, ordered_leads = sorted(fills), sorted(leads)
    return {
        "time_to_fill_median": percentile(ordered_fills, 0.5),
        "time_to_fill_p90": percentile(ordered_fills, 0.9),
        "lead_time_median": percentile(ordered_leads, 0.5),
        "lead_time_p90": percentile(ordered_leads, 0.9),
        "distinct_staff": len(staff),
    }


def sum_counters(rows: Iterable[dict[str, int]]) -> dict[str, int]:
    totals = dict.fromkeys(COUNTERS, 0)
    for row in rows:
        for name in COUNTERS:
            totals[name] += row[name]
    return totals
