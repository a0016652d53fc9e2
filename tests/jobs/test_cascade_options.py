"""Cascade settings the operations simulator compares: broadcast (every eligible practitioner at
once, no holds: the incumbent practice) and re-offering familiar holds that lapsed unanswered."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from backend.practitioners.models import PractitionerListing
from jobs.models import Offer, Shortfall
from jobs.services.cascade import CascadePolicy, advance_due_cascades, start_cascade
from jobs.services.offers import accept_offer, expire_offers
from notifications.models import NotificationPreference
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


def test_with_reoffer_lapsed_holds_off_a_hold_that_lapsed_is_never_offered_again(ward):
    hold, after = _lapsed_hold(ward, {"wave1_size": 1, "reoffer_lapsed_holds": 0})

    assert (after.wave, after.status) == (0, "expired")
    assert Offer.objects.filter(shortfall=hold.shortfall, wave=1).count() == 1


def test_by_default_a_lapsed_hold_is_offered_again_in_the_next_wave(ward):
    """The default since the operations simulator (BENCHMARKS.md): without it the cascade lost
    5-7 points of fill against broadcast."""
    assert CascadePolicy().reoffer_lapsed_holds == 1
    hold, after = _lapsed_hold(ward, {"wave1_size": 1})

    assert (after.wave, after.status, after.is_exclusive_hold) == (1, "sent", False)
    assert after.sent_at == hold.expires_at
    assert Offer.objects.filter(shortfall=hold.shortfall, wave=1).count() == 1  # the top 1 is the holder


def test_reoffer_lapsed_holds_offers_the_familiar_practitioner_again_in_the_next_wave(ward):
    hold, after = _lapsed_hold(ward, {"wave1_size": 1, "reoffer_lapsed_holds": 1})

    assert (after.wave, after.status, after.is_exclusive_hold) == (1, "sent", False)
    assert after.sent_at == hold.expires_at
    booking = accept_offer(offer_id=after.id, practitioner=after.practitioner)
    assert booking.practitioner_id == hold.practitioner_id


def _tonight_at(hour: int, minute: int = 0) -> dt.datetime:
    """The next Europe/London wall-clock time hour:minute after now (within 24 h)."""
    local = timezone.localtime(timezone.now())
    at = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if at <= local:
        at = (local + dt.timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return at


def _next_morning(at: dt.datetime, hour: int) -> dt.datetime:
    day = at if at.hour < hour else at + dt.timedelta(days=1)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def _hold_sent_at(ward, settings: dict, at: dt.datetime, in_hours: float = 96):
    familiar, _, _ = _broadcast_cast(ward)
    ward.trust.cascade_settings = {"wave1_size": 1, **settings}
    ward.trust.save()
    shortfall = shift(ward, in_hours=in_hours)
    start_cascade(shortfall=shortfall, now=at)
    advance_due_cascades(now=at)
    return familiar, shortfall


def test_holds_wait_out_quiet_hours_a_hold_sent_at_night_runs_from_the_morning(ward):
    night = _tonight_at(23, 30)  # default quiet hours 22:00-07:00, Europe/London
    familiar, shortfall = _hold_sent_at(ward, {"holds_wait_out_quiet_hours": 1}, night)

    hold = Offer.objects.get(shortfall=shortfall, practitioner=familiar)
    morning = _next_morning(night, 7)
    assert (hold.wave, hold.is_exclusive_hold) == (0, True)
    assert hold.expires_at == morning + dt.timedelta(minutes=30)
    shortfall.refresh_from_db()
    assert shortfall.next_wave_at == hold.expires_at
    # Half an hour after sending, the usual hold would have lapsed; this one has not.
    expire_offers(now=night + dt.timedelta(minutes=31))
    advance_due_cascades(now=night + dt.timedelta(minutes=31))
    assert list(Offer.objects.filter(shortfall=shortfall).values_list("wave", "status")) == [(0, "sent")]
    accept_offer(offer_id=hold.id, practitioner=familiar)
    assert Shortfall.objects.get(id=shortfall.id).status == "filled"


def test_holds_wait_out_quiet_hours_uses_the_recipients_own_quiet_hours(ward):
    evening = _tonight_at(20, 30)  # outside the default quiet hours, inside these
    familiar, _, _ = _broadcast_cast(ward)
    NotificationPreference.objects.create(
        user=familiar.user, quiet_hours_start=dt.time(20, 0), quiet_hours_end=dt.time(6, 30)
    )
    ward.trust.cascade_settings = {"wave1_size": 1, "holds_wait_out_quiet_hours": 1}
    ward.trust.save()
    shortfall = shift(ward, in_hours=96)
    start_cascade(shortfall=shortfall, now=evening)
    advance_due_cascades(now=evening)

    hold = Offer.objects.get(shortfall=shortfall, practitioner=familiar)
    morning = _next_morning(evening, 6).replace(minute=30)
    assert hold.expires_at == morning + dt.timedelta(minutes=30)


def test_a_night_hold_is_not_stretched_by_default_outside_quiet_hours_or_close_to_the_shift(ward):
    night = _tonight_at(23, 30)
    assert CascadePolicy().holds_wait_out_quiet_hours == 0
    familiar, shortfall = _hold_sent_at(ward, {}, night)
    assert Offer.objects.get(shortfall=shortfall, practitioner=familiar).expires_at == night + dt.timedelta(
        minutes=30
    )


def test_holds_wait_out_quiet_hours_leaves_daytime_holds_alone(ward):
    noon = _tonight_at(12, 0)
    familiar, shortfall = _hold_sent_at(ward, {"holds_wait_out_quiet_hours": 1}, noon)
    assert Offer.objects.get(shortfall=shortfall, practitioner=familiar).expires_at == noon + dt.timedelta(
        minutes=30
    )


def test_holds_wait_out_quiet_hours_leaves_a_shift_too_close_for_the_morning_alone(ward):
    # A shift starting at 12:00 tomorrow: a hold till 07:15 would leave under 6 h for the open waves.
    night = _tonight_at(23, 30)
    in_hours = (_next_morning(night, 12) - timezone.now()).total_seconds() / 3600
    familiar, shortfall = _hold_sent_at(ward, {"holds_wait_out_quiet_hours": 1}, night, in_hours=in_hours)
    hold = Offer.objects.get(shortfall=shortfall, practitioner=familiar)
    assert hold.expires_at == night + dt.timedelta(minutes=15)  # hold capped at the 15 min wave gap
