"""Email reaches a real SMTP server on loopback; failures are classified and retried."""

from __future__ import annotations

import datetime as dt
import email
from email import policy

import pytest
from django.db import OperationalError
from django.utils import timezone

from notifications.models import Delivery, Notification
from notifications.services import deliver, notify
from tests import factories as f
from tests.notifications.helpers import shift_payload

pytestmark = pytest.mark.django_db


def _booking_email_delivery(*, email_address: str = "sam.okafor@example.nhs.uk") -> Delivery:
    practitioner = f.PractitionerFactory(
        user=f.UserFactory(first_name="Sam", last_name="Okafor", email=email_address)
    )
    starts_at = dt.datetime(2026, 7, 14, 6, 30, tzinfo=dt.UTC)  # 07:30 in London (BST)
    shortfall = f.ShortfallFactory(
        ward=f.WardFactory(name="Willow Ward"),
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=12),
    )
    booking = f.BookingFactory(shortfall=shortfall, practitioner=practitioner)
    notification = notify(
        recipient=practitioner.user,
        kind=Notification.Kind.BOOKING_CONFIRMED,
        payload=shift_payload(shortfall=shortfall, booking=booking),
        dedupe_key=f"booking_confirmed:{booking.id}",
    )
    return notification.deliveries.get(channel="email")


def _parse(envelope) -> email.message.EmailMessage:
    return email.message_from_bytes(envelope.original_content, policy=policy.default)


def test_email_reaches_the_smtp_server_with_recipient_subject_and_london_times(running_smtp):
    delivery = _booking_email_delivery()

    outcome = deliver(delivery_id=delivery.id)

    assert outcome.status == "sent"
    assert len(running_smtp.messages) == 1
    envelope = running_smtp.messages[0]
    assert envelope.rcpt_tos == ["sam.okafor@example.nhs.uk"]
    message = _parse(envelope)
    assert message["Subject"] == "Booked: Willow Ward, Tue 14 Jul 07:30"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Hello Sam Okafor," in text
    assert "When: Tue 14 Jul 2026, 07:30 to 19:30 (UK time)" in text
    assert "Willow Ward" in html
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert delivery.attempts == 1
    assert delivery.provider_message_id == message["Message-ID"].strip()
    assert delivery.sent_at is not None


def test_smtp_down_is_retried_then_sent_once_it_is_back(smtp_server):
    delivery = _booking_email_delivery()

    first = deliver(delivery_id=delivery.id)

    delivery.refresh_from_db()
    assert first.status == "retry"
    assert delivery.status == "queued"
    assert delivery.attempts == 1
    assert "ConnectionRefusedError" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now()
    # Before the backoff has passed, a (duplicate) task sends nothing.
    assert deliver(delivery_id=delivery.id).status == "skipped"

    smtp_server.start()
    Delivery.objects.filter(id=delivery.id).update(next_attempt_at=timezone.now())  # the backoff passes
    second = deliver(delivery_id=delivery.id)

    delivery.refresh_from_db()
    assert second.status == "sent"
    assert delivery.status == "sent"
    assert delivery.attempts == 2
    assert delivery.last_error == ""
    assert len(smtp_server.messages) == 1


def test_a_duplicate_task_sends_one_email(running_smtp):
    delivery = _booking_email_delivery()

    outcomes = [deliver(delivery_id=delivery.id).status for _ in range(2)]

    assert outcomes == ["sent", "skipped"]
    assert len(running_smtp.messages) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_a_send_the_database_never_recorded_is_recorded_not_sent_again(running_smtp, monkeypatch):
    """The SMTP server accepted the message, then PostgreSQL went away before the row said so (or
    the worker died): the sweep puts the row back in the queue, and the retry must not send twice."""
    from notifications import services

    delivery = _booking_email_delivery()
    monkeypatch.setattr(services, "RECORD_SENT_ATTEMPTS", 1)
    monkeypatch.setattr(
        services, "_record_sent", lambda **kwargs: (_ for _ in ()).throw(OperationalError("db restarting"))
    )
    with pytest.raises(OperationalError):
        deliver(delivery_id=delivery.id)
    monkeypatch.undo()
    Delivery.objects.filter(id=delivery.id).update(status=Delivery.Status.QUEUED)  # what the sweep does

    outcome = deliver(delivery_id=delivery.id)

    assert outcome.status == "sent"
    assert len(running_smtp.messages) == 1
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT and delivery.provider_message_id


def test_recipient_refused_by_the_server_fails_without_retry(running_smtp):
    async def refuse(server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such user"

    running_smtp.inbox.handle_RCPT = refuse
    delivery = _booking_email_delivery()

    outcome = deliver(delivery_id=delivery.id)

    delivery.refresh_from_db()
    assert outcome.status == "failed"
    assert delivery.status == "failed"
    assert delivery.attempts == 1
    assert "550" in delivery.last_error
    assert running_smtp.messages == []


def test_transient_failures_stop_after_max_attempts(smtp_server, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    delivery = _booking_email_delivery()

    statuses = []
    for _ in range(2):
        Delivery.objects.filter(id=delivery.id).update(next_attempt_at=timezone.now())
        statuses.append(deliver(delivery_id=delivery.id).status)

    delivery.refresh_from_db()
    assert statuses == ["retry", "failed"]
    assert delivery.status == "failed"
    assert delivery.attempts == 2
    assert delivery.last_error.startswith("gave up after 2 attempts")
