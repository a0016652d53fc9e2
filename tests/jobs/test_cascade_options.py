"""Cascade settings the operations simulator compares: broadcast (every eligible practitioner at
once, no holds: the incumbent practice) and re-offering familiar holds that lapsed unanswered."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from backend.practitioners.models import PractitionerListing
from jobs.models import Offer, Shortfall
from jobs.services.cascade import CascadePolicy, advance_due_cascades, start_cascade
from jobs.services.offers import accept_offer, expire_offers
from tests import factories as f
from tests.jobs.conftest import qualified, shift


def _broadcast_cast(ward):
    ward.trust.cascade_settings = {"broadcast": 1, "wave1_size": 1}
    ward.trust.save()
    agency = ward.trust.agency
    familiar = qualified(agency)
    f.WardExperienceFactory(practitioner=familiar, ward=ward, shifts_worked=6)
    preferred = qualified(agency)
    PractitionerListing.objects.create(trust=ward.trust, practitioner=preferred, kind="preferred")
    strangers = [qualified(agency) for _ in range(3)]
    return familiar, preferred, strangers


def test_broadcast_offers_every_eligible_practitioner_at_once_without_holds(ward):
    familiar, preferred, strangers = _broadcast_cast(ward)
    shortfall = shift(ward, in_hours=96)
    t0 = timezone.now()
    start_cascade(shortfall=shortfall, now=t0)

    advance_due_cascades(now=t0)

    offers = {o.practitioner_id: (o.wave, o.is_exclusive_hold, o.status) for o in Offer.objects.all()}
    everyone = {familiar.id, preferred.id, *(s.id for s in strangers)}
    assert offers == {pid: (2, False, "sent") for pid in everyone}
    shortfall.refresh_from_db()
    assert (shortfall.wave, shortfall.next_wave_at, shortfall.escalated_at) == (2, None, None)


def test_broadcast_is_first_come_first_served_and_the_rest_are_withdrawn(ward):
    familiar, preferred, strangers = _broadcast_cast(ward)
    shortfall = shift(ward, in_hours=96)
    t0 = timezone.now()
    start_cascade(shortfall=shortfall, now=t0)
    advance_due_cascades(now=t0)

    first = Offer.objects.get(practitioner=strangers[0])
    booking = accept_offer(offer_id=first.id, practitioner=strangers[0])

    assert booking.practitioner_id == strangers[0].id
    assert Shortfall.objects.get(id=shortfall.id).status == "filled"
    assert sorted(Offer.objects.values_list("status", flat=True)) == ["accepted"] + ["withdrawn"] * 4


def test_broadcast_defaults_to_off_and_reads_from_the_trust_settings(ward):
    assert CascadePolicy().broadcast == 0
    ward.trust.cascade_settings = {"broadcast": "1"}
    assert CascadePolicy.for_trust(ward.trust).broadcast == 1


def test_without_broadcast_the_same_cast_gets_familiar_holds_first(ward):
    familiar, preferred, _ = _broadcast_cast(ward)
    ward.trust.cascade_settings = {"wave1_size": 1}
    ward.trust.save()
    shortfall = shift(ward, in_hours=96, headcount=2)  # one hold per open slot
    t0 = timezone.now()
    start_cascade(shortfall=shortfall, now=t0)

    advance_due_cascades(now=t0 + dt.timedelta(seconds=1))

    offers = {o.practitioner_id: (o.wave, o.is_exclusive_hold) for o in Offer.objects.all()}
    assert offers == {familiar.id: (0, True), preferred.id: (0, True)}


def test_a_slot_reopened_after_the_last_wave_is_offered_to_everyone_again(ward):
    """Found by the operations simulator: the sweep used to try wave 3, which the offer_wave_known
    check constraint refuses, and the whole sweep (every due shortfall) rolled back."""
    _, _, strangers = _broadcast_cast(ward)
    ward.trust.cascade_settings = {"wave1_size": 1}
    ward.trust.save()
    shortfall = shift(ward, in_hours=30)
    Shortfall.objects.filter(id=shortfall.id).update(wave=2, next_wave_at=None)
    Offer.objects.create(
        shortfall=shortfall,
        practitioner=strangers[0],
        wave=2,
        score=0.5,
        status="withdrawn",
        expires_at=timezone.now() + dt.timedelta(hours=2),
    )
    Shortfall.objects.filter(id=shortfall.id).update(next_wave_at=timezone.now())  # as cancel_booking does

    advance_due_cascades(now=timezone.now())

    revived = Offer.objects.get(shortfall=shortfall, practitioner=strangers[0])
    shortfall.refresh_from_db()
    assert (revived.wave, revived.status) == (2, "sent")
    assert Offer.objects.filter(shortfall=shortfall).count() == 5
    assert (shortfall.wave, shortfall.next_wave_at) == (2, None)


def _lapsed_hold(ward, settings: dict):
    familiar, _, strangers = _broadcast_cast(ward)
    ward.trust.cascade_settings = settings
    ward.trust.save()
    shortfall = shift(ward, in_hours=96)
    t0 = timezone.now()
    start_cascade(shortfall=shortfall, now=t0)
    advance_due_cascades(now=t0)
    hold = Offer.objects.get(shortfall=shortfall, wave=0)
    expire_offers(now=hold.expires_at)
    advance_due_cascades(now=hold.expires_at)  # wave 1: the top K (here 1)
    return hold, Offer.objects.get(id=hold.id)


def test_by_default_a_hold_that_lapsed_is_never_offered_again(ward):
    hold, after = _lapsed_hold(ward, {"wave1_size": 1})

    assert (after.wave, after.status) == (0, "expired")
    assert Offer.objects.filter(shortfall=hold.shortfall, wave=1).count() == 1


def test_reoffer_lapsed_holds_offers_the_familiar_practitioner_again_in_the_next_wave(ward):
    hold, after = _lapsed_hold(ward, {"wave1_size": 1, "reoffer_lapsed_holds": 1})

    assert (after.wave, after.status, after.is_exclusive_hold) == (1, "sent", False)
    assert after.sent_at == hold.expires_at
    booking = accept_offer(offer_id=after.id, practitioner=after.practitioner)
    assert booking.practitioner_id == hold.practitioner_id
