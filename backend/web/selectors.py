"""Reads for the portal pages, built on the domain selectors and services (already scoped to the
caller): the web layer adds only what a page shows, never a rule of its own."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Q, QuerySet

from backend.practitioners.models import Practitioner, WardExperience
from jobs.analytics import selectors as analytics
from jobs.models import ACTIVE_BOOKING_STATUSES, Booking, Offer, Shortfall
from jobs.selectors import offers_for, shortfalls_for, with_fill_counts
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
    known = set(
        WardExperience.objects.filter(
            practitioner_id__in={p for p, _ in pairs}, ward_id__in={w for _, w in pairs}, shifts_worked__gt=0
        ).values_list("practitioner_id", "ward_id")
    )
    for shortfall in shortfalls:
        shortfall.booked_staff = [
            {
                "name": b.practitioner.name,
                "is_new_to_ward": (b.practitioner_id, shortfall.ward_id) not in known,
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
