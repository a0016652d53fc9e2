"""Reads of shortfalls, offers and bookings, scoped to the caller."""

from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from backend.core.errors import NotFound
from backend.organisations.selectors import wards_for
from backend.practitioners.models import WardExperience
from jobs.models import ACTIVE_BOOKING_STATUSES, Booking, Offer, Shortfall


def shortfalls_for(user) -> QuerySet[Shortfall]:
    if not user.is_authenticated:
        return Shortfall.objects.none()
    if user.is_agency_staff or user.is_trust_staff:
        # The ward ids as a literal list, not `IN (subquery)`: the planner then estimates the rows
        # from the ward index's statistics and counts a trust's 11,600 shortfalls by index (7 ms on
        # the large seed) where the subquery made it seq-scan all 250,000 (35 ms a list page).
        if user.is_trust_staff:
            # By trust (a shortfall's ward is its trust's: a composite foreign key), so a page
            # walks the trust's (trust, starts_at, id) index and the count reads one index range;
            # staff limited to some wards also filter by ward as it goes.
            shortfalls = Shortfall.objects.filter(trust_id=user.trust_id)
            limited_to = list(user.wards.values_list("id", flat=True))
            return shortfalls.filter(ward_id__in=limited_to) if limited_to else shortfalls
        return Shortfall.objects.filter(
            ward_id__in=list(wards_for(user).order_by().values_list("id", flat=True))
        )
    return Shortfall.objects.none()


SHORTFALL_LIST_FIELDS = (
    "id", "trust_id", "ward_id", "role__code", "min_band", "headcount", "starts_at", "ends_at",
    "shift_type", "gender_requirement", "hourly_rate", "rate_cap", "notes", "external_reference",
    "status", "posted_at", "cancelled_at", "cancel_reason", "filled_at",
)  # fmt: skip


def shortfall_rows(shortfall_ids: list[int]) -> list[dict]:
    """The listed shortfalls as plain values (role code, competence codes, fill count), in the
    given order: three narrow queries and no model instances. The list paginates a narrow id query
    first: sorting a trust's 11,600 shortfalls joined to their ward, role and trust rows before the
    LIMIT cost 20 ms a page. Ward and trust are shown by id, so their rows are not loaded."""
    by_id = {
        row["id"]: {**row, "required_competences": [], "desired_competences": []}
        for row in Shortfall.objects.filter(id__in=shortfall_ids)
        .annotate(booked_count=_booked_count())
        .values(*SHORTFALL_LIST_FIELDS, "booked_count")
    }
    for name in ("required_competences", "desired_competences"):
        through = getattr(Shortfall, name).through
        for shortfall_id, code in (
            through.objects.filter(shortfall_id__in=shortfall_ids)
            .order_by("competence__name", "competence_id")  # as the serializer lists them
            .values_list("shortfall_id", "competence__code")
        ):
            by_id[shortfall_id][name].append(code)
    return [by_id[shortfall_id] for shortfall_id in shortfall_ids]


def _booked_count() -> Coalesce:
    booked = (
        Booking.objects.filter(shortfall=OuterRef("pk"), status__in=ACTIVE_BOOKING_STATUSES)
        .order_by()
        .values("shortfall")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(booked), 0)


def with_fill_counts(shortfalls: QuerySet[Shortfall]) -> QuerySet[Shortfall]:
    # A correlated subquery, not JOIN + GROUP BY: a page of 50 then counts the bookings of its 50
    # shortfalls, where the GROUP BY grouped every shortfall the caller may see (11,601 for a
    # trust on the large seed: 0.4 s a page) before the LIMIT; and count() needs no join.
    return (
        shortfalls.select_related("ward", "role", "trust")
        .annotate(booked_count=_booked_count())
        .order_by("starts_at", "id")
    )


def offers_for(practitioner) -> QuerySet[Offer]:
    return Offer.objects.filter(practitioner=practitioner)


def bookings_for(user) -> QuerySet[Booking]:
    if not user.is_authenticated:
        return Booking.objects.none()
    if user.is_practitioner:
        return Booking.objects.filter(practitioner__user_id=user.id)
    if user.is_agency_staff or user.is_trust_staff:
        return Booking.objects.filter(shortfall__in=shortfalls_for(user))
    return Booking.objects.none()


def shortfall_visible_to(user, shortfall_id: int) -> Shortfall:
    """One shortfall the caller may see, with its fill count; anyone else's is simply not found."""
    shortfall = with_fill_counts(shortfalls_for(user)).filter(id=shortfall_id).first()
    if shortfall is None:
        raise NotFound()
    return shortfall


def offers_visible_to(user) -> QuerySet[Offer]:
    if not user.is_authenticated or not user.is_practitioner:
        return Offer.objects.none()
    return Offer.objects.filter(practitioner__user_id=user.id)


def cascade_offers(shortfall: Shortfall) -> QuerySet[Offer]:
    return (
        Offer.objects.filter(shortfall=shortfall)
        .select_related("practitioner__user")
        .order_by("wave", "-score", "id")
    )


def active_bookings_with_familiarity(shortfall: Shortfall) -> list[Booking]:
    """The shortfall's active bookings, each with `is_new_to_ward`: True unless the practitioner
    worked the ward (continuity ledger) before this shift starts."""
    bookings = list(
        shortfall.bookings.filter(status__in=ACTIVE_BOOKING_STATUSES).select_related("practitioner__user")
    )
    known = set(
        WardExperience.objects.filter(
            ward_id=shortfall.ward_id,
            practitioner_id__in=[b.practitioner_id for b in bookings],
            first_worked_at__lt=shortfall.starts_at,
        ).values_list("practitioner_id", flat=True)
    )
    for booking in bookings:
        booking.is_new_to_ward = booking.practitioner_id not in known
    return bookings
