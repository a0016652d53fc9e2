"""Booking invariants in PostgreSQL: the exclusion constraint, the headcount under concurrency and
the working-time rules in the booking service."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from backend.core.errors import OutsideRestRules, OverlappingBooking, ShortfallFilled, WeeklyHoursExceeded
from jobs.models import Booking, Shortfall
from jobs.services.bookings import book_practitioner
from tests import factories as f
from tests.concurrency import race

T0 = dt.datetime(2027, 3, 1, 7, 30, tzinfo=dt.UTC)


def _shortfall(ward, start: dt.datetime, hours: float = 12.5, headcount: int = 1) -> Shortfall:
    return f.ShortfallFactory(
        ward=ward, starts_at=start, ends_at=start + dt.timedelta(hours=hours), headcount=headcount
    )


@pytest.mark.django_db
def test_database_refuses_two_overlapping_active_bookings_for_one_practitioner():
    practitioner = f.PractitionerFactory()
    ward = f.WardFactory()
    first = _shortfall(ward, T0)
    overlapping = _shortfall(ward, T0 + dt.timedelta(hours=6))
    f.BookingFactory(shortfall=first, practitioner=practitioner)

    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        f.BookingFactory(shortfall=overlapping, practitioner=practitioner)

    assert "booking_no_overlap_per_practitioner" in str(caught.value)
    assert Booking.objects.filter(practitioner=practitioner).count() == 1


@pytest.mark.django_db
def test_cancelled_booking_does_not_block_an_overlapping_one():
    practitioner = f.PractitionerFactory()
    ward = f.WardFactory()
    f.BookingFactory(
        shortfall=_shortfall(ward, T0),
        practitioner=practitioner,
        status=Booking.Status.CANCELLED_BY_PRACTITIONER,
    )

    f.BookingFactory(shortfall=_shortfall(ward, T0 + dt.timedelta(hours=2)), practitioner=practitioner)

    assert Booking.objects.filter(practitioner=practitioner).count() == 2


@pytest.mark.django_db
def test_back_to_back_bookings_touching_at_the_boundary_are_not_an_overlap():
    practitioner = f.PractitionerFactory()
    ward = f.WardFactory()
    f.BookingFactory(shortfall=_shortfall(ward, T0, hours=8), practitioner=practitioner)

    f.BookingFactory(
        shortfall=_shortfall(ward, T0 + dt.timedelta(hours=8), hours=4), practitioner=practitioner
    )

    assert Booking.objects.filter(practitioner=practitioner).count() == 2


@pytest.mark.django_db
def test_booking_service_allows_exactly_eleven_hours_rest():
    practitioner = f.PractitionerFactory()
    ward = f.WardFactory()
    first = _shortfall(ward, T0, hours=12.5)
    book_practitioner(shortfall_id=first.id, practitioner_id=practitioner.id)
    next_day = _shortfall(ward, first.ends_at + dt.timedelta(hours=11))

    booking = book_practitioner(shortfall_id=next_day.id, practitioner_id=practitioner.id)

    assert booking.starts_at - first.ends_at == dt.timedelta(hours=11)


@pytest.mark.django_db
def test_booking_service_refuses_ten_hours_fifty_nine_minutes_rest():
    practitioner = f.PractitionerFactory()
    ward = f.WardFactory()
    first = _shortfall(ward, T0)
    book_practitioner(shortfall_id=first.id, practitioner_id=practitioner.id)
    too_soon = _shortfall(ward, first.ends_at + dt.timedelta(hours=10, minutes=59))

    with pytest.raises(OutsideRestRules) as caught:
        book_practitioner(shortfall_id=too_soon.id, practitioner_id=practitioner.id)

    assert caught.value.extra["rest_minutes"] == 659
    assert not Booking.objects.filter(shortfall=too_soon).exists()
    assert Shortfall.objects.get(id=too_soon.id).status == Shortfall.Status.OPEN


@pytest.mark.django_db
def test_booking_service_refuses_overlap_before_the_database_has_to():
    practitioner = f.PractitionerFactory()
    ward = f.WardFactory()
    book_practitioner(shortfall_id=_shortfall(ward, T0).id, practitioner_id=practitioner.id)
    clash = _shortfall(ward, T0 + dt.timedelta(hours=1))

    with pytest.raises(OverlappingBooking):
        book_practitioner(shortfall_id=clash.id, practitioner_id=practitioner.id)

    assert Booking.objects.filter(practitioner=practitioner).count() == 1


@pytest.mark.django_db
def test_booking_service_enforces_the_rolling_48_hour_cap():
    practitioner = f.PractitionerFactory()
    ward = f.WardFactory()
    # Three 12 h shifts with 24 h between starts = 36 h; a fourth 12 h = 48 h is allowed, a fifth is not.
    for day in range(4):
        shift = _shortfall(ward, T0 + dt.timedelta(days=day), hours=12)
        book_practitioner(shortfall_id=shift.id, practitioner_id=practitioner.id)
    fifth = _shortfall(ward, T0 + dt.timedelta(days=4), hours=12)

    with pytest.raises(WeeklyHoursExceeded) as caught:
        book_practitioner(shortfall_id=fifth.id, practitioner_id=practitioner.id)

    assert caught.value.extra == {"hours": 60.0, "cap": 48}
    assert Booking.objects.filter(practitioner=practitioner).count() == 4


@pytest.mark.django_db
def test_opted_out_practitioner_may_work_up_to_the_opt_out_maximum():
    practitioner = f.PractitionerFactory(opted_out_of_weekly_cap=True)
    ward = f.WardFactory()

    for day in range(5):
        shift = _shortfall(ward, T0 + dt.timedelta(days=day), hours=12)
        book_practitioner(shortfall_id=shift.id, practitioner_id=practitioner.id)

    assert Booking.objects.filter(practitioner=practitioner).count() == 5


@pytest.mark.django_db
def test_last_slot_sets_status_filled_and_a_further_booking_gets_shortfall_filled():
    ward = f.WardFactory()
    shortfall = _shortfall(ward, T0, headcount=2)
    first, second, third = f.PractitionerFactory(), f.PractitionerFactory(), f.PractitionerFactory()

    book_practitioner(shortfall_id=shortfall.id, practitioner_id=first.id)
    assert Shortfall.objects.get(id=shortfall.id).status == Shortfall.Status.PARTIALLY_FILLED
    book_practitioner(shortfall_id=shortfall.id, practitioner_id=second.id)

    with pytest.raises(ShortfallFilled):
        book_practitioner(shortfall_id=shortfall.id, practitioner_id=third.id)

    shortfall.refresh_from_db()
    assert shortfall.status == Shortfall.Status.FILLED
    assert shortfall.bookings.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_never_exceed_headcount():
    ward = f.WardFactory()
    shortfall = _shortfall(ward, T0, headcount=3)
    practitioners = [f.PractitionerFactory() for _ in range(10)]

    results = race(
        [
            lambda p=p: book_practitioner(shortfall_id=shortfall.id, practitioner_id=p.id)
            for p in practitioners
        ]
    )

    booked = [r for r in results if isinstance(r, Booking)]
    refused = [r for r in results if isinstance(r, ShortfallFilled)]
    assert (len(booked), len(refused)) == (3, 7)
    assert Booking.objects.filter(shortfall=shortfall, status="confirmed").count() == 3
    assert Shortfall.objects.get(id=shortfall.id).status == Shortfall.Status.FILLED


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_practitioner_on_clashing_shifts_book_exactly_one():
    ward_one, ward_two = f.WardFactory(), f.WardFactory()
    practitioner = f.PractitionerFactory()
    shifts = [_shortfall(ward_one, T0), _shortfall(ward_two, T0 + dt.timedelta(hours=3))]
    shifts += [_shortfall(ward_two, T0 + dt.timedelta(hours=14))]  # no overlap, but only 1.5 h rest

    results = race(
        [lambda s=s: book_practitioner(shortfall_id=s.id, practitioner_id=practitioner.id) for s in shifts]
    )

    assert sum(isinstance(r, Booking) for r in results) == 1
    assert all(isinstance(r, Booking | OverlappingBooking | OutsideRestRules) for r in results)
    assert Booking.objects.filter(practitioner=practitioner).count() == 1
