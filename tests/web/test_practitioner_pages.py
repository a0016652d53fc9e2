"""Practitioner pages: bookings with cancel (late-cancellation warning), credentials with expiry
status and upload, availability windows, notification preferences with quiet hours and the
calendar link; each scoped to the signed-in practitioner."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from backend.core.models import AuditEvent
from backend.practitioners.models import Availability, Credential
from jobs.models import Booking, Shortfall
from notifications.models import CalendarFeed, NotificationPreference
from tests import factories as f

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
HTMX = {"HTTP_HX_REQUEST": "true"}
PDF = b"%PDF-1.4\n%test evidence\n"
qualified = f.qualified_practitioner


@pytest.fixture
def nurse(agency):
    return qualified(agency, user__username="nurse.sam")


def booking_in(practitioner, *, hours: float, length: float = 12, ward=None, **kwargs) -> Booking:
    start = (timezone.now() + dt.timedelta(hours=hours)).replace(second=0, microsecond=0)
    shortfall = f.ShortfallFactory(
        starts_at=start, ends_at=start + dt.timedelta(hours=length), **({"ward": ward} if ward else {})
    )
    return f.BookingFactory(shortfall=shortfall, practitioner=practitioner, **kwargs)


# --- Roles for you: free-text search -----------------------------------------------------------


def test_roles_search_by_ward_name_keeps_only_that_ward(client, trust, nurse):
    willow = f.WardFactory(site__trust=trust, name="Willow Ward")
    cedar = f.WardFactory(site__trust=trust, name="Cedar Ward")
    start = (timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    wanted = f.ShortfallFactory(ward=willow, starts_at=start, ends_at=start + dt.timedelta(hours=12))
    f.ShortfallFactory(ward=cedar, starts_at=start, ends_at=start + dt.timedelta(hours=12))
    client.force_login(nurse.user)

    response = client.get("/roles/", {"search": "willow"})

    assert response.status_code == 200
    assert [m.shortfall.id for m in response.context["page"]] == [wanted.id]
    assert 'name="search"' in response.content.decode()


def test_offer_inbox_is_paginated_soonest_to_lapse_first(client, nurse):
    now = timezone.now()
    offers = [
        f.OfferFactory(practitioner=nurse, expires_at=now + dt.timedelta(minutes=30 + minutes))
        for minutes in range(12)
    ]
    client.force_login(nurse.user)

    first = client.get("/offers/")
    second = client.get("/offers/", {"page": 2})

    assert [o.id for o in first.context["page"]] == [o.id for o in offers[:10]]
    assert [o.id for o in second.context["page"]] == [o.id for o in offers[10:]]
    assert "12 offers waiting" in first.content.decode()
    assert 'rel="next"' in first.content.decode()


# --- Bookings ----------------------------------------------------------------------------------


def test_bookings_split_upcoming_and_past_in_london_time(client, nurse):
    upcoming = booking_in(nurse, hours=48)
    finished = booking_in(nurse, hours=-30, status=Booking.Status.COMPLETED)
    cancelled = booking_in(nurse, hours=100, status=Booking.Status.CANCELLED_BY_PRACTITIONER)
    booking_in(qualified(nurse.agency), hours=48)  # someone else's
    client.force_login(nurse.user)

    upcoming_page = client.get("/bookings/")
    past_page = client.get("/bookings/", {"when": "past"})

    assert [b.id for b in upcoming_page.context["page"]] == [upcoming.id]
    assert [b.id for b in past_page.context["page"]] == [cancelled.id, finished.id]
    local_start = timezone.localtime(upcoming.starts_at, LONDON)
    assert local_start.strftime("%a %-d %b %Y, %H:%M") in upcoming_page.content.decode()
    assert f'hx-get="/bookings/{upcoming.id}/cancel/"' in upcoming_page.content.decode()
    assert "/cancel/" not in past_page.content.decode()


def test_bookings_empty_states(client, nurse):
    client.force_login(nurse.user)

    assert "You have no upcoming bookings." in client.get("/bookings/").content.decode()
    assert (
        "You have no past or cancelled bookings yet." in client.get("/bookings/?when=past").content.decode()
    )


def test_bookings_are_paginated_ten_a_page(client, nurse):
    for day in range(12):
        booking_in(nurse, hours=24 * (day + 1), length=8)
    client.force_login(nurse.user)

    first = client.get("/bookings/")
    second = client.get("/bookings/", {"page": 2})

    assert len(first.context["page"]) == 10
    assert len(second.context["page"]) == 2
    assert 'rel="next"' in first.content.decode()


def test_cancel_question_warns_when_the_shift_is_under_12_hours_away(client, nurse):
    soon = booking_in(nurse, hours=6)
    later = booking_in(nurse, hours=72)
    client.force_login(nurse.user)

    soon_question = client.get(f"/bookings/{soon.id}/cancel/", **HTMX).content.decode()
    later_question = client.get(f"/bookings/{later.id}/cancel/", **HTMX).content.decode()

    assert "This shift starts in less than 12 hours." in soon_question
    assert "late cancellation" in soon_question
    assert "This shift starts in less than 12 hours." not in later_question
    assert "<html" not in soon_question  # a fragment for htmx
    soon.refresh_from_db()
    assert soon.status == Booking.Status.CONFIRMED  # asking changes nothing


def test_htmx_late_cancel_uses_the_booking_service_and_reopens_the_shortfall(client, nurse):
    booking = booking_in(nurse, hours=6)
    client.force_login(nurse.user)

    response = client.post(f"/bookings/{booking.id}/cancel/", {"reason": "Unwell"}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Cancelled: " in html and "recorded as a late cancellation" in html
    assert '<p id="bookings-count" hx-swap-oob="true">0 upcoming bookings.' in html
    booking.refresh_from_db()
    assert (booking.status, booking.is_late_cancellation, booking.cancel_reason) == (
        Booking.Status.CANCELLED_BY_PRACTITIONER,
        True,
        "Unwell",
    )
    assert Shortfall.objects.get(id=booking.shortfall_id).status == Shortfall.Status.OPEN


def test_cancel_without_htmx_redirects_with_a_message(client, nurse):
    booking = booking_in(nurse, hours=72)
    client.force_login(nurse.user)

    response = client.post(f"/bookings/{booking.id}/cancel/", {"reason": "Family emergency"}, follow=True)

    assert response.redirect_chain == [("/bookings/", 302)]
    assert "Booking cancelled. The shift is offered to other staff again." in response.content.decode()
    booking.refresh_from_db()
    assert (booking.status, booking.is_late_cancellation) == (Booking.Status.CANCELLED_BY_PRACTITIONER, False)


def test_cancel_without_a_reason_is_refused_and_changes_nothing(client, nurse):
    booking = booking_in(nurse, hours=72)
    client.force_login(nurse.user)

    response = client.post(f"/bookings/{booking.id}/cancel/", {"reason": "  "}, **HTMX)

    assert response.status_code == 400
    assert "Tell the trust why you are cancelling." in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_cancelling_a_booking_already_cancelled_shows_the_service_error(client, nurse):
    booking = booking_in(nurse, hours=72, status=Booking.Status.CANCELLED_BY_TRUST)
    client.force_login(nurse.user)

    response = client.post(f"/bookings/{booking.id}/cancel/", {"reason": "Unwell"})

    assert response.status_code == 409
    assert "can no longer be cancelled" in response.content.decode()
    booking.refresh_from_db()
    assert (booking.status, booking.cancel_reason) == (Booking.Status.CANCELLED_BY_TRUST, "")


def test_a_shift_in_progress_cannot_be_cancelled_here(client, nurse):
    started = booking_in(nurse, hours=-1)
    client.force_login(nurse.user)

    page = client.get(f"/bookings/{started.id}/cancel/")
    fragment = client.get(f"/bookings/{started.id}/cancel/", **HTMX)
    refused = client.post(f"/bookings/{started.id}/cancel/", {"reason": "Unwell"}, **HTMX)

    assert "can no longer be cancelled here" in page.content.decode()
    assert "(in progress)" in fragment.content.decode()
    assert "Cancel booking" not in fragment.content.decode()
    assert refused.status_code == 409
    started.refresh_from_db()
    assert started.status == Booking.Status.CONFIRMED


def test_another_practitioners_booking_is_not_found_and_stays_booked(client, nurse):
    theirs = booking_in(qualified(nurse.agency), hours=72)
    client.force_login(nurse.user)

    assert client.get(f"/bookings/{theirs.id}/cancel/").status_code == 404
    assert client.get(f"/bookings/{theirs.id}/", **HTMX).status_code == 404
    assert client.post(f"/bookings/{theirs.id}/cancel/", {"reason": "x"}, **HTMX).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Booking.Status.CONFIRMED


def test_keep_booking_swaps_the_card_back(client, nurse):
    booking = booking_in(nurse, hours=72)
    client.force_login(nurse.user)

    response = client.get(f"/bookings/{booking.id}/", **HTMX)

    assert f'id="booking-{booking.id}"' in response.content.decode()
    assert "Cancel booking" in response.content.decode()


# --- Credentials -------------------------------------------------------------------------------


def test_credentials_show_valid_expiring_and_expired(client, nurse):
    today = timezone.localdate()
    Credential.objects.filter(practitioner=nurse).delete()
    valid = f.CredentialFactory(practitioner=nurse, credential_type=f.credential_type("dbs_adult"))
    expiring = f.CredentialFactory(
        practitioner=nurse,
        credential_type=f.credential_type("right_to_work"),
        expires_on=today + dt.timedelta(days=10),
    )
    expired = f.CredentialFactory(
        practitioner=nurse,
        credential_type=f.credential_type("core_mandatory"),
        expires_on=today - dt.timedelta(days=1),
    )
    f.CredentialFactory(credential_type=f.credential_type("dbs_adult"))  # someone else's
    client.force_login(nurse.user)

    response = client.get("/credentials/")

    statuses = {c.id: c.expiry_status for c in response.context["page"]}
    assert statuses == {valid.id: "valid", expiring.id: "expiring", expired.id: "expired"}
    html = response.content.decode()
    assert "Expiring soon</span>: 10 days left" in html
    assert "Expired</span> on" in html
    assert (
        AuditEvent.objects.filter(
            actor=nurse.user, action="read", subject_type="credential", practitioner_id=nurse.id
        ).count()
        == 1
    )


def test_a_credential_expiring_today_is_still_valid_through_the_day(client, nurse):
    Credential.objects.filter(practitioner=nurse).delete()
    f.CredentialFactory(practitioner=nurse, expires_on=timezone.localdate())
    client.force_login(nurse.user)

    response = client.get("/credentials/")

    assert [c.expiry_status for c in response.context["page"]] == ["expiring"]
    assert "last day today" in response.content.decode()


def test_no_credentials_shows_an_empty_state(client, agency):
    client.force_login(f.PractitionerFactory(agency=agency).user)

    assert "You have no credentials on file yet." in client.get("/credentials/").content.decode()


def test_uploading_a_credential_with_evidence_saves_it_unverified_and_audits(client, nurse):
    client.force_login(nurse.user)
    evidence = SimpleUploadedFile("pmva.pdf", PDF, content_type="application/pdf")

    response = client.post(
        "/credentials/",
        {
            "credential_type": f.credential_type("pmva_rrn").id,
            "reference": "RRN-123",
            "issued_on": "2026-01-10",
            "expires_on": "2027-01-10",
            "evidence": evidence,
        },
        follow=True,
    )

    assert response.redirect_chain == [("/credentials/", 302)]
    credential = Credential.objects.get(practitioner=nurse, credential_type__code="pmva_rrn")
    assert (credential.reference, credential.issued_on, credential.expires_on) == (
        "RRN-123",
        dt.date(2026, 1, 10),
        dt.date(2027, 1, 10),
    )
    assert credential.verified_at is None
    assert credential.evidence.name.endswith(".pdf")
    assert "The agency will check the evidence and verify it." in response.content.decode()
    assert (
        AuditEvent.objects.filter(
            action="create", subject_type="credential", subject_id=str(credential.id)
        ).count()
        == 1
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("dbs.png", b"MZ\x90\x00binary", "Evidence must be a PDF, PNG or JPEG file."),
        ("dbs.pdf", b"just some text, not a PDF", "Evidence must be a PDF, PNG or JPEG file."),
        ("dbs.pdf", b"%PDF" + b"0" * (5 * 1024 * 1024), "Evidence files must be 5 MB or smaller."),
        ("dbs.exe", PDF, "File extension “exe” is not allowed. Allowed extensions are: pdf, png, jpg, jpeg."),
    ],
)
def test_bad_evidence_files_are_refused_with_the_apis_message(client, nurse, name, content, message):
    client.force_login(nurse.user)
    before = Credential.objects.count()

    response = client.post(
        "/credentials/",
        {
            "credential_type": f.credential_type("dbs_children").id,
            "issued_on": "2026-01-10",
            "evidence": SimpleUploadedFile(name, content),
        },
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert "There is a problem" in response.content.decode()
    assert Credential.objects.count() == before


def test_expiry_before_issue_and_missing_fields_are_refused(client, nurse):
    client.force_login(nurse.user)
    before = Credential.objects.count()

    backwards = client.post(
        "/credentials/",
        {
            "credential_type": f.credential_type("dbs_children").id,
            "issued_on": "2026-03-01",
            "expires_on": "2026-02-01",
            "evidence": SimpleUploadedFile("dbs.pdf", PDF),
        },
    )
    empty = client.post("/credentials/", {})

    assert backwards.status_code == 400
    assert backwards.context["form"].errors == {"expires_on": ["Expiry must be on or after the issue date."]}
    assert empty.status_code == 400
    assert set(empty.context["form"].errors) == {"credential_type", "issued_on", "evidence"}
    assert Credential.objects.count() == before


def test_home_lists_credentials_to_renew_and_links_to_upload(client, nurse):
    today = timezone.localdate()
    Credential.objects.filter(practitioner=nurse, credential_type__code="right_to_work").update(
        expires_on=today + dt.timedelta(days=5)
    )
    client.force_login(nurse.user)

    response = client.get("/")

    assert [c.credential_type.code for c in response.context["credentials_needing_attention"]] == [
        "right_to_work"
    ]
    html = response.content.decode()
    assert "Credentials to renew" in html
    assert f"expires on {today + dt.timedelta(days=5):%-d %b %Y}" in html
    assert 'href="/credentials/">Upload new evidence' in html


def test_home_has_no_renewal_box_when_everything_is_in_date(client, nurse):
    client.force_login(nurse.user)

    response = client.get("/")

    assert response.context["credentials_needing_attention"] == []
    assert "Credentials to renew" not in response.content.decode()


# --- Availability ------------------------------------------------------------------------------


def test_availability_lists_only_own_upcoming_windows(client, nurse):
    mine = f.AvailabilityFactory(practitioner=nurse, note="Days only")
    f.AvailabilityFactory(
        practitioner=nurse,
        starts_at=timezone.now() - dt.timedelta(days=3),
        ends_at=timezone.now() - dt.timedelta(days=2),
    )
    f.AvailabilityFactory()  # someone else's
    client.force_login(nurse.user)

    response = client.get("/availability/")

    assert [w.id for w in response.context["page"]] == [mine.id]
    assert "Days only" in response.content.decode()


def test_adding_a_night_window_takes_london_wall_clock_times(client, nurse):
    client.force_login(nurse.user)
    # A date in British Summer Time: 19:00 London is 18:00 UTC.
    day = dt.date(timezone.localdate().year + 1, 7, 14)

    response = client.post(
        "/availability/",
        {
            "kind": "available",
            "start_date": day.isoformat(),
            "start_time": "19:00",
            "end_date": (day + dt.timedelta(days=1)).isoformat(),
            "end_time": "08:00",
            "note": "Nights",
        },
        **HTMX,
    )

    assert response.status_code == 200
    window = Availability.objects.get(practitioner=nurse)
    assert window.starts_at == dt.datetime(day.year, 7, 14, 18, 0, tzinfo=dt.UTC)
    assert window.ends_at == dt.datetime(day.year, 7, 15, 7, 0, tzinfo=dt.UTC)
    html = response.content.decode()
    assert "<html" not in html and 'id="availability-panel"' in html
    assert "Added: available" in html
    assert AuditEvent.objects.filter(action="create", subject_type="availability").count() == 1


def test_a_backwards_or_past_window_is_refused_and_saves_nothing(client, nurse):
    client.force_login(nurse.user)
    day = timezone.localdate() + dt.timedelta(days=5)
    past = timezone.localdate() - dt.timedelta(days=5)

    backwards = client.post(
        "/availability/",
        {
            "kind": "available",
            "start_date": day.isoformat(),
            "start_time": "19:00",
            "end_date": day.isoformat(),
            "end_time": "08:00",
        },
        **HTMX,
    )
    in_the_past = client.post(
        "/availability/",
        {
            "kind": "unavailable",
            "start_date": past.isoformat(),
            "start_time": "07:00",
            "end_date": past.isoformat(),
            "end_time": "19:00",
        },
    )
    too_long = client.post(
        "/availability/",
        {
            "kind": "available",
            "start_date": day.isoformat(),
            "start_time": "07:00",
            "end_date": (day + dt.timedelta(days=40)).isoformat(),
            "end_time": "07:00",
        },
    )
    garbage = client.post("/availability/", {"kind": "sometimes", "start_date": "31/02/2026"})

    assert backwards.status_code == 400
    assert backwards.context["form"].errors == {"end_time": ["The end must be after the start."]}
    assert in_the_past.status_code == 400
    assert in_the_past.context["form"].errors == {"end_time": ["The window must end in the future."]}
    assert too_long.status_code == 400
    assert too_long.context["form"].errors == {
        "end_time": ["A window can be 31 days at most: add another for longer."]
    }
    assert garbage.status_code == 400
    assert set(garbage.context["form"].errors) == {"kind", "start_date", "start_time", "end_date", "end_time"}
    assert not Availability.objects.exists()


def test_removing_a_window_deletes_it_and_audits(client, nurse):
    window = f.AvailabilityFactory(practitioner=nurse)
    client.force_login(nurse.user)

    response = client.post(f"/availability/{window.id}/remove/", **HTMX)

    assert response.status_code == 200
    assert "Removed: available" in response.content.decode()
    assert not Availability.objects.filter(id=window.id).exists()
    assert (
        AuditEvent.objects.filter(
            action="delete", subject_type="availability", subject_id=str(window.id)
        ).count()
        == 1
    )


def test_removing_another_practitioners_window_is_not_found(client, nurse):
    theirs = f.AvailabilityFactory()
    client.force_login(nurse.user)

    response = client.post(f"/availability/{theirs.id}/remove/", **HTMX)

    assert response.status_code == 404
    assert Availability.objects.filter(id=theirs.id).exists()


def test_remove_is_post_only(client, nurse):
    window = f.AvailabilityFactory(practitioner=nurse)
    client.force_login(nurse.user)

    assert client.get(f"/availability/{window.id}/remove/").status_code == 405
    assert Availability.objects.filter(id=window.id).exists()


# --- Notification preferences and the calendar link --------------------------------------------


def test_preferences_show_the_defaults_when_nothing_is_saved(client, nurse):
    client.force_login(nurse.user)

    response = client.get("/settings/notifications/")

    form = response.context["form"]
    assert form["channels_offer"].value() == ["email", "sms"]
    assert form["channels_booking_confirmed"].value() == ["email"]
    assert form["quiet_hours_start"].value() == dt.time(22, 0)
    assert "You have no calendar link." in response.content.decode()


def test_saving_preferences_uses_the_preference_service(client, nurse):
    NotificationPreference.objects.create(user=nurse.user, channels={"safe_staffing_alert": ["email"]})
    client.force_login(nurse.user)

    response = client.post(
        "/settings/notifications/",
        {
            "channels_offer": ["sms"],
            "channels_shift_reminder": ["email", "sms"],
            "quiet_hours_start": "21:30",
            "quiet_hours_end": "06:45",
            "digest_kinds": ["credential_expiring"],
        },
        **HTMX,
    )

    assert response.status_code == 200
    assert "Your notification settings are saved." in response.content.decode()
    preference = NotificationPreference.objects.get(user=nurse.user)
    assert preference.channels == {
        "safe_staffing_alert": ["email"],  # not on this page: kept
        "offer": ["sms"],
        "offer_withdrawn": [],
        "booking_confirmed": [],
        "booking_cancelled": [],
        "shift_reminder": ["email", "sms"],
        "credential_expiring": [],
    }
    assert (preference.quiet_hours_start, preference.quiet_hours_end) == (dt.time(21, 30), dt.time(6, 45))
    assert preference.digest_kinds == ["credential_expiring"]


def test_bad_preferences_are_refused_and_change_nothing(client, nurse):
    client.force_login(nurse.user)

    response = client.post(
        "/settings/notifications/",
        {"channels_offer": ["pigeon"], "quiet_hours_start": "25:00", "quiet_hours_end": ""},
        **HTMX,
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"channels_offer", "quiet_hours_start", "quiet_hours_end"}
    assert "Enter a time like 22:00." in response.content.decode()
    assert not NotificationPreference.objects.filter(user=nurse.user).exists()


def test_calendar_link_is_created_rotated_and_turned_off(client, nurse):
    client.force_login(nurse.user)

    created = client.post("/settings/calendar/", {"action": "rotate"}, **HTMX)
    first_token = CalendarFeed.objects.get(user=nurse.user).token
    rotated = client.post("/settings/calendar/", {"action": "rotate"}, **HTMX)
    second_token = CalendarFeed.objects.get(user=nurse.user).token

    assert f"/calendar/{first_token}.ics" in created.content.decode()
    assert second_token != first_token
    assert f"http://testserver/calendar/{second_token}.ics" in rotated.content.decode()
    assert client.get(f"/calendar/{first_token}.ics").status_code == 404
    feed = client.get(f"/calendar/{second_token}.ics")
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")

    revoked = client.post("/settings/calendar/", {"action": "revoke"}, **HTMX)

    assert "Calendar link turned off." in revoked.content.decode()
    assert not CalendarFeed.objects.filter(user=nurse.user).exists()


def test_the_preferences_page_shows_the_existing_calendar_link(client, nurse):
    feed = CalendarFeed.objects.create(user=nurse.user, token="secret-token-for-test")
    client.force_login(nurse.user)

    html = client.get("/settings/notifications/").content.decode()

    assert f'value="http://testserver/calendar/{feed.token}.ics"' in html


# --- Who may see these pages -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/bookings/", "/credentials/", "/availability/", "/settings/notifications/"]
)
def test_practitioner_pages_are_not_found_for_staff_and_need_login(client, trust, path):
    assert client.get(path)["Location"].startswith("/login/")
    client.force_login(f.TrustUserFactory(trust=trust))

    assert client.get(path).status_code == 404


def test_navigation_links_every_practitioner_page(client, nurse):
    client.force_login(nurse.user)

    html = client.get("/bookings/").content.decode()

    for path in (
        "/roles/",
        "/offers/",
        "/bookings/",
        "/availability/",
        "/credentials/",
        "/settings/notifications/",
    ):
        assert f'href="{path}"' in html
    assert 'href="/bookings/" aria-current="page"' in html
