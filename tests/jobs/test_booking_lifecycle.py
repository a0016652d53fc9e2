"""Cancellations, completion into the continuity ledger, reminders and feedback."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.core.models import OutboxMessage
from backend.practitioners.models import PractitionerListing, WardExperience
from jobs.models import Booking, Shortfall
from jobs.services.booking_lifecycle import complete_finished_bookings, send_shift_reminders
from jobs.services.bookings import book_practitioner
from tests import factories as f
from tests.jobs.conftest import qualified, shift


def _booked(ward, *, in_hours: float, practitioner=None, headcount: int = 1) -> Booking:
    shortfall = shift(ward, in_hours=in_hours, headcount=headcount)
    practitioner = practitioner or qualified(ward.trust.agency)
    return book_practitioner(shortfall_id=shortfall.id, practitioner_id=practitioner.id)


@pytest.mark.parametrize(("in_hours", "is_late"), [(11.9, True), (12.1, False)])
def test_practitioner_cancelling_under_twelve_hours_is_a_late_cancellation(
    ward, client_for, in_hours, is_late
):
    booking = _booked(ward, in_hours=in_hours)

    response = client_for(booking.practitioner.user).post(
        f"/api/v1/bookings/{booking.id}/cancel/", {"reason": "Unwell"}, format="json"
    )

    assert response.status_code == 200
    booking.refresh_from_db()
    assert (booking.status, booking.is_late_cancellation, booking.compensation_due) == (
        "cancelled_by_practitioner",
        is_late,
        False,
    )


@pytest.mark.parametrize(("in_hours", "compensated"), [(3.9, True), (4.1, False)])
def test_trust_cancelling_under_four_hours_is_flagged_for_compensation(
    ward, client_for, in_hours, compensated
):
    booking = _booked(ward, in_hours=in_hours)
    trust_user = f.TrustUserFactory(trust=ward.trust)

    client_for(trust_user).post(
        f"/api/v1/bookings/{booking.id}/cancel/", {"reason": "Beds closed"}, format="json"
    )

    booking.refresh_from_db()
    assert (booking.status, booking.compensation_due) == ("cancelled_by_trust", compensated)
    assert (
        OutboxMessage.objects.filter(task="jobs.notify_booking", kwargs__event="booking_cancelled").count()
        == 1
    )


def test_cancellation_reopens_the_slot_and_resumes_the_cascade(ward, client_for):
    booking = _booked(ward, in_hours=48)
    assert Shortfall.objects.get(id=booking.shortfall_id).status == "filled"

    client_for(booking.practitioner.user).post(
        f"/api/v1/bookings/{booking.id}/cancel/", {"reason": "x"}, format="json"
    )

    shortfall = Shortfall.objects.get(id=booking.shortfall_id)
    assert shortfall.status == "open"
    assert shortfall.next_wave_at is not None


def test_a_started_booking_cannot_be_cancelled(ward, client_for):
    booking = _booked(ward, in_hours=1)
    Booking.objects.filter(id=booking.id).update(starts_at=timezone.now() - dt.timedelta(minutes=5))

    response = client_for(booking.practitioner.user).post(
        f"/api/v1/bookings/{booking.id}/cancel/", {"reason": "x"}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (409, "booking_not_cancellable")
    assert Booking.objects.get(id=booking.id).status == "confirmed"


def test_completion_adds_the_shift_to_the_continuity_ledger(ward):
    nurse = qualified(ward.trust.agency)
    f.WardExperienceFactory(practitioner=nurse, ward=ward, shifts_worked=6)
    booking = _booked(ward, in_hours=24, practitioner=nurse)
    first_time = _booked(f.WardFactory(site=ward.site, name="Cedar Ward"), in_hours=72, practitioner=nurse)

    completed = complete_finished_bookings(now=first_time.ends_at + dt.timedelta(minutes=1))

    assert completed == 2
    ledger = {
        e.ward_id: (e.shifts_worked, e.last_worked_at)
        for e in WardExperience.objects.filter(practitioner=nurse)
    }
    assert ledger[ward.id] == (7, booking.ends_at)
    assert ledger[first_time.shortfall.ward_id] == (1, first_time.ends_at)
    assert set(Booking.objects.values_list("status", flat=True)) == {"completed"}


def test_reminders_go_once_for_shifts_starting_within_24_hours(ward):
    soon, later = _booked(ward, in_hours=20), _booked(ward, in_hours=60)

    first, second = send_shift_reminders(), send_shift_reminders()

    assert (first, second) == (1, 0)
    reminded = OutboxMessage.objects.filter(task="jobs.notify_booking", kwargs__event="shift_reminder")
    assert [m.kwargs["booking_id"] for m in reminded] == [soon.id]
    assert Booking.objects.get(id=later.id).reminder_sent_at is None


def test_do_not_book_feedback_blocks_the_practitioner_with_review_and_expiry(ward, client_for):
    booking = _booked(ward, in_hours=2)
    complete_finished_bookings(now=booking.ends_at + dt.timedelta(minutes=1))
    trust_user = f.TrustUserFactory(trust=ward.trust)

    response = client_for(trust_user).post(
        f"/api/v1/bookings/{booking.id}/feedback/",
        {"rating": 1, "would_book_again": False, "do_not_book": True, "reason": "Left the ward unattended"},
        format="json",
    )

    assert response.status_code == 201
    listing = PractitionerListing.objects.get(practitioner=booking.practitioner, kind="do_not_book")
    assert (listing.trust_id, listing.reason) == (ward.trust_id, "Left the ward unattended")
    assert listing.review_on == (timezone.now() + dt.timedelta(days=90)).date()
    assert listing.expires_at.date() == (timezone.now() + dt.timedelta(days=365)).date()
    assert WardExperience.objects.get(practitioner=booking.practitioner, ward=ward).last_rating == 1


def test_do_not_book_without_a_reason_is_refused(ward, client_for):
    booking = _booked(ward, in_hours=2)
    complete_finished_bookings(now=booking.ends_at + dt.timedelta(minutes=1))

    response = client_for(f.TrustUserFactory(trust=ward.trust)).post(
        f"/api/v1/bookings/{booking.id}/feedback/", {"rating": 2, "do_not_book": True}, format="json"
    )

    assert response.status_code == 400
    assert "reason" in response.json()["extra"]["fields"]
    assert not PractitionerListing.objects.exists()


def test_feedback_on_an_unfinished_booking_is_409(ward, client_for):
    booking = _booked(ward, in_hours=30)

    response = client_for(f.TrustUserFactory(trust=ward.trust)).post(
        f"/api/v1/bookings/{booking.id}/feedback/", {"rating": 4}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (409, "feedback_not_allowed")


def test_practitioner_rates_the_ward(ward, client_for):
    booking = _booked(ward, in_hours=2)
    complete_finished_bookings(now=booking.ends_at + dt.timedelta(minutes=1))

    response = client_for(booking.practitioner.user).post(
        f"/api/v1/bookings/{booking.id}/ward-feedback/",
        {"induction": 2, "supervision": 4, "felt_safe": False, "comment": "No induction on arrival"},
        format="json",
    )

    assert response.status_code == 201
    assert booking.ward_feedback.felt_safe is False


def test_cascade_view_flags_staff_new_to_the_ward(ward, client_for):
    shortfall = shift(ward, in_hours=48, headcount=2)
    regular, newcomer = qualified(ward.trust.agency), qualified(ward.trust.agency)
    f.WardExperienceFactory(practitioner=regular, ward=ward)
    for nurse in (regular, newcomer):
        book_practitioner(shortfall_id=shortfall.id, practitioner_id=nurse.id)

    body = (
        client_for(f.TrustUserFactory(trust=ward.trust))
        .get(f"/api/v1/shortfalls/{shortfall.id}/cascade/")
        .json()
    )

    flags = {b["practitioner"]: b["is_new_to_ward"] for b in body["bookings"]}
    assert flags == {regular.id: False, newcomer.id: True}


def test_broaden_lowers_the_band_and_makes_the_next_wave_due_now(ward, client_for):
    shortfall = shift(ward, in_hours=48)
    agency_user = f.AgencyUserFactory(agency=ward.trust.agency)

    response = client_for(agency_user).post(
        f"/api/v1/shortfalls/{shortfall.id}/broaden/", {"min_band": 4, "extra_radius_km": 15}, format="json"
    )

    assert response.status_code == 200
    shortfall.refresh_from_db()
    assert (shortfall.min_band, shortfall.extra_radius_km) == (4, 15)
    assert shortfall.next_wave_at <= timezone.now()


def test_broaden_cannot_narrow(ward, client_for):
    shortfall = shift(ward, in_hours=48, min_band=4)

    response = client_for(f.AgencyUserFactory(agency=ward.trust.agency)).post(
        f"/api/v1/shortfalls/{shortfall.id}/broaden/", {"min_band": 6}, format="json"
    )

    assert response.status_code == 400
    assert Shortfall.objects.get(id=shortfall.id).min_band == 4
