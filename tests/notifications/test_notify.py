"""notify(): who hears what, through which channel, once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from backend.core.errors import NotEligible
from backend.core.models import OutboxMessage
from notifications.models import Delivery, Notification, NotificationPreference
from notifications.services import (
    deliver,
    notify,
    notify_agency_staff,
    remind_credentials_expiring,
    send_daily_digests,
    sweep_stuck_deliveries,
)
from tests import factories as f
from tests.notifications.helpers import offer_for, shift_payload

pytestmark = pytest.mark.django_db


def _channels(notification) -> list[str]:
    return sorted(notification.deliveries.values_list("channel", flat=True))


def _quiet_now(user) -> NotificationPreference:
    """Quiet hours that cover the present moment, whatever time the test runs."""
    local = timezone.localtime()
    start = (local - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (local + dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    return NotificationPreference.objects.create(user=user, quiet_hours_start=start, quiet_hours_end=end)


def _never_quiet(user, **fields) -> NotificationPreference:
    return NotificationPreference.objects.create(
        user=user, quiet_hours_start=dt.time(0, 0), quiet_hours_end=dt.time(0, 0), **fields
    )


def _offer_notification(practitioner, *, days_ahead: float = 3, key: str | None = None):
    offer = offer_for(practitioner, starts_at=timezone.now() + dt.timedelta(days=days_ahead))
    return notify(
        recipient=practitioner.user,
        kind="offer",
        payload=shift_payload(shortfall=offer.shortfall, offer=offer),
        dedupe_key=key or f"offer:{offer.id}",
    )


def test_offer_defaults_to_in_app_email_and_sms_each_enqueued_through_the_outbox():
    practitioner = f.PractitionerFactory(user=f.UserFactory(phone="07700900123"))
    _never_quiet(practitioner.user)

    notification = _offer_notification(practitioner)

    assert _channels(notification) == ["email", "in_app", "sms"]
    assert notification.deliveries.get(channel="in_app").status == "sent"
    queued = notification.deliveries.exclude(channel="in_app").order_by("id")
    assert [d.status for d in queued] == ["queued", "queued"]
    messages = OutboxMessage.objects.filter(task="notifications.deliver").order_by("id")
    assert [(m.queue, m.kwargs) for m in messages] == [
        ("notifications", {"delivery_id": d.id}) for d in queued
    ]


def test_a_second_notify_with_the_same_dedupe_key_returns_the_first_and_creates_nothing():
    practitioner = f.PractitionerFactory()
    offer = offer_for(practitioner, starts_at=timezone.now() + dt.timedelta(days=3))
    payload = shift_payload(shortfall=offer.shortfall, offer=offer)
    first = notify(recipient=practitioner.user, kind="offer", payload=payload, dedupe_key="offer:dup")
    deliveries, messages = Delivery.objects.count(), OutboxMessage.objects.count()

    second = notify(recipient=practitioner.user, kind="offer", payload=payload, dedupe_key="offer:dup")

    assert second == first
    assert Notification.objects.count() == 1
    assert Delivery.objects.count() == deliveries
    assert OutboxMessage.objects.count() == messages


def test_booking_confirmed_defaults_to_email_and_in_app_without_sms():
    practitioner = f.PractitionerFactory(user=f.UserFactory(phone="07700900123"))
    booking = f.BookingFactory(practitioner=practitioner)

    notification = notify(
        recipient=practitioner.user,
        kind="booking_confirmed",
        payload=shift_payload(shortfall=booking.shortfall, booking=booking),
        dedupe_key=f"booking_confirmed:{booking.id}",
    )

    assert _channels(notification) == ["email", "in_app"]


def test_preferences_choose_the_channels_per_kind():
    practitioner = f.PractitionerFactory(user=f.UserFactory(phone="07700900123"))
    _never_quiet(practitioner.user, channels={"offer": ["sms"]})

    notification = _offer_notification(practitioner)

    assert _channels(notification) == ["in_app", "sms"]


def test_no_sms_in_quiet_hours_for_a_shift_days_away():
    practitioner = f.PractitionerFactory(user=f.UserFactory(phone="07700900123"))
    _quiet_now(practitioner.user)

    notification = _offer_notification(practitioner, days_ahead=3)

    assert notification.is_urgent is False
    assert _channels(notification) == ["email", "in_app"]


def test_an_urgent_shift_within_12_hours_still_gets_sms_in_quiet_hours():
    practitioner = f.PractitionerFactory(user=f.UserFactory(phone="07700900123"))
    _quiet_now(practitioner.user)

    notification = _offer_notification(practitioner, days_ahead=0.25)

    assert notification.is_urgent is True
    assert _channels(notification) == ["email", "in_app", "sms"]


def test_offers_beyond_the_hourly_allowance_wait_for_the_digest(settings):
    settings.NOTIFY_OFFER_ALERTS_PER_HOUR = 2
    practitioner = f.PractitionerFactory()

    notifications = [_offer_notification(practitioner) for _ in range(3)]

    assert [_channels(n) for n in notifications] == [["email", "in_app"], ["email", "in_app"], ["in_app"]]
    assert [n.is_digest_pending for n in notifications] == [False, False, True]


def test_the_daily_digest_emails_what_was_folded_and_only_once():
    practitioner = f.PractitionerFactory()
    _never_quiet(practitioner.user, digest_kinds=["offer"])
    folded = _offer_notification(practitioner)
    assert _channels(folded) == ["in_app"]

    assert send_daily_digests() == 1
    assert send_daily_digests() == 0

    digest = Notification.objects.get(kind="daily_digest")
    folded.refresh_from_db()
    assert digest.recipient == practitioner.user
    assert digest.payload["count"] == 1
    assert digest.payload["items"][0]["notification_id"] == folded.id
    assert _channels(digest) == ["email"]
    assert folded.digested_in == digest
    assert folded.is_digest_pending is False


def test_an_offer_to_someone_it_was_not_made_to_is_refused_and_nothing_is_written():
    practitioner = f.PractitionerFactory()
    other = f.PractitionerFactory(agency=practitioner.agency)
    offer = offer_for(practitioner, starts_at=timezone.now() + dt.timedelta(days=3))

    with pytest.raises(NotEligible):
        notify(
            recipient=other.user,
            kind="offer",
            payload=shift_payload(shortfall=offer.shortfall, offer=offer),
            dedupe_key="offer:wrong",
        )

    assert Notification.objects.count() == 0
    assert Delivery.objects.count() == 0


def test_safe_staffing_alert_reaches_every_active_agency_staff_user_of_that_agency_only():
    agency = f.AgencyFactory(name="Northern Care Staffing")
    alice = f.AgencyUserFactory(agency=agency)
    bob = f.AgencyUserFactory(agency=agency)
    f.AgencyUserFactory(agency=agency, is_active=False)
    f.AgencyUserFactory(agency=f.AgencyFactory(name="Other Agency"))
    shortfall = f.ShortfallFactory()

    sent = notify_agency_staff(
        agency=agency,
        kind="safe_staffing_alert",
        payload=shift_payload(shortfall=shortfall),
        dedupe_key="ssa:1",
    )

    assert sorted(n.recipient_id for n in sent) == sorted([alice.id, bob.id])
    assert all(n.is_urgent for n in sent)
    assert sorted(n.dedupe_key for n in sent) == sorted([f"ssa:1:user:{alice.id}", f"ssa:1:user:{bob.id}"])


def test_credential_reminders_go_once_per_threshold():
    today = timezone.localdate()
    credential = f.CredentialFactory(expires_on=today + dt.timedelta(days=55))

    assert remind_credentials_expiring(today=today) == 1
    assert remind_credentials_expiring(today=today + dt.timedelta(days=1)) == 0
    assert remind_credentials_expiring(today=today + dt.timedelta(days=26)) == 1  # 29 days left

    reminders = Notification.objects.filter(kind="credential_expiring").order_by("id")
    assert [n.payload["days_left"] for n in reminders] == [55, 29]
    assert reminders[0].recipient == credential.practitioner.user


def test_the_sweep_requeues_a_delivery_stuck_in_sending_and_enqueues_due_retries(settings):
    practitioner = f.PractitionerFactory()
    booking = f.BookingFactory(practitioner=practitioner)
    notification = notify(
        recipient=practitioner.user,
        kind="booking_confirmed",
        payload=shift_payload(shortfall=booking.shortfall, booking=booking),
        dedupe_key="booking:stuck",
    )
    email_delivery = notification.deliveries.get(channel="email")
    long_ago = timezone.now() - dt.timedelta(seconds=settings.NOTIFY_STUCK_AFTER_SECONDS + 5)
    Delivery.objects.filter(id=email_delivery.id).update(status="sending", sending_at=long_ago, attempts=1)
    OutboxMessage.objects.all().delete()

    assert sweep_stuck_deliveries() == 1
    assert sweep_stuck_deliveries() == 0  # enqueued once, not on every sweep

    email_delivery.refresh_from_db()
    assert email_delivery.status == "queued"
    assert email_delivery.last_error == "stuck in sending; requeued"
    assert list(OutboxMessage.objects.values_list("kwargs", flat=True)) == [
        {"delivery_id": email_delivery.id}
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_tasks_for_one_delivery_send_one_email(running_smtp):
    practitioner = f.PractitionerFactory()
    booking = f.BookingFactory(practitioner=practitioner)
    with transaction.atomic():
        notification = notify(
            recipient=practitioner.user,
            kind="booking_confirmed",
            payload=shift_payload(shortfall=booking.shortfall, booking=booking),
            dedupe_key="booking:race",
        )
        OutboxMessage.objects.all().delete()  # the threads below are the workers: publish nothing
    delivery_id = notification.deliveries.get(channel="email").id
    barrier = threading.Barrier(4)
    outcomes = []

    def worker():
        barrier.wait()
        try:
            outcomes.append(deliver(delivery_id=delivery_id).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["sent", "skipped", "skipped", "skipped"]
    assert len(running_smtp.messages) == 1
    assert Delivery.objects.get(id=delivery_id).attempts == 1
