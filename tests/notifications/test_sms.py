"""SMS through the official GOV.UK Notify client against a local server speaking the Notify API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from notifications.models import Delivery, Notification, NotificationPreference
from notifications.services import deliver, notify
from tests import factories as f
from tests.notifications.helpers import offer_for, shift_payload

pytestmark = pytest.mark.django_db


def _offer_sms_delivery() -> Delivery:
    practitioner = f.PractitionerFactory(user=f.UserFactory(phone="07700900123"))
    # No quiet hours, so the test does not depend on the time of day it runs.
    NotificationPreference.objects.create(
        user=practitioner.user, quiet_hours_start=dt.time(0, 0), quiet_hours_end=dt.time(0, 0)
    )
    starts_at = dt.datetime(2030, 7, 16, 6, 30, tzinfo=dt.UTC)
    offer = offer_for(practitioner, starts_at=starts_at)
    offer.expires_at = dt.datetime(2030, 7, 15, 18, 0, tzinfo=dt.UTC)
    offer.save()
    notification = notify(
        recipient=practitioner.user,
        kind=Notification.Kind.OFFER,
        payload=shift_payload(shortfall=offer.shortfall, offer=offer),
        dedupe_key=f"offer:{offer.id}",
    )
    return notification.deliveries.get(channel="sms")


def test_sms_is_sent_through_notify_with_a_signed_token(notify_server, settings):
    delivery = _offer_sms_delivery()

    outcome = deliver(delivery_id=delivery.id)

    assert outcome.status == "sent"
    assert len(notify_server.requests) == 1
    request = notify_server.requests[0]
    assert request["path"] == "/v2/notifications/sms"
    assert request["authorised"] is True
    assert request["body"]["phone_number"] == "07700900123"
    assert request["body"]["template_id"] == settings.NOTIFY_SMS_TEMPLATE_ID
    assert request["body"]["reference"] == f"delivery-{delivery.id}"
    assert request["body"]["personalisation"]["body"] == (
        f"Shift offer: Willow Ward, {delivery.notification.payload['trust']}, Tue 16 Jul 07:30-20:00. "
        "Reply in the app by 19:00."
    )
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert delivery.provider_message_id == "740e5834-3a29-46b4-9a6f-16142fde533a"


def test_a_4xx_from_notify_fails_without_retry(notify_server):
    notify_server.statuses = [400]
    delivery = _offer_sms_delivery()

    outcome = deliver(delivery_id=delivery.id)

    delivery.refresh_from_db()
    assert outcome.status == "failed"
    assert delivery.status == "failed"
    assert delivery.attempts == 1
    assert delivery.last_error.startswith("Notify 400")
    assert delivery.failed_at is not None


def test_a_5xx_from_notify_is_retried_then_sent(notify_server):
    notify_server.statuses = [500, 201]
    delivery = _offer_sms_delivery()

    first = deliver(delivery_id=delivery.id)
    delivery.refresh_from_db()
    assert first.status == "retry"
    assert delivery.status == "queued"
    assert delivery.last_error.startswith("Notify 500")

    Delivery.objects.filter(id=delivery.id).update(next_attempt_at=timezone.now())
    second = deliver(delivery_id=delivery.id)

    delivery.refresh_from_db()
    assert second.status == "sent"
    assert delivery.attempts == 2
    assert len(notify_server.requests) == 2


def test_a_notify_timeout_is_retried(notify_server, settings):
    settings.NOTIFY_HTTP_TIMEOUT = 0.2
    notify_server.delay = 0.5
    delivery = _offer_sms_delivery()

    outcome = deliver(delivery_id=delivery.id)

    delivery.refresh_from_db()
    assert outcome.status == "retry"
    assert delivery.status == "queued"
    assert delivery.attempts == 1
    assert delivery.last_error.startswith("Notify 503")


def test_notify_down_is_retried(notify_server, settings):
    settings.NOTIFY_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens on discard
    delivery = _offer_sms_delivery()

    outcome = deliver(delivery_id=delivery.id)

    delivery.refresh_from_db()
    assert outcome.status == "retry"
    assert delivery.status == "queued"
