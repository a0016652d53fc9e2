"""After a booking is made: cancellations (either side), completion into the continuity ledger,
reminders, and feedback that can feed a trust's do-not-book list."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import User
from backend.core import outbox
from backend.core.errors import BookingNotCancellable, FeedbackNotAllowed
from backend.practitioners.models import PractitionerListing, WardExperience
from jobs.models import Booking, Shortfall, TrustFeedback, WardFeedback
from jobs.services.bookings import refresh_fill_status
from jobs.services.offers import after_booking_change
from jobs.services.shortfalls import COMPENSATED_TRUST_CANCELLATION

LATE_PRACTITIONER_CANCELLATION = dt.timedelta(hours=12)
DO_NOT_BOOK_REVIEW = dt.timedelta(days=90)
DO_NOT_BOOK_EXPIRY = dt.timedelta(days=365)
REMINDER_LEAD = dt.timedelta(hours=24)


@transaction.atomic
def cancel_booking(*, booking: Booking, cancelled_by: User, reason: str) -> Booking:
    """Cancel a confirmed booking before it starts. The slot reopens and the cascade resumes."""
    now = timezone.now()
    shortfall = (
        Shortfall.objects.select_for_update(of=("self",)).select_related("trust").get(id=booking.shortfall_id)
    )
    booking = Booking.objects.select_for_update().get(id=booking.id)
    if booking.status != Booking.Status.CONFIRMED or booking.starts_at <= now:
        raise BookingNotCancellable(extra={"booking_id": booking.id, "status": booking.status})
    notice = booking.starts_at - now
    if cancelled_by.is_practitioner:
        booking.status = Booking.Status.CANCELLED_BY_PRACTITIONER
        booking.is_late_cancellation = notice < LATE_PRACTITIONER_CANCELLATION
    else:
        booking.status = Booking.Status.CANCELLED_BY_TRUST
        booking.compensation_due = notice < COMPENSATED_TRUST_CANCELLATION
    booking.cancelled_at, booking.cancel_reason = now, reason[:300]
    booking.save(
        update_fields=[
            "status",
            "is_late_cancellation",
            "compensation_due",
            "cancelled_at",
            "cancel_reason",
            "updated_at",
        ]
    )
    refresh_fill_status(shortfall, now=now)
    if shortfall.is_open:
        # The cascade picks up again: the next sweep offers the slot (withdrawn offers are revived).
        shortfall.next_wave_at = now
        shortfall.save(update_fields=["next_wave_at", "updated_at"])
        outbox.enqueue("jobs.advance_cascades", queue="offers")
    after_booking_change(booking=booking, event="booking_cancelled")
    return booking


@transaction.atomic
def complete_finished_bookings(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Beat sweep: confirmed bookings whose shift has ended become completed, and each adds one
    shift to the practitioner's continuity with that ward."""
    now = now or timezone.now()
    finished = list(
        Booking.objects.select_for_update(skip_locked=True)
        .filter(status=Booking.Status.CONFIRMED, ends_at__lte=now)
        .order_by("ends_at")[:limit]
    )
    for booking in finished:
        ward_id = Shortfall.objects.filter(id=booking.shortfall_id).values_list("ward_id", flat=True).get()
        booking.status, booking.completed_at = Booking.Status.COMPLETED, now
        booking.save(update_fields=["status", "completed_at", "updated_at"])
        experience = (
            WardExperience.objects.select_for_update()
            .filter(practitioner_id=booking.practitioner_id, ward_id=ward_id)
            .first()
        )
        if experience is None:
            WardExperience.objects.create(
                practitioner_id=booking.practitioner_id,
                ward_id=ward_id,
                shifts_worked=1,
                first_worked_at=booking.starts_at,
                last_worked_at=booking.ends_at,
            )
        else:
            experience.shifts_worked += 1
            experience.first_worked_at = min(experience.first_worked_at, booking.starts_at)
            experience.last_worked_at = max(experience.last_worked_at, booking.ends_at)
            experience.save(
                update_fields=["shifts_worked", "first_worked_at", "last_worked_at", "updated_at"]
            )
    return len(finished)


@transaction.atomic
def send_shift_reminders(*, now: dt.datetime | None = None) -> int:
    """Beat sweep: one reminder per booking, 24 h before it starts (claimed by conditional UPDATE)."""
    now = now or timezone.now()
    due = list(
        Booking.objects.filter(
            status=Booking.Status.CONFIRMED,
            reminder_sent_at__isnull=True,
            starts_at__gt=now,
            starts_at__lte=now + REMINDER_LEAD,
        ).values_list("id", flat=True)
    )
    sent = 0
    for booking_id in due:
        if Booking.objects.filter(id=booking_id, reminder_sent_at__isnull=True).update(reminder_sent_at=now):
            outbox.enqueue(
                "jobs.notify_booking", queue="notifications", booking_id=booking_id, event="shift_reminder"
            )
            sent += 1
    return sent


@transaction.atomic
def rate_practitioner(
    *, booking: Booking, given_by: User, rating: int, would_book_again: bool, do_not_book: bool, reason: str
) -> TrustFeedback:
    """The trust rates a completed booking. "Do not book" puts the practitioner on the trust's
    block list with a review date and an expiry (nobody is blocked for ever without a look)."""
    booking = Booking.objects.select_for_update().select_related("shortfall").get(id=booking.id)
    if booking.status != Booking.Status.COMPLETED or TrustFeedback.objects.filter(booking=booking).exists():
        raise FeedbackNotAllowed(extra={"booking_id": booking.id, "status": booking.status})
    now = timezone.now()
    feedback = TrustFeedback.objects.create(
        booking=booking,
        rating=rating,
        would_book_again=would_book_again,
        do_not_book=do_not_book,
        reason=reason,
        given_by=given_by,
    )
    WardExperience.objects.filter(
        practitioner_id=booking.practitioner_id, ward_id=booking.shortfall.ward_id
    ).update(last_rating=rating, updated_at=now)
    if do_not_book:
        PractitionerListing.objects.update_or_create(
            trust_id=booking.shortfall.trust_id,
            ward=None,
            practitioner_id=booking.practitioner_id,
            kind=PractitionerListing.Kind.DO_NOT_BOOK,
            defaults={
                "reason": reason,
                "created_by": given_by,
                "review_on": (now + DO_NOT_BOOK_REVIEW).date(),
                "expires_at": now + DO_NOT_BOOK_EXPIRY,
            },
        )
    return feedback


@transaction.atomic
def rate_ward(
    *, booking: Booking, induction: int, supervision: int, felt_safe: bool, comment: str = ""
) -> WardFeedback:
    booking = Booking.objects.select_for_update().get(id=booking.id)
    if booking.status != Booking.Status.COMPLETED or WardFeedback.objects.filter(booking=booking).exists():
        raise FeedbackNotAllowed(extra={"booking_id": booking.id, "status": booking.status})
    return WardFeedback.objects.create(
        booking=booking, induction=induction, supervision=supervision, felt_safe=felt_safe, comment=comment
    )
