"""Many practitioners accepting the same shift at once, each on its own database connection."""

from __future__ import annotations

import pytest

from backend.core.errors import OutsideRestRules, OverlappingBooking, ShortfallFilled
from jobs.models import Booking, Offer
from jobs.services.offers import accept_offer
from tests import factories as f
from tests.concurrency import race
from tests.jobs.conftest import qualified, shift
from tests.jobs.invariants import HEALTHY, violations

ROUNDS = 20
CLIENTS = 50


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("headcount", [1, 3])
def test_fifty_concurrent_accepts_book_exactly_headcount_every_round(ward, headcount):
    nurses = [qualified(ward.trust.agency) for _ in range(CLIENTS)]
    outcomes = []
    for round_number in range(ROUNDS):
        shortfall = shift(ward, in_hours=48 + 24 * round_number, hours=8, headcount=headcount)
        offers = [f.OfferFactory(shortfall=shortfall, practitioner=nurse) for nurse in nurses]

        results = race([lambda o=o: accept_offer(offer_id=o.id, practitioner=o.practitioner) for o in offers])

        booked = sum(isinstance(r, Booking) for r in results)
        refused = sum(isinstance(r, ShortfallFilled) for r in results)
        outcomes.append((booked, refused, Booking.objects.filter(shortfall=shortfall).count()))

    assert outcomes == [(headcount, CLIENTS - headcount, headcount)] * ROUNDS
    assert violations() == HEALTHY
    assert Offer.objects.filter(status="accepted").count() == headcount * ROUNDS


@pytest.mark.django_db(transaction=True)
def test_one_practitioner_accepting_two_overlapping_shifts_at_once_gets_one(ward):
    nurse = qualified(ward.trust.agency)
    other_ward = f.WardFactory(site=ward.site, name="Cedar Ward")
    outcomes = []
    for round_number in range(ROUNDS):
        base = 48 + 72 * round_number  # three days apart: within the weekly hours cap
        offers = [
            f.OfferFactory(shortfall=shift(ward, in_hours=base), practitioner=nurse),
            f.OfferFactory(shortfall=shift(other_ward, in_hours=base + 2), practitioner=nurse),
        ]

        results = race([lambda o=o: accept_offer(offer_id=o.id, practitioner=nurse) for o in offers])

        outcomes.append(
            (
                sum(isinstance(r, Booking) for r in results),
                sum(isinstance(r, OverlappingBooking | OutsideRestRules) for r in results),
            )
        )

    assert outcomes == [(1, 1)] * ROUNDS
    assert violations() == HEALTHY
