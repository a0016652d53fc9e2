"""Reads for the agency and trust staff pages, on top of the scoped domain selectors (analytics,
jobs, matching, practitioners, notifications). Nothing here decides a rule: it shapes what a page
shows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from backend.practitioners.models import Credential, Practitioner, PractitionerListing
from backend.practitioners.selectors import credentials_for
from jobs.analytics import selectors as analytics
from jobs.analytics.metrics import period_start
from jobs.models import Booking, Offer, Shortfall
from jobs.selectors import active_bookings_with_familiarity, bookings_for, cascade_offers
from matching.engine.taxonomy import role_label
from matching.services import rank_shortfall
from notifications.models import Delivery
from notifications.selectors import deliveries_for

# Time to fill buckets (upper bounds in hours; None: everything longer).
TIME_TO_FILL_BUCKETS: tuple[tuple[str, float | None], ...] = (
    ("< 1 h", 1),
    ("1–4 h", 4),
    ("4–12 h", 12),
    ("12–24 h", 24),
    ("1–3 days", 72),
    ("> 3 days", None),
)
BY_GROUP_LIMIT = 12


def periods_between(start: dt.date, end: dt.date, period: str) -> list[dt.date]:
    """Start dates of every week or month touching start..end (weeks start on Monday)."""
    periods, current = [], period_start(start, period)
    while current <= end:
        periods.append(current)
        current = (
            current + dt.timedelta(days=7)
            if period == "week"
            else (current + dt.timedelta(days=32)).replace(day=1)
        )
    return periods


@dataclass(frozen=True)
class GroupTotal:
    label: str
    slots_requested: int
    slots_filled: int
    fill_rate: float | None
    continuity_rate_90: float | None


def fill_rate_over_time(
    *, user, start: dt.date, end: dt.date, period: str, trust_id: int | None = None
) -> list[dict]:
    """One row per period in the range (empty periods included, with None rates)."""
    table = analytics.fill_rate_table(
        user=user, group_by=[], period=period, start=start, end=end, trust_id=trust_id
    )
    return [{"period_start": day, **(table.get((day,)) or {})} for day in periods_between(start, end, period)]


def fill_rate_by(
    *, user, dimension: str, start: dt.date, end: dt.date, trust_id: int | None = None
) -> list[GroupTotal]:
    """Totals over the whole range per trust, ward or role, most requested first. The analytics
    report per period; over a range the fill rate is filled / requested slots summed, and the
    continuity rate is continuous fills / filled slots summed (each period's rate times its fills)."""
    table = analytics.fill_rate_table(
        user=user, group_by=[dimension], period="month", start=start, end=end, trust_id=trust_id
    )
    labels = analytics.group_labels([dimension], list(table)).get(dimension, {})
    if dimension == "role":  # codes to the names people use ("RMN", "HCA / support worker")
        labels = {group: role_label(code) for group, code in labels.items()}
    sums: dict[object, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for (_, group), metrics in table.items():
        total = sums[group]
        total[0] += metrics["slots_requested"]
        total[1] += metrics["slots_filled"]
        total[2] += (metrics["continuity_rate_90"] or 0) * metrics["slots_filled"]
    rows = [
        GroupTotal(
            label=str(labels.get(group, group)),
            slots_requested=int(requested),
            slots_filled=int(filled),
            fill_rate=filled / requested if requested else None,
            continuity_rate_90=round(continuous) / filled if filled else None,
        )
        for group, (requested, filled, continuous) in sums.items()
    ]
    rows.sort(key=lambda row: (-row.slots_requested, row.label))
    return rows[:BY_GROUP_LIMIT]


def time_to_fill_distribution(
    *, user, start: dt.date, end: dt.date, trust_id: int | None = None
) -> list[tuple[str, int]]:
    """How many filled slots took how long, from booking made - shortfall posted."""
    facts = analytics.slot_facts_for(user).filter(
        day__gte=start, day__lte=end, time_to_fill_seconds__isnull=False
    )
    if trust_id is not None:
        facts = facts.filter(trust_id=trust_id)
    aggregates, lower = {}, 0.0
    for index, (_, upper) in enumerate(TIME_TO_FILL_BUCKETS):
        condition = Q(time_to_fill_seconds__gte=lower * 3600)
        if upper is not None:
            condition &= Q(time_to_fill_seconds__lt=upper * 3600)
            lower = upper
        aggregates[f"bucket_{index}"] = Count("id", filter=condition)
    counts = facts.aggregate(**aggregates)
    return [(label, counts[f"bucket_{index}"]) for index, (label, _) in enumerate(TIME_TO_FILL_BUCKETS)]


def cascade_state(*, shortfall: Shortfall) -> dict:
    """A shortfall's offers by wave with their states, and who is booked (flagged when new to the
    ward: no shift there before this one, as the cascade API reports it)."""
    offers = list(cascade_offers(shortfall))
    waves: dict[int, list[Offer]] = defaultdict(list)
    for offer in offers:
        waves[offer.wave].append(offer)
    bookings = active_bookings_with_familiarity(shortfall)
    return {
        "waves": sorted(waves.items()),
        "offers_out": sum(1 for offer in offers if offer.status in Offer.OPEN_STATUSES),
        "bookings": bookings,
    }


@dataclass(frozen=True)
class CandidateRow:
    practitioner: Practitioner
    score: float | None
    reasons: Sequence[str]
    blockers: Sequence[str]
    is_familiar: bool


def candidates(
    *, shortfall: Shortfall, limit: int = 50
) -> tuple[list[CandidateRow], list[CandidateRow], int]:
    """(eligible best first with reasons, ineligible with their named blockers, eligible count)."""
    ranking, _ = rank_shortfall(shortfall=shortfall, include_ineligible=True, limit=limit)
    ids = [int(c.practitioner_id) for c in ranking.candidates] + [
        int(i.practitioner_id) for i in ranking.ineligible
    ]
    people = Practitioner.objects.select_related("user", "role").in_bulk(ids)
    eligible = [
        CandidateRow(
            practitioner=people[int(c.practitioner_id)],
            score=c.score,
            reasons=c.reasons,
            blockers=(),
            is_familiar=c.terms.get("continuity", 0) > 0,
        )
        for c in ranking.candidates
        if int(c.practitioner_id) in people
    ]
    ineligible = [
        CandidateRow(
            practitioner=people[int(i.practitioner_id)],
            score=None,
            reasons=(),
            blockers=[blocker.detail for blocker in i.blockers],
            is_familiar=False,
        )
        for i in ranking.ineligible
        if int(i.practitioner_id) in people
    ]
    return eligible, ineligible, ranking.eligible_count


def credentials_expiring(*, user, today: dt.date, within_days: int) -> QuerySet[Credential]:
    """The agency's credentials expiring from today to today + within_days (already expired ones
    first), and unverified ones, soonest first."""
    return (
        credentials_for(user)
        .filter(expires_on__isnull=False, expires_on__lte=today + dt.timedelta(days=within_days))
        .select_related("practitioner__user", "credential_type", "verified_by")
        .order_by("expires_on", "practitioner_id", "id")
    )


def delivery_log(*, user, status: str = "", channel: str = "") -> QuerySet[Delivery]:
    deliveries = deliveries_for(user).select_related(
        "notification__recipient", "webhook_message__trust", "endpoint"
    )
    if status:
        deliveries = deliveries.filter(status=status)
    if channel:
        deliveries = deliveries.filter(channel=channel)
    return deliveries.order_by("-created_at", "-id")


def bookings_to_rate(*, user) -> QuerySet[Booking]:
    """Completed bookings of the caller's trust, the latest first, with any rating given."""
    return (
        bookings_for(user)
        .filter(status=Booking.Status.COMPLETED)
        .select_related("practitioner__user", "shortfall__ward", "shortfall__role", "trust_feedback")
        .order_by("-starts_at", "-id")
    )


def worked_bookings(*, user, now: dt.datetime) -> QuerySet[Booking]:
    """Bookings of the caller's trust whose shift has started and was not cancelled (under way,
    completed, or recorded as a no-show), the latest first, with any rating given."""
    return (
        bookings_for(user)
        .filter(
            Q(status__in=(Booking.Status.COMPLETED, Booking.Status.NO_SHOW))
            | Q(status=Booking.Status.CONFIRMED, starts_at__lte=now)
        )
        .select_related("practitioner__user", "shortfall__ward", "shortfall__role", "trust_feedback")
        .order_by("-starts_at", "-id")
    )


def listings_for(user) -> QuerySet[PractitionerListing]:
    if not user.is_authenticated or not user.is_trust_staff:
        return PractitionerListing.objects.none()
    return (
        PractitionerListing.objects.filter(trust_id=user.trust_id)
        .select_related("practitioner__user", "ward", "created_by")
        .order_by("kind", "practitioner__user__last_name", "id")
    )


def practitioners_known_to(user) -> QuerySet[Practitioner]:
    """Practitioners who have been booked at the caller's trust: the ones its staff may list."""
    if not user.is_authenticated or not user.is_trust_staff:
        return Practitioner.objects.none()
    return (
        Practitioner.objects.filter(bookings__in=bookings_for(user))
        .distinct()
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "id")
    )
