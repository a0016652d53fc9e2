"""A hand-computed week: Monday 20 to Sunday 26 October 2025, the week the clocks go back
(02:00 BST on Sunday 26th becomes 01:00 GMT). The expected numbers are worked out in
test_metrics_scenario.py next to each assertion."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from backend.practitioners.models import Practitioner
from jobs.models import Booking, Offer, Shortfall
from tests import factories as f

LONDON = ZoneInfo("Europe/London")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=LONDON)


def day_shift(year: int, month: int, day: int) -> dict:
    return {"starts_at": at(year, month, day, 7, 30), "ends_at": at(year, month, day, 20, 0)}


def book(
    shortfall: Shortfall, practitioner: Practitioner, *, made: dt.datetime, status: str, **extra
) -> Booking:
    booking = f.BookingFactory(shortfall=shortfall, practitioner=practitioner, status=status, **extra)
    Booking.objects.filter(id=booking.id).update(created_at=made)  # auto_now_add
    return booking


@dataclass
class Scenario:
    trust_a: object
    trust_b: object
    ward_a: object
    ward_b: object
    agency_user: object
    trust_a_user: object
    trust_b_user: object
    shortfalls: dict


def build_scenario() -> Scenario:
    agency_user = f.AgencyUserFactory()
    trust_a = f.TrustFactory(agency=agency_user.agency, name="Trust A", ods_code="RAA")
    trust_b = f.TrustFactory(agency=agency_user.agency, name="Trust B", ods_code="RBB")
    ward_a = f.WardFactory(site=f.SiteFactory(trust=trust_a), name="Willow Ward")
    ward_b = f.WardFactory(site=f.SiteFactory(trust=trust_b), name="Juniper Ward")
    p1, p2, p3, p4, p5 = (f.PractitionerFactory(agency=agency_user.agency) for _ in range(5))
    s = {}

    def shortfall(name: str, ward=ward_a, **fields) -> Shortfall:
        s[name] = f.ShortfallFactory(ward=ward, **fields)
        return s[name]

    # History: P1 and P2 worked Willow Ward on 22 July 2025 (90 days before 20 Oct, 91 before 21 Oct).
    h1 = shortfall("H1", headcount=2, posted_at=at(2025, 7, 15, 9), **day_shift(2025, 7, 22))
    book(h1, p1, made=at(2025, 7, 15, 10), status="completed")
    book(h1, p2, made=at(2025, 7, 15, 11), status="completed")
    # P3's only history there is imported: January 2025 (within 365 days, not 90).
    f.WardExperienceFactory(
        practitioner=p3, ward=ward_a, first_worked_at=at(2025, 1, 10, 8), last_worked_at=at(2025, 1, 10, 8)
    )

    # S1 Mon: filled by P1 2 h after posting; P1 worked here exactly 90 days before.
    s1 = shortfall("S1", posted_at=at(2025, 10, 13, 9), **day_shift(2025, 10, 20))
    accepted = f.OfferFactory(shortfall=s1, practitioner=p1, status=Offer.Status.ACCEPTED)
    book(s1, p1, made=at(2025, 10, 13, 11), status="completed", offer=accepted)
    f.OfferFactory(shortfall=s1, practitioner=p2, status=Offer.Status.DECLINED)
    f.OfferFactory(shortfall=s1, practitioner=p3, status=Offer.Status.EXPIRED)
    f.OfferFactory(
        shortfall=s1, practitioner=p4, status=Offer.Status.WITHDRAWN, sent_at=at(2025, 10, 13, 9, 5)
    )
    f.OfferFactory(shortfall=s1, practitioner=p5, status=Offer.Status.QUEUED)

    # S2 Tue: 3 wanted, 2 filled (P2 after 4 h, P3 after 24 h); P4 booked then cancelled 2 h before.
    s2 = shortfall("S2", headcount=3, posted_at=at(2025, 10, 14, 9), **day_shift(2025, 10, 21))
    book(s2, p2, made=at(2025, 10, 14, 13), status="completed")
    book(s2, p3, made=at(2025, 10, 15, 9), status="completed")
    book(
        s2,
        p4,
        made=at(2025, 10, 14, 10),
        status="cancelled_by_practitioner",
        cancelled_at=at(2025, 10, 21, 5, 30),
    )

    # S3 Wed: cancelled exactly 24 h before start: at the cutoff, so never requested.
    shortfall(
        "S3",
        headcount=2,
        posted_at=at(2025, 10, 15, 9),
        status="cancelled",
        cancelled_at=at(2025, 10, 21, 7, 30),
        **day_shift(2025, 10, 22),
    )
    # S4 Thu: cancelled 6 h before start with nobody booked: requested and unfilled.
    shortfall(
        "S4",
        posted_at=at(2025, 10, 16, 9),
        status="cancelled",
        cancelled_at=at(2025, 10, 23, 1, 30),
        **day_shift(2025, 10, 23),
    )
    # S5 Fri: P5 booked after 72 h, then the trust cancelled the shift 6 h before start.
    s5 = shortfall(
        "S5",
        posted_at=at(2025, 10, 17, 9),
        status="cancelled",
        cancelled_at=at(2025, 10, 24, 1, 30),
        **day_shift(2025, 10, 24),
    )
    book(s5, p5, made=at(2025, 10, 20, 9), status="cancelled_by_trust", cancelled_at=at(2025, 10, 24, 1, 30))

    # S6 Sat night 20:00 BST -> Sun 08:00 GMT: 13 h worked, counted on Saturday. P1 no-show.
    s6 = shortfall(
        "S6",
        posted_at=at(2025, 10, 24, 20),
        starts_at=at(2025, 10, 25, 20),
        ends_at=at(2025, 10, 26, 8),
        shift_type="night",
    )
    book(s6, p1, made=at(2025, 10, 25, 8), status="no_show")

    # S7 Sun night 20:00 GMT -> Mon 08:00: 12 h, nobody found.
    shortfall(
        "S7",
        posted_at=at(2025, 10, 26, 10),
        starts_at=at(2025, 10, 26, 20),
        ends_at=at(2025, 10, 27, 8),
        shift_type="night",
    )
    # S8 the Monday after: P3, who worked S2 the week before.
    s8 = shortfall("S8", posted_at=at(2025, 10, 25, 12), **day_shift(2025, 10, 27))
    book(s8, p3, made=at(2025, 10, 26, 12), status="confirmed")

    # Trust B, same week: one slot filled by P1.
    s9 = shortfall("S9", ward=ward_b, posted_at=at(2025, 10, 14, 9), **day_shift(2025, 10, 21))
    book(s9, p1, made=at(2025, 10, 14, 9, 30), status="completed")

    return Scenario(
        trust_a=trust_a,
        trust_b=trust_b,
        ward_a=ward_a,
        ward_b=ward_b,
        agency_user=agency_user,
        trust_a_user=f.TrustUserFactory(trust=trust_a),
        trust_b_user=f.TrustUserFactory(trust=trust_b),
        shortfalls=s,
    )
