"""Recording that a booked practitioner never arrived.

A no-show may be recorded by the booking's trust (or the agency) from the start of the shift until
NO_SHOW_WINDOW after it ends: on a confirmed booking whose shift is under way, or on one the
completion sweep already completed. In the second case the shift the sweep added to the continuity
ledger is taken back out. Reliability needs no counter of its own: matching counts no-shows from
booking statuses (matching/candidates.py), so the next snapshot sees this one.

Locks are taken in the order shortfall -> booking -> ledger row. The completion sweep locks booking
-> ledger row and skips bookings already locked, so the two never deadlock and exactly one of them
decides the booking's fate: either the sweep skips it (and it is no longer confirmed by its next
run), or this service waits for the sweep's commit and then reverses what the sweep credited.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from backend.accounts.models import User
from backend.core import audit
from backend.core.errors import (
    NoShowNotAllowed,
    NoShowOutsideWindow,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from backend.core.models import AuditEvent
from backend.practitioners.models import WardExperience
from jobs.models import Booking, Shortfall
from jobs.selectors import bookings_for
from jobs.services.bookings import refresh_fill_status
from jobs.services.offers import refresh_fill_rates

NO_SHOW_WINDOW = dt.timedelta(days=7)
NO_SHOW_FROM = (Booking.Status.CONFIRMED, Booking.Status.COMPLETED)


@transaction.atomic
def record_no_show(
    *, booking: Booking, by: User, reason: str, now: dt.datetime | None = None, request=None
) -> Booking:
    """Mark a booking as a no-show. Marking one that is already a no-show changes nothing."""
    now = now or timezone.now()
    if not (by.is_trust_staff or by.is_agency_staff):
        raise PermissionDenied()
    if not bookings_for(by).filter(id=booking.id).exists():
        raise NotFound()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(extra={"fields": {"reason": ["Say why the booking is a no-show."]}})
    shortfall = Shortfall.objects.select_for_update(of=("self",)).get(id=booking.shortfall_id)
    booking = Booking.objects.select_for_update().get(id=booking.id)
    if booking.status == Booking.Status.NO_SHOW:
        return booking
    if booking.status not in NO_SHOW_FROM:
        raise NoShowNotAllowed(extra={"booking_id": booking.id, "status": booking.status})
    if not booking.starts_at <= now <= booking.ends_at + NO_SHOW_WINDOW:
        raise NoShowOutsideWindow(
            extra={
                "booking_id": booking.id,
                "from": booking.starts_at.isoformat(),
                "until": (booking.ends_at + NO_SHOW_WINDOW).isoformat(),
            }
        )
    previous = booking.status
    ledger = "untouched"
    if previous == Booking.Status.COMPLETED:
        ledger = _take_back_from_ledger(booking=booking, ward_id=shortfall.ward_id)
    booking.status, booking.completed_at = Booking.Status.NO_SHOW, None
    booking.save(update_fields=["status", "completed_at", "updated_at"])
    refresh_fill_status(shortfall, now=now)
    refresh_fill_rates(trust_id=shortfall.trust_id, starts_at=booking.starts_at)
    audit.record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        subject_type="booking",
        subject_id=booking.id,
        practitioner_id=booking.practitioner_id,
        request=request,
        detail={"event": "no_show", "reason": reason[:300], "previous_status": previous, "ledger": ledger},
    )
    return booking


def _take_back_from_ledger(*, booking: Booking, ward_id: int) -> str:
    """Undo what complete_finished_bookings added for this booking: one shift, and the first / last
    dates it may have widened. The ledger keeps only its extremes, so a date this booking set is
    recomputed from the practitioner's other completed bookings on the ward; if only imported
    history is left, whose dates the ledger no longer holds apart, the later date falls back to the
    earlier one (recency is understated, never overstated). Call with the booking row locked."""
    experience = (
        WardExperience.objects.select_for_update()
        .filter(practitioner_id=booking.practitioner_id, ward_id=ward_id)
        .first()
    )
    if experience is None:
        return "absent"
    if experience.shifts_worked <= 1:
        experience.delete()
        return "removed"
    others = (
        Booking.objects.filter(
            practitioner_id=booking.practitioner_id,
            shortfall__ward_id=ward_id,
            status=Booking.Status.COMPLETED,
        )
        .exclude(id=booking.id)
        .aggregate(first=Min("starts_at"), last=Max("ends_at"))
    )
    experience.shifts_worked -= 1
    if experience.first_worked_at == booking.starts_at and others["first"] is not None:
        experience.first_worked_at = others["first"]
    if experience.last_worked_at == booking.ends_at:
        experience.last_worked_at = others["last"] or experience.first_worked_at
    experience.last_worked_at = max(experience.last_worked_at, experience.first_worked_at)
    experience.save(update_fields=["shifts_worked", "first_worked_at", "last_worked_at", "updated_at"])
    return "decremented"
