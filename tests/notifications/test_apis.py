"""Inbox, preferences, delivery tracing and the iCalendar feed over HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from notifications.models import CalendarFeed, Notification
from notifications.services import notify, rotate_calendar_token
from tests import factories as f
from tests.notifications.helpers import shift_payload

pytestmark = pytest.mark.django_db


def _booking_notice(practitioner, key: str) -> Notification:
    starts_at = timezone.now().replace(microsecond=0) + dt.timedelta(days=3 + Notification.objects.count())
    shortfall = f.ShortfallFactory(starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=12))
    booking = f.BookingFactory(practitioner=practitioner, shortfall=shortfall)
    return notify(
        recipient=practitioner.user,
        kind="booking_confirmed",
        payload=shift_payload(shortfall=booking.shortfall, booking=booking),
        dedupe_key=key,
    )


def test_inbox_lists_only_own_notifications_and_counts_unread(client_for):
    mine = f.PractitionerFactory()
    theirs = f.PractitionerFactory(agency=mine.agency)
    first = _booking_notice(mine, "b:1")
    second = _booking_notice(mine, "b:2")
    _booking_notice(theirs, "b:3")
    client = client_for(mine.user)

    listed = client.get("/api/v1/notifications/").json()
    unread = client.get("/api/v1/notifications/unread-count/").json()

    assert [n["id"] for n in listed["results"]] == [second.id, first.id]
    assert unread == {"unread": 2}


def test_marking_read_and_read_all(client_for):
    practitioner = f.PractitionerFactory()
    first = _booking_notice(practitioner, "b:1")
    _booking_notice(practitioner, "b:2")
    client = client_for(practitioner.user)

    response = client.post(f"/api/v1/notifications/{first.id}/read/")
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 1}

    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 0}


def test_marking_another_users_notification_read_is_a_404_and_changes_nothing(client_for):
    owner = f.PractitionerFactory()
    other = f.PractitionerFactory(agency=owner.agency)
    notification = _booking_notice(owner, "b:1")

    response = client_for(other.user).post(f"/api/v1/notifications/{notification.id}/read/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    notification.refresh_from_db()
    assert notification.read_at is None


def test_preferences_round_trip_and_reject_unknown_kinds(client_for):
    user = f.PractitionerFactory().user
    client = client_for(user)
    assert client.get("/api/v1/me/notification-preferences/").json() == {
        "channels": {},
        "quiet_hours_start": "22:00:00",
        "quiet_hours_end": "07:00:00",
        "digest_kinds": [],
    }
    body = {
        "channels": {"offer": ["sms", "email"], "booking_confirmed": []},
        "quiet_hours_start": "21:30",
        "quiet_hours_end": "06:00",
        "digest_kinds": ["offer"],
    }

    saved = client.put("/api/v1/me/notification-preferences/", body, format="json")
    refused = client.put(
        "/api/v1/me/notification-preferences/", {**body, "channels": {"gossip": ["sms"]}}, format="json"
    )

    assert saved.status_code == 200
    assert saved.json() == {
        "channels": {"offer": ["email", "sms"], "booking_confirmed": []},
        "quiet_hours_start": "21:30:00",
        "quiet_hours_end": "06:00:00",
        "digest_kinds": ["offer"],
    }
    assert refused.status_code == 400
    assert refused.json()["code"] == "validation_error"
    assert client.get("/api/v1/me/notification-preferences/").json() == saved.json()


def test_agency_traces_deliveries_of_its_own_people_with_filters(client_for):
    practitioner = f.PractitionerFactory()
    agency_user = f.AgencyUserFactory(agency=practitioner.agency)
    outsider = f.PractitionerFactory(agency=f.AgencyFactory(name="Other Agency"))
    notification = _booking_notice(practitioner, "b:1")
    _booking_notice(outsider, "b:2")
    client = client_for(agency_user)

    everything = client.get("/api/v1/deliveries/").json()["results"]
    emails = client.get("/api/v1/deliveries/", {"channel": "email", "status": "queued"}).json()["results"]
    by_recipient = client.get(
        "/api/v1/deliveries/", {"recipient": practitioner.user.id, "kind": "booking_confirmed"}
    ).json()["results"]

    expected = sorted(notification.deliveries.values_list("id", flat=True))
    assert sorted(d["id"] for d in everything) == expected
    assert [d["id"] for d in emails] == [notification.deliveries.get(channel="email").id]
    assert sorted(d["id"] for d in by_recipient) == expected
    assert emails[0]["kind"] == "booking_confirmed"
    assert emails[0]["recipient"] == practitioner.user.id


def test_calendar_feed_is_valid_icalendar_in_london_time_and_shows_cancellations(client_for, client):
    practitioner = f.PractitionerFactory()
    starts_at = timezone.now().replace(microsecond=0) + dt.timedelta(days=10)
    shortfall = f.ShortfallFactory(
        ward=f.WardFactory(name="Willow Ward"),
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=12),
    )
    booking = f.BookingFactory(shortfall=shortfall, practitioner=practitioner)
    created = client_for(practitioner.user).post("/api/v1/me/calendar/")
    assert created.status_code == 201
    path = created.json()["url"].removeprefix("http://testserver")

    feed = client.get(path)

    assert feed.status_code == 200
    assert feed["Content-Type"] == "text/calendar; charset=utf-8"
    body = feed.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert body.endswith("END:VCALENDAR\r\n")
    local = timezone.localtime(starts_at)
    assert f"DTSTART;TZID=Europe/London:{local:%Y%m%dT%H%M%S}\r\n" in body
    assert "TZID:Europe/London\r\n" in body
    assert f"UID:booking-{booking.id}@testserver\r\n" in body
    assert "STATUS:CONFIRMED\r\n" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))

    booking.status = "cancelled_by_trust"
    booking.cancelled_at = timezone.now()
    booking.save()
    cancelled = client.get(path).content.decode()
    assert "STATUS:CANCELLED\r\nTRANSP" in cancelled
    assert "SEQUENCE:1\r\n" in cancelled


def test_a_rotated_or_revoked_calendar_token_stops_working(client_for, client):
    practitioner = f.PractitionerFactory()
    old = rotate_calendar_token(user=practitioner.user).token
    api = client_for(practitioner.user)

    new_url = api.post("/api/v1/me/calendar/").json()["url"]
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(new_url.removeprefix("http://testserver")).status_code == 200

    assert api.delete("/api/v1/me/calendar/").status_code == 204
    assert client.get(new_url.removeprefix("http://testserver")).status_code == 404
    assert CalendarFeed.objects.count() == 0
    assert api.get("/api/v1/me/calendar/").json() == {"is_active": False, "url": None, "created_at": None}
