"""Posting and cancelling shortfalls."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import User
from backend.core.errors import ShortfallClosed, ValidationFailed
from backend.organisations.models import Competence, Role, Ward
from jobs.models import Booking, Shortfall
from jobs.services.cascade import start_cascade
from jobs.services.offers import after_booking_change, refresh_fill_rates, withdraw_open_offers

COMPENSATED_TRUST_CANCELLATION = dt.timedelta(hours=4)


def _shift_type_for(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    local_start = timezone.localtime(starts_at)
    hours = (ends_at - starts_at).total_seconds() / 3600
    if local_start.hour >= 18 or local_start.hour < 4:
        return Shortfall.ShiftType.NIGHT
    if hours >= 11:
        return Shortfall.ShiftType.LONG_DAY
    return Shortfall.ShiftType.EARLY if local_start.hour < 11 else Shortfall.ShiftType.LATE


@transaction.atomic
def post_shortfall(
    *,
    posted_by: User,
    ward: Ward,
    role: Role,
    min_band: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    headcount: int = 1,
    shift_type: str = "",
    required_competences: list[Competence] | None = None,
    desired_competences: list[Competence] | None = None,
    gender_requirement: str = "",
    hourly_rate: Decimal | None = None,
    rate_cap: Decimal | None = None,
    notes: str = "",
    external_reference: str = "",
) -> Shortfall:
    """Create a shortfall on a ward the caller may post for (the caller's selector already
    resolved `ward`). Idempotent by external reference: the same reference returns the existing row."""
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    if ends_at <= starts_at:
        errors["ends_at"] = ["The shift must end after it starts."]
    if ends_at <= now:
        errors.setdefault("ends_at", []).append("The shift has already ended.")
    if hourly_rate is not None and rate_cap is not None and hourly_rate > rate_cap:
        errors["hourly_rate"] = ["The rate is above the cap."]
    if errors:
        raise ValidationFailed(extra={"fields": errors})

    if external_reference:
        existing = Shortfall.objects.filter(
            trust_id=ward.trust_id, external_reference=external_reference
        ).first()
        if existing is not None:
            return existing

    shortfall = Shortfall.objects.create(
        trust_id=ward.trust_id,
        ward=ward,
        role=role,
        min_band=min_band,
        headcount=headcount,
        starts_at=starts_at,
        ends_at=ends_at,
        shift_type=shift_type or _shift_type_for(starts_at, ends_at),
        gender_requirement=gender_requirement,
        hourly_rate=hourly_rate,
        rate_cap=rate_cap,
        notes=notes,
        external_reference=external_reference,
        posted_by=posted_by,
        posted_at=now,
    )
    if required_competences:
        shortfall.required_competences.set(required_competences)
    if desired_competences:
        shortfall.desired_competences.set(desired_competences)
    start_cascade(shortfall=shortfall, now=now)
    refresh_fill_rates(trust_id=shortfall.trust_id, starts_at=shortfall.starts_at)
    return shortfall


@transaction.atomic
def cancel_shortfall(*, shortfall: Shortfall, cancelled_by: User, reason: str) -> Shortfall:
    """Cancel a shortfall, withdraw its open offers and cancel its confirmed bookings, all in one
    transaction: nobody is left holding a shift that no longer exists."""
    shortfall = Shortfall.objects.select_for_update().get(id=shortfall.id)
    if not shortfall.is_open and shortfall.status != Shortfall.Status.FILLED:
        raise ShortfallClosed(
            f"This shortfall is already {shortfall.get_status_display().lower()}.",
            extra={"shortfall_id": shortfall.id, "status": shortfall.status},
        )
    now = timezone.now()
    withdraw_open_offers(shortfall_id=shortfall.id, now=now, reason="cancelled")
    for booking in Booking.objects.select_for_update().filter(
        shortfall=shortfall, status=Booking.Status.CONFIRMED
    ):
        booking.status = Booking.Status.CANCELLED_BY_TRUST
        booking.cancelled_at, booking.cancel_reason = now, reason[:300]
        booking.compensation_due = booking.starts_at - now < COMPENSATED_TRUST_CANCELLATION
        booking.save(
            update_fields=["status", "cancelled_at", "cancel_reason", "compensation_due", "updated_at"]
        )
        after_booking_change(booking=booking, event="booking_cancelled")
    shortfall.status = Shortfall.Status.CANCELLED
    shortfall.cancelled_at = now
    shortfall.cancel_reason = reason[:300]
    shortfall.next_wave_at = None
    shortfall.save(update_fields=["status", "cancelled_at", "cancel_reason", "next_wave_at", "updated_at"])
    refresh_fill_rates(trust_id=shortfall.trust_id, starts_at=shortfall.starts_at)
    return shortfall
