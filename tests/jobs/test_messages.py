"""The cascade's messages become notifications for the right people, once."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from backend.core.models import OutboxMessage
from jobs.analytics.tasks import refresh_day_task
from jobs.services.booking_lifecycle import cancel_booking
from jobs.services.bookings import book_practitioner
from jobs.services.offers import after_booking_change, resend_unnotified_offers
from jobs.tasks import (
    notify_booking_task,
    notify_offer_task,
    notify_offer_withdrawn_task,
    notify_safe_staffing_task,
)
from notifications.models import Notification
from tests import factories as f
from tests.jobs.conftest import qualified, shift


def test_offer_message_reaches_the_practitioner_once_with_the_reasons(ward):
    nurse = qualified(ward.trust.agency)
    offer = f.OfferFactory(
        shortfall=shift(ward, in_hours=48),
        practitioner=nurse,
        explanation={"reasons": ["Worked on Willow Ward 6 times"]},
    )
    sent_at = timezone.now().isoformat()

    notify_offer_task(offer.id, sent_at)
    notify_offer_task(offer.id, sent_at)  # redelivered task: no second notification

    notification = Notification.objects.get(recipient=nurse.user)
    assert (notification.kind, notification.payload["offer_id"], notification.payload["ward"]) == (
        "offer",
        offer.id,
        "Willow Ward",
    )
    assert notification.payload["reasons"] == ["Worked on Willow Ward 6 times"]


def test_no_offer_message_once_the_offer_is_no_longer_open(ward):
    offer = f.OfferFactory(
        shortfall=shift(ward, in_hours=48), practitioner=qualified(ward.trust.agency), status="withdrawn"
    )

    notify_offer_task(offer.id, timezone.now().isoformat())

    assert not Notification.objects.filter(kind="offer").exists()


def test_withdrawal_booking_and_safe_staffing_messages(ward):
    nurse = qualified(ward.trust.agency)
    offer = f.OfferFactory(
        shortfall=shift(ward, in_hours=48),
        practitioner=nurse,
        status="withdrawn",
        responded_at=timezone.now(),
    )
    booking = f.BookingFactory(shortfall=shift(ward, in_hours=96), practitioner=nurse)
    agency_staff = f.AgencyUserFactory(agency=ward.trust.agency)

    notify_offer_withdrawn_task(offer.id, "filled")
    notify_booking_task(booking.id, "booking_confirmed")
    notify_safe_staffing_task(booking.shortfall_id)

    assert sorted(Notification.objects.filter(recipient=nurse.user).values_list("kind", flat=True)) == [
        "booking_confirmed",
        "offer_withdrawn",
    ]
    assert Notification.objects.filter(recipient=agency_staff, kind="safe_staffing_alert").count() == 1


def test_posting_booking_and_cancelling_each_queue_a_rollup_refresh_of_that_trust_day(ward, client_for):
    shortfall = shift(ward, in_hours=48)
    nurse = qualified(ward.trust.agency)
    booking = book_practitioner(shortfall_id=shortfall.id, practitioner_id=nurse.id)

    after_booking_change(booking=booking, event="booking_confirmed")
    cancel_booking(booking=booking, cancelled_by=nurse.user, reason="Unwell")

    refreshes = OutboxMessage.objects.filter(task="analytics.refresh_day")
    day = timezone.localtime(shortfall.starts_at).date().isoformat()
    assert [m.kwargs for m in refreshes] == [{"trust_id": ward.trust_id, "day": day}] * 2
    assert refresh_day_task.name == "analytics.refresh_day"  # the name the outbox rows carry


def test_an_offer_whose_message_was_lost_is_messaged_again_once(ward):
    nurse = qualified(ward.trust.agency)
    sent_at = timezone.now() - dt.timedelta(minutes=5)
    lost = f.OfferFactory(shortfall=shift(ward, in_hours=48), practitioner=nurse, sent_at=sent_at)
    delivered = f.OfferFactory(shortfall=shift(ward, in_hours=96), practitioner=nurse, sent_at=sent_at)
    notify_offer_task(delivered.id, sent_at.isoformat())

    first = resend_unnotified_offers()
    notify_offer_task(lost.id, OutboxMessage.objects.get(task="jobs.notify_offer").kwargs["sent_at"])
    second = resend_unnotified_offers()

    assert (first, second) == (1, 0)
    assert Notification.objects.filter(kind="offer", payload__offer_id=lost.id).count() == 1
