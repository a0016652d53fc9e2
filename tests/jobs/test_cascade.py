"""The familiar-first cascade on a controlled clock (the sweeps are called with `now`)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.core.models import OutboxMessage
from backend.practitioners.models import PractitionerListing
from jobs.models import Offer, Shortfall
from jobs.services.cascade import advance_due_cascades, start_cascade
from jobs.services.offers import accept_offer, decline_offer, expire_offers
from tests import factories as f
from tests.jobs.conftest import qualified, shift

MIN = dt.timedelta(minutes=1)


def _offers(shortfall) -> dict[int, tuple[int, bool, str]]:
    return {
        o.practitioner_id: (o.wave, o.is_exclusive_hold, o.status)
        for o in Offer.objects.filter(shortfall=shortfall)
    }


@pytest.fixture
def cast(ward):
    """A four-days-ahead shift for two, one practitioner who knows the ward, one on the preferred
    list, three strangers; wave 1 is the top two."""
    ward.trust.cascade_settings = {"wave1_size": 2}
    ward.trust.save()
    agency = ward.trust.agency
    familiar = qualified(agency)
    f.WardExperienceFactory(practitioner=familiar, ward=ward, shifts_worked=6)
    preferred = qualified(agency)
    PractitionerListing.objects.create(trust=ward.trust, practitioner=preferred, kind="preferred")
    strangers = [qualified(agency) for _ in range(3)]
    shortfall = shift(ward, in_hours=96, headcount=2)
    return {"shortfall": shortfall, "familiar": familiar, "preferred": preferred, "strangers": strangers}


def test_waves_go_familiar_first_then_top_k_then_everyone(cast):
    shortfall, t0 = cast["shortfall"], timezone.now()
    start_cascade(shortfall=shortfall, now=t0)

    advance_due_cascades(now=t0)
    after_wave_0 = _offers(shortfall)
    nothing_yet = advance_due_cascades(now=t0 + 10 * MIN)
    advance_due_cascades(now=t0 + 30 * MIN)
    after_wave_1 = _offers(shortfall)
    shortfall.refresh_from_db()
    wave_2_due = shortfall.next_wave_at
    advance_due_cascades(now=wave_2_due)
    after_wave_2 = _offers(shortfall)

    assert after_wave_0 == {
        cast["familiar"].id: (0, True, "sent"),
        cast["preferred"].id: (0, True, "sent"),
    }
    assert nothing_yet == 0
    wave_1 = {pid for pid, (wave, _, _) in after_wave_1.items() if wave == 1}
    assert len(wave_1) == 2 and wave_1 < {s.id for s in cast["strangers"]}
    assert wave_2_due == t0 + 30 * MIN + 180 * MIN  # > 72 h lead: three hours between open waves
    assert {pid for pid, (wave, _, _) in after_wave_2.items() if wave == 2} == (
        {s.id for s in cast["strangers"]} - wave_1
    )
    assert Shortfall.objects.get(id=shortfall.id).wave == 2


def test_exclusive_hold_lasts_thirty_minutes_and_nobody_else_is_asked_during_it(cast):
    shortfall, t0 = cast["shortfall"], timezone.now()
    start_cascade(shortfall=shortfall, now=t0)
    advance_due_cascades(now=t0)

    hold = Offer.objects.get(shortfall=shortfall, practitioner=cast["familiar"])
    advance_due_cascades(now=t0 + 29 * MIN)

    assert hold.expires_at == t0 + 30 * MIN
    assert set(_offers(shortfall)) == {cast["familiar"].id, cast["preferred"].id}


def test_when_every_hold_is_declined_the_next_wave_goes_at_once(cast):
    shortfall, t0 = cast["shortfall"], timezone.now()
    start_cascade(shortfall=shortfall, now=t0)
    advance_due_cascades(now=t0)

    for who in ("familiar", "preferred"):
        decline_offer(
            offer_id=Offer.objects.get(practitioner=cast[who]).id, practitioner=cast[who], reason="busy"
        )

    shortfall.refresh_from_db()
    assert shortfall.next_wave_at <= timezone.now()


def test_expiry_sweep_expires_lapsed_holds(cast):
    shortfall, t0 = cast["shortfall"], timezone.now()
    start_cascade(shortfall=shortfall, now=t0)
    advance_due_cascades(now=t0)

    expired = expire_offers(now=t0 + 31 * MIN)

    assert expired == 2
    assert {status for _, _, status in _offers(shortfall).values()} == {"expired"}


def test_fill_during_a_wave_withdraws_the_rest_and_stops_the_cascade(cast):
    shortfall, t0 = cast["shortfall"], timezone.now()
    start_cascade(shortfall=shortfall, now=t0)
    advance_due_cascades(now=t0)

    advance_due_cascades(now=t0 + 30 * MIN)  # wave 1 out to two strangers
    for who in ("familiar", "preferred"):
        accept_offer(offer_id=Offer.objects.get(practitioner=cast[who]).id, practitioner=cast[who])

    shortfall.refresh_from_db()
    assert (shortfall.status, shortfall.next_wave_at) == ("filled", None)
    statuses = sorted(status for _, _, status in _offers(shortfall).values())
    assert statuses == ["accepted", "accepted", "withdrawn", "withdrawn"]
    assert advance_due_cascades(now=t0 + 4 * 60 * MIN) == 0


def test_holds_never_outnumber_open_slots_and_go_to_the_strongest_continuity(ward):
    agency = ward.trust.agency
    regulars = [qualified(agency) for _ in range(3)]
    for shifts, nurse in zip((2, 12, 5), regulars, strict=True):
        f.WardExperienceFactory(practitioner=nurse, ward=ward, shifts_worked=shifts)
    shortfall = shift(ward, in_hours=100)
    t0 = timezone.now()
    start_cascade(shortfall=shortfall, now=t0)

    advance_due_cascades(now=t0)

    assert _offers(shortfall) == {regulars[1].id: (0, True, "sent")}


def test_one_practitioner_never_holds_two_clashing_exclusive_holds(ward):
    agency = ward.trust.agency
    other_ward = f.WardFactory(site=ward.site, name="Cedar Ward")
    nurse = qualified(agency)
    f.WardExperienceFactory(practitioner=nurse, ward=ward, shifts_worked=3)
    f.WardExperienceFactory(practitioner=nurse, ward=other_ward, shifts_worked=9)
    day = shift(ward, in_hours=100)
    clash = shift(other_ward, in_hours=102)  # overlaps `day`
    t0 = timezone.now()
    start_cascade(shortfall=day, now=t0)
    start_cascade(shortfall=clash, now=t0)

    advance_due_cascades(now=t0)

    holds = Offer.objects.filter(practitioner=nurse, is_exclusive_hold=True)
    assert holds.count() == 1
    assert holds.get().shortfall_id == clash.id  # the stronger continuity wins the hold


def test_a_shift_within_six_hours_goes_to_everyone_at_once_with_a_safe_staffing_alert(cast):
    urgent = shift(cast["shortfall"].ward, in_hours=4)
    t0 = timezone.now()
    start_cascade(shortfall=urgent, now=t0)

    advance_due_cascades(now=t0)

    offers = _offers(urgent)
    assert len(offers) == 5
    assert not any(hold for _, hold, _ in offers.values())
    urgent.refresh_from_db()
    assert (urgent.wave, urgent.next_wave_at, urgent.escalated_at) == (2, None, t0)
    assert (
        OutboxMessage.objects.filter(task="jobs.notify_safe_staffing", kwargs__shortfall_id=urgent.id).count()
        == 1
    )


def test_each_offer_sent_is_one_outbox_message_for_its_recipient(cast):
    shortfall, t0 = cast["shortfall"], timezone.now()
    start_cascade(shortfall=shortfall, now=t0)

    advance_due_cascades(now=t0)

    messages = OutboxMessage.objects.filter(task="jobs.notify_offer")
    offer_ids = sorted(Offer.objects.filter(shortfall=shortfall).values_list("id", flat=True))
    assert sorted(m.kwargs["offer_id"] for m in messages) == offer_ids


def test_with_nobody_familiar_the_first_open_wave_is_due_at_once(ward):
    strangers = [qualified(ward.trust.agency) for _ in range(2)]
    shortfall = shift(ward, in_hours=96)
    t0 = timezone.now()
    start_cascade(shortfall=shortfall, now=t0)

    advance_due_cascades(now=t0)
    shortfall.refresh_from_db()
    assert (shortfall.wave, shortfall.next_wave_at) == (0, t0)

    advance_due_cascades(now=t0)
    assert {p.id for p in strangers} == set(_offers(shortfall))
    assert {wave for wave, _, _ in _offers(shortfall).values()} == {1}
