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


def check_working_time(*, practitioner: Practitioner, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    """Overlap, minimum rest either side and the rolling 7-day hours cap against the practitioner's
    active bookings. Call with the practitioner row locked."""
    rest = dt.timedelta(hours=settings.STAFFING["MIN_REST_HOURS"])
    active = Booking.objects.filter(practitioner=practitioner, status__in=ACTIVE_BOOKING_STATUSES)
    nearby = list(
        active.filter(starts_at__lt=ends_at + rest, ends_at__gt=starts_at - rest).values_list(
            "id", "starts_at", "ends_at"
        )
    )
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
    window = list(
        active.filter(starts_at__gte=starts_at - WEEK, starts_at__lt=starts_at + WEEK).values_list(
            "starts_at", "ends_at"
        )
    )
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


def refresh_fill_status(shortfall: Shortfall, *, now: dt.datetime) -> None:
    """Set open / partially filled / filled from the active bookings. Call with the row locked."""
    booked = shortfall.bookings.filter(status__in=ACTIVE_BOOKING_STATUSES).count()
    if booked >= shortfall.headcount:
        status, filled_at = Shortfall.Status.FILLED, shortfall.filled_at or now
    elif booked > 0:
        status, filled_at = Shortfall.Status.PARTIALLY_FILLED, None
    else:
        status, filled_at = Shortfall.Status.OPEN, None
    if (status, filled_at) != (shortfall.status, shortfall.filled_at):
        shortfall.status, shortfall.filled_at = status, filled_at
        shortfall.save(update_fields=["status", "filled_at", "updated_at"])


@transaction.atomic
def book_practitioner(
    *,
    shortfall_id: int,
    practitioner_id: int,
    offer: Offer | None = None,
    booked_by: User | None = None,
) -> Booking:
    shortfall = Shortfall.objects.select_for_update().get(id=shortfall_id)
    if not shortfall.is_open:
        if shortfall.status == Shortfall.Status.FILLED:
            raise ShortfallFilled(extra={"shortfall_id": shortfall.id})
        raise ShortfallClosed(extra={"shortfall_id": shortfall.id, "status": shortfall.status})
    active = shortfall.bookings.filter(status__in=ACTIVE_BOOKING_STATUSES)
    if active.count() >= shortfall.headcount:
        raise ShortfallFilled(extra={"shortfall_id": shortfall.id})
    if active.filter(practitioner_id=practitioner_id).exists():
        raise OverlappingBooking(
            "The practitioner is already booked on this shift.", extra={"shortfall_id": shortfall.id}
        )

    practitioner = Practitioner.objects.select_for_update().get(id=practitioner_id)
    check_working_time(practitioner=practitioner, starts_at=shortfall.starts_at, ends_at=shortfall.ends_at)

    now = timezone.now()
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                shortfall=shortfall,
                practitioner=practitioner,
                offer=offer,
                starts_at=shortfall.starts_at,
                ends_at=shortfall.ends_at,
                booked_by=booked_by,
            )
    except IntegrityError as exc:
        # Only reachable if a writer bypassed this service: the database still refuses.
        raise OverlappingBooking(extra={"shortfall_id": shortfall.id}) from exc
    refresh_fill_status(shortfall, now=now)
    return booking
