"""Reads for the portal pages, built on the domain selectors and services (already scoped to the
caller): the web layer adds only what a page shows, never a rule of its own."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from backend.practitioners.models import Availability, Credential, Practitioner, WardExperience
from backend.practitioners.selectors import availability_for, credentials_for
from jobs.analytics import selectors as analytics
from jobs.models import ACTIVE_BOOKING_STATUSES, Booking, Offer, Shortfall
from jobs.selectors import bookings_for, offers_for, shortfalls_for, with_fill_counts
from matching.services import RoleMatch, roles_for

SIMILAR_WINDOW = dt.timedelta(days=3)


def open_offers(*, practitioner: Practitioner, now: dt.datetime) -> QuerySet[Offer]:
    """Offers the practitioner can still answer, the soonest to lapse first."""
    return (
        offers_for(practitioner)
        .filter(status__in=Offer.OPEN_STATUSES, expires_at__gt=now)
        .select_related(
            "shortfall__ward__site", "shortfall__ward__setting", "shortfall__trust", "shortfall__role"
        )
        .order_by("expires_at", "id")
    )


def open_offer_ids_by_shortfall(*, practitioner: Practitioner, now: dt.datetime) -> dict[int, int]:
    return dict(open_offers(practitioner=practitioner, now=now).values_list("shortfall_id", "id"))


def similar_roles(*, practitioner: Practitioner, shortfall: Shortfall, limit: int = 3) -> list[RoleMatch]:
    """Shifts like one just lost to a race: same setting, starting within a few days of it."""
    matches = roles_for(
        practitioner=practitioner,
        starts_after=shortfall.starts_at - SIMILAR_WINDOW,
        starts_before=shortfall.starts_at + SIMILAR_WINDOW,
        setting=shortfall.ward.setting.code,
    )
    return [m for m in matches if m.shortfall.id != shortfall.id][:limit]


def fill_status(*, user, now: dt.datetime, limit: int = 50) -> list[Shortfall]:
    """The caller's shortfalls not yet over, with booked and open-offer counts and the booked staff
    (each flagged when new to the ward)."""
    shortfalls = list(
        with_fill_counts(shortfalls_for(user).filter(ends_at__gt=now))
        .annotate(offers_out=Count("offers", filter=Q(offers__status__in=Offer.OPEN_STATUSES), distinct=True))
        .order_by("starts_at", "id")[:limit]
    )
    bookings = (
        Booking.objects.filter(
            shortfall_id__in=[s.id for s in shortfalls], status__in=ACTIVE_BOOKING_STATUSES
        )
        .select_related("practitioner__user")
        .order_by("id")
    )
    by_shortfall: dict[int, list[Booking]] = defaultdict(list)
    for booking in bookings:
        by_shortfall[booking.shortfall_id].append(booking)
    pairs = {(b.practitioner_id, s.ward_id) for s in shortfalls for b in by_shortfall[s.id]}
    # Known = worked the ward before this shift starts, as jobs.selectors.active_bookings_with_familiarity
    # (the one-shortfall page and the cascade API) decide it.
    first_worked = {
        (practitioner_id, ward_id): first
        for practitioner_id, ward_id, first in WardExperience.objects.filter(
            practitioner_id__in={p for p, _ in pairs}, ward_id__in={w for _, w in pairs}
        ).values_list("practitioner_id", "ward_id", "first_worked_at")
    }

    def is_new_to_ward(booking: Booking, shortfall: Shortfall) -> bool:
        first = first_worked.get((booking.practitioner_id, shortfall.ward_id))
        return first is None or first >= shortfall.starts_at

    for shortfall in shortfalls:
        shortfall.booked_staff = [
            {
                "name": b.practitioner.name,
                "is_new_to_ward": is_new_to_ward(b, shortfall),
            }
            for b in by_shortfall[shortfall.id]
        ]
    return shortfalls


def fill_rate_by_trust_week(*, user, start: dt.date, end: dt.date) -> list[dict]:
    """Fill rate and continuity per trust per week (Monday), from the analytics rollups."""
    table = analytics.fill_rate_table(user=user, group_by=["trust"], period="week", start=start, end=end)
    names = analytics.group_labels(["trust"], list(table)).get("trust", {})
    rows = [
        {"week": week, "trust": names.get(trust_id, ""), **metrics}
        for (week, trust_id), metrics in table.items()
    ]
    rows.sort(key=lambda row: (row["trust"], row["week"]))
    return rows


def offered_shortfall(*, practitioner: Practitioner, offer_id: int) -> Shortfall:
    return offers_for(practitioner).select_related("shortfall__ward__setting").get(id=offer_id).shortfall


# --- Practitioner pages: bookings, credentials, availability ----------------------------------

EXPIRING_SOON = dt.timedelta(days=30)  # the last of notifications' credential reminders


def upcoming_bookings(*, user, now: dt.datetime) -> QuerySet[Booking]:
    """Confirmed shifts not yet over (one in progress included), the soonest first."""
    return (
        bookings_for(user)
        .filter(status=Booking.Status.CONFIRMED, ends_at__gt=now)
        .select_related("shortfall__ward__site", "shortfall__trust", "shortfall__role")
        .order_by("starts_at", "id")
    )


def past_bookings(*, user, now: dt.datetime) -> QuerySet[Booking]:
    """Shifts worked or cancelled, the latest first."""
    return (
        bookings_for(user)
        .filter(Q(ends_at__lte=now) | ~Q(status=Booking.Status.CONFIRMED))
        .select_related("shortfall__ward__site", "shortfall__trust", "shortfall__role")
        .order_by("-starts_at", "-id")
    )


def booking_for(*, user, booking_id: int) -> Booking:
    """One of the caller's bookings; anyone else's is not found."""
    booking = (
        bookings_for(user)
        .select_related("shortfall__ward__site", "shortfall__trust", "shortfall__role")
        .filter(id=booking_id)
        .first()
    )
    if booking is None:
        raise Http404
    return booking


def credential_expiry_status(*, expires_on: dt.date | None, today: dt.date) -> str:
    """valid / expiring / expired. A credential is valid through its expiry day (London time)."""
    if expires_on is None or expires_on > today + EXPIRING_SOON:
        return "valid"
    return "expired" if expires_on < today else "expiring"


def own_credentials(*, user, today: dt.date) -> list[Credential]:
    credentials = list(credentials_for(user).order_by("credential_type__name", "-expires_on", "-id"))
    for credential in credentials:
        credential.expiry_status = credential_expiry_status(expires_on=credential.expires_on, today=today)
        credential.days_left = (credential.expires_on - today).days if credential.expires_on else None
    return credentials


def upcoming_availability(*, user, now: dt.datetime) -> QuerySet[Availability]:
    return availability_for(user).filter(ends_at__gt=now).order_by("starts_at", "id")


def availability_window_for(*, user, availability_id: int) -> Availability:
    availability = availability_for(user).filter(id=availability_id).first()
    if availability is None:
        raise Http404
    return availability
