"""Booking a practitioner onto a shortfall: the one place the cross-row rules are enforced.

Locks: the shortfall row (headcount) and then the practitioner row (overlap, rest, weekly hours),
always in that order so two bookings can never deadlock. On PostgreSQL the exclusion constraint
`booking_no_overlap_per_practitioner` is the last line of defence for overlaps; on SQLite the
locks (an IMMEDIATE transaction holds the database write lock) make the checks below sufficient.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from backend.accounts.models import User
from backend.core.errors import (
    OutsideRestRules,
    OverlappingBooking,
    ShortfallClosed,
    ShortfallFilled,
    WeeklyHoursExceeded,
)
from backend.practitioners.models import Practitioner
from jobs.models import ACTIVE_BOOKING_STATUSES, Booking, Offer, Shortfall

WEEK = dt.timedelta(hours=168)


def _hours(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 3600


def weekly_cap_hours(practitioner: Practitioner) -> int:
    rules = settings.STAFFING
    return (
        rules["OPT_OUT_WEEK_HOURS_MAX"] if practitioner.opted_out_of_weekly_cap else rules["WEEK_HOURS_CAP"]
    )


def _working_time_rows(*, starts_at: dt.datetime, ends_at: dt.datetime) -> Q:
    """The bookings check_working_time looks at: those within the rest gap of the shift, and those
    starting in the 7 days either side (the windows the cap looks at)."""
    rest = dt.timedelta(hours=settings.STAFFING["MIN_REST_HOURS"])
    return Q(starts_at__lt=ends_at + rest, ends_at__gt=starts_at - rest) | Q(
        starts_at__gte=starts_at - WEEK, starts_at__lt=starts_at + WEEK
    )


def check_working_time(*, practitioner: Practitioner, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    """Overlap, minimum rest either side and the rolling 7-day hours cap against the practitioner's
    active bookings. Call with the practitioner row locked."""
    rows = Booking.objects.filter(practitioner=practitioner, status__in=ACTIVE_BOOKING_STATUSES).filter(
        _working_time_rows(starts_at=starts_at, ends_at=ends_at)
    )
    _check_working_time(
        practitioner=practitioner,
        starts_at=starts_at,
        ends_at=ends_at,
        rows=list(rows.values_list("id", "starts_at", "ends_at")),
    )


def _check_working_time(
    *,
    practitioner: Practitioner,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    rows: list[tuple[int, dt.datetime, dt.datetime]],
) -> None:
    """check_working_time over (id, starts_at, ends_at) of the practitioner's active bookings, which
    must include every one _working_time_rows selects (others are ignored by the same conditions)."""
    rest = dt.timedelta(hours=settings.STAFFING["MIN_REST_HOURS"])
    nearby = [row for row in rows if row[1] < ends_at + rest and row[2] > starts_at - rest]
    for booking_id, other_start, other_end in nearby:
        if other_start < ends_at and starts_at < other_end:
            raise OverlappingBooking(extra={"booking_id": booking_id})
    for booking_id, other_start, other_end in nearby:
        gap = starts_at - other_end if other_end <= starts_at else other_start - ends_at
        raise OutsideRestRules(
            f"Only {_format_gap(gap)} rest between this shift and booking {booking_id}; "
            f"the minimum is {settings.STAFFING['MIN_REST_HOURS']} h.",
            extra={"booking_id": booking_id, "rest_minutes": int(gap.total_seconds() // 60)},
        )

    cap = weekly_cap_hours(practitioner)
    window = [(start, end) for _, start, end in rows if starts_at - WEEK <= start < starts_at + WEEK]
    shifts = sorted([*window, (starts_at, ends_at)])
    for window_start, _ in shifts:
        total = sum(_hours(s, e) for s, e in shifts if window_start <= s < window_start + WEEK)
        if total > cap + 1e-9:
            raise WeeklyHoursExceeded(
                f"This shift would make {total:g} h in the 7 days from "
                f"{timezone.localtime(window_start):%Y-%m-%d %H:%M}; the cap is {cap} h.",
                extra={"hours": round(total, 2), "cap": cap},
            )


def _format_gap(gap: dt.timedelta) -> str:
    minutes = int(gap.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} m"


def refresh_fill_status(shortfall: Shortfall, *, now: dt.datetime, booked: int | None = None) -> None:
    """Set open / partially filled / filled from the active bookings (``booked``: their number,
    when the caller has just counted them under the same lock); a filled shortfall's next cascade
    wave is called off. Call with the row locked."""
    if booked is None:
        booked = shortfall.bookings.filter(status__in=ACTIVE_BOOKING_STATUSES).count()
    if booked >= shortfall.headcount:
        status, filled_at = Shortfall.Status.FILLED, shortfall.filled_at or now
    elif booked > 0:
        status, filled_at = Shortfall.Status.PARTIALLY_FILLED, None
    else:
        status, filled_at = Shortfall.Status.OPEN, None
    if (status, filled_at) != (shortfall.status, shortfall.filled_at):
        shortfall.status, shortfall.filled_at = status, filled_at
        fields = ["status", "filled_at", "updated_at"]
        if status == Shortfall.Status.FILLED and shortfall.next_wave_at is not None:
            shortfall.next_wave_at = None  # a filled shift sends no more waves
            fields.append("next_wave_at")
        shortfall.save(update_fields=fields)


@transaction.atomic
def book_practitioner(
    *,
    shortfall_id: int,
    practitioner_id: int,
    offer: Offer | None = None,
    booked_by: User | None = None,
) -> Booking:
    shortfall = Shortfall.objects.select_for_update().get(id=shortfall_id)
    practitioner = Practitioner.objects.select_for_update().get(id=practitioner_id)
    return book_locked(shortfall=shortfall, practitioner=practitioner, offer=offer, booked_by=booked_by)


def book_locked(
    *,
    shortfall: Shortfall,
    practitioner: Practitioner,
    offer: Offer | None = None,
    booked_by: User | None = None,
) -> Booking:
    """book_practitioner for a caller that already holds both row locks in its transaction, taken
    in that order (accept_offer). ``shortfall``'s status is brought up to date in place."""
    if not shortfall.is_open:
        if shortfall.status == Shortfall.Status.FILLED:
            raise ShortfallFilled(extra={"shortfall_id": shortfall.id})
        raise ShortfallClosed(extra={"shortfall_id": shortfall.id, "status": shortfall.status})
    # One query: the shift's active bookings (headcount, already booked) and the practitioner's
    # that the working-time rules look at.
    rows = list(
        Booking.objects.filter(status__in=ACTIVE_BOOKING_STATUSES)
        .filter(
            Q(shortfall_id=shortfall.id)
            | Q(
                _working_time_rows(starts_at=shortfall.starts_at, ends_at=shortfall.ends_at),
                practitioner=practitioner,
            )
        )
        .values_list("id", "shortfall_id", "practitioner_id", "starts_at", "ends_at")
    )
    on_shift = [row for row in rows if row[1] == shortfall.id]
    booked = len(on_shift)
    if booked >= shortfall.headcount:
        raise ShortfallFilled(extra={"shortfall_id": shortfall.id})
    if any(row[2] == practitioner.id for row in on_shift):
        raise OverlappingBooking(
            "The practitioner is already booked on this shift.", extra={"shortfall_id": shortfall.id}
        )
    _check_working_time(
        practitioner=practitioner,
        starts_at=shortfall.starts_at,
        ends_at=shortfall.ends_at,
        rows=[(booking_id, start, end) for booking_id, _, who, start, end in rows if who == practitioner.id],
    )

    now = timezone.now()
    try:
        booking = Booking.objects.create(
            shortfall=shortfall,
            practitioner=practitioner,
            offer=offer,
            starts_at=shortfall.starts_at,
            ends_at=shortfall.ends_at,
            booked_by=booked_by,
        )
    except IntegrityError as exc:
        # Only reachable if a writer bypassed this service: the database still refuses. No savepoint
        # around the INSERT: the error leaves the caller's atomic block, which rolls it all back.
        raise OverlappingBooking(extra={"shortfall_id": shortfall.id}) from exc
    refresh_fill_status(shortfall, now=now, booked=booked + 1)
    return booking
