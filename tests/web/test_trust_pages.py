"""Trust staff pages: CSV import (preview, confirm, idempotent, limits), one shortfall's fill status
with waves, offers and booked staff, cancel, rating a completed booking, preferred and do-not-book
lists. Every page scoped to the caller's trust: another trust's object is a 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from backend.core.models import AuditEvent
from backend.practitioners.models import PractitionerListing
from jobs.models import Shortfall, TrustFeedback
from jobs.services.shortfall_import import MAX_BYTES
from tests import factories as f

pytestmark = pytest.mark.django_db

HEADER = "external_reference,ward,role,band,date,start,end,headcount,notes\n"


@pytest.fixture
def trust():
    return f.TrustFactory(name="Moorside Trust")


@pytest.fixture
def staff(trust):
    return f.TrustUserFactory(trust=trust)


@pytest.fixture
def willow(trust):
    return f.WardFactory(site__trust=trust, name="Willow Ward")


@pytest.fixture
def logged_in(client, staff):
    client.force_login(staff)
    return client


def day(days_ahead: int = 3) -> str:
    return (timezone.localdate() + dt.timedelta(days=days_ahead)).isoformat()


def upload(client, text: str, name: str = "roster.csv"):
    return client.post("/shortfalls/import/", {"file": SimpleUploadedFile(name, text.encode(), "text/csv")})


# --- CSV import ----------------------------------------------------------------------------------


def test_upload_shows_a_preview_with_the_row_error_and_a_suggestion_and_saves_nothing(logged_in, willow):
    text = (
        HEADER
        + f"ER-1,Willow Ward,RMN,5,{day()},07:30,20:00,1,\nER-2,Willow Unit,RMN,5,{day()},07:30,20:00,1,\n"
    )

    response = upload(logged_in, text)

    assert response.status_code == 200
    html = response.content.decode()
    assert "1</strong> ready to import" in html
    assert "Ward &#x27;Willow Unit&#x27; did not match one of your wards." in html
    assert "Did you mean <strong>Willow Ward</strong>?" in html
    assert "Import 1 ready shortfall" in html
    assert Shortfall.objects.count() == 0


def test_confirm_imports_the_ready_rows_and_a_second_upload_adds_nothing(logged_in, willow):
    text = (
        HEADER
        + f"ER-1,Willow Ward,RMN,5,{day()},07:30,20:00,1,\nER-2,Willow Unit,RMN,5,{day()},07:30,20:00,1,\n"
    )
    token = upload(logged_in, text).context["token"]

    response = logged_in.post("/shortfalls/import/confirm/", {"token": token}, follow=True)

    assert response.redirect_chain == [("/shortfalls/", 302)]
    assert "Imported 1 shortfall. 1 with errors left out. Offers go out now." in response.content.decode()
    (shortfall,) = Shortfall.objects.all()
    assert (shortfall.external_reference, shortfall.ward) == ("ER-1", willow)

    again = upload(logged_in, text)
    assert "1</strong> already imported" in again.content.decode()
    assert "There is nothing new to import from this file." in again.content.decode()
    assert Shortfall.objects.count() == 1


def test_confirming_the_same_token_twice_is_an_error_not_a_duplicate(logged_in, willow):
    token = upload(logged_in, HEADER + f"ER-1,Willow Ward,RMN,5,{day()},07:30,20:00,1,\n").context["token"]
    logged_in.post("/shortfalls/import/confirm/", {"token": token})

    response = logged_in.post("/shortfalls/import/confirm/", {"token": token})

    assert response.status_code == 400
    assert (
        "This upload has expired or was already imported. Upload the file again." in response.content.decode()
    )
    assert Shortfall.objects.count() == 1


def test_a_token_from_another_user_is_not_usable(client, logged_in, trust, willow):
    token = upload(logged_in, HEADER + f"ER-1,Willow Ward,RMN,5,{day()},07:30,20:00,1,\n").context["token"]
    client.force_login(f.TrustUserFactory(trust=trust))

    response = client.post("/shortfalls/import/confirm/", {"token": token})

    assert response.status_code == 400
    assert Shortfall.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "roster.xlsx",
            "anything",
            "The file must be a CSV file (.csv). Export the shifts from your e-roster as CSV.",
        ),
        (
            "roster.csv",
            "ward,role\nWillow,RMN\n",
            "The file is missing required columns: external_reference, date, start, end.",
        ),
        (
            "roster.csv",
            "x" * (MAX_BYTES + 1),
            f"The file is larger than {MAX_BYTES // 1024} KB. Split it into smaller files.",
        ),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_error(logged_in, willow, name, text, message):
    response = upload(logged_in, text, name)

    assert response.status_code == 400
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert Shortfall.objects.count() == 0


def test_no_file_is_a_clear_error(logged_in):
    response = logged_in.post("/shortfalls/import/", {})

    assert response.status_code == 400
    assert "Choose a CSV file to upload." in response.content.decode()


def test_import_is_for_trust_staff_only(client, trust):
    client.force_login(f.AgencyUserFactory(agency=trust.agency))

    assert client.get("/shortfalls/import/").status_code == 404


def test_import_page_needs_a_login(client):
    response = client.get("/shortfalls/import/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- One shortfall: waves, offers, booked staff, cancel -------------------------------------------


def future_shift(ward, **kwargs):
    start = (timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    return f.ShortfallFactory(ward=ward, starts_at=start, ends_at=start + dt.timedelta(hours=12), **kwargs)


def test_detail_shows_waves_offers_and_booked_staff_new_to_the_ward(logged_in, trust, willow):
    agency = trust.agency
    shortfall = future_shift(willow, headcount=2, wave=1)
    familiar = f.qualified_practitioner(agency, user__first_name="Sam", user__last_name="Okafor")
    f.WardExperienceFactory(practitioner=familiar, ward=willow)
    newcomer = f.qualified_practitioner(agency, user__first_name="Jo", user__last_name="Blake")
    waiting = f.qualified_practitioner(agency, user__first_name="Kit", user__last_name="Marsh")
    f.OfferFactory(shortfall=shortfall, practitioner=familiar, wave=0, status="accepted")
    f.OfferFactory(shortfall=shortfall, practitioner=waiting, wave=1, status="sent")
    f.BookingFactory(shortfall=shortfall, practitioner=familiar)
    f.BookingFactory(shortfall=shortfall, practitioner=newcomer)

    response = logged_in.get(f"/shortfalls/{shortfall.id}/")

    assert response.status_code == 200
    assert [wave for wave, _ in response.context["waves"]] == [0, 1]
    assert response.context["offers_out"] == 1
    flags = {b.practitioner.name: b.is_new_to_ward for b in response.context["bookings"]}
    assert flags == {familiar.name: False, newcomer.name: True}
    html = response.content.decode()
    assert html.count("New to ward") == 1
    assert "Wave 1: best matches" in html and "2 of 2" in html


def test_another_trusts_shortfall_is_not_found(logged_in):
    other = future_shift(f.WardFactory(name="Larch Ward"))

    assert logged_in.get(f"/shortfalls/{other.id}/").status_code == 404
    assert logged_in.post(f"/shortfalls/{other.id}/cancel/", {"reason": "x"}).status_code == 404
    other.refresh_from_db()
    assert other.status == Shortfall.Status.OPEN


def test_cancel_cancels_the_shortfall_and_its_bookings(logged_in, trust, willow):
    shortfall = future_shift(willow)
    booking = f.BookingFactory(shortfall=shortfall, practitioner=f.qualified_practitioner(trust.agency))

    response = logged_in.post(f"/shortfalls/{shortfall.id}/cancel/", {"reason": "Ward closed"}, follow=True)

    assert response.redirect_chain == [(f"/shortfalls/{shortfall.id}/", 302)]
    shortfall.refresh_from_db()
    booking.refresh_from_db()
    assert (shortfall.status, shortfall.cancel_reason) == ("cancelled", "Ward closed")
    assert booking.status == "cancelled_by_trust"
    assert "Cancelled Willow Ward" in response.content.decode()


def test_cancel_without_a_reason_is_refused_and_changes_nothing(logged_in, willow):
    shortfall = future_shift(willow)

    response = logged_in.post(f"/shortfalls/{shortfall.id}/cancel/", {"reason": ""})

    assert response.status_code == 400
    assert "Say why the shift is cancelled." in response.content.decode()
    shortfall.refresh_from_db()
    assert shortfall.status == Shortfall.Status.OPEN


def test_cancelling_twice_says_it_is_already_cancelled(logged_in, willow):
    shortfall = future_shift(willow)
    logged_in.post(f"/shortfalls/{shortfall.id}/cancel/", {"reason": "Ward closed"})

    response = logged_in.post(f"/shortfalls/{shortfall.id}/cancel/", {"reason": "Again"})

    assert response.status_code == 400
    assert "Not cancelled: This shortfall is already cancelled." in response.content.decode()
    shortfall.refresh_from_db()
    assert shortfall.cancel_reason == "Ward closed"


# --- Rating a completed booking ------------------------------------------------------------------


@pytest.fixture
def completed(trust, willow):
    start = timezone.now() - dt.timedelta(days=2)
    shortfall = f.ShortfallFactory(ward=willow, starts_at=start, ends_at=start + dt.timedelta(hours=12))
    practitioner = f.qualified_practitioner(trust.agency, user__first_name="Sam", user__last_name="Okafor")
    return f.BookingFactory(shortfall=shortfall, practitioner=practitioner, status="completed")


def test_completed_bookings_are_listed_to_rate(logged_in, completed):
    response = logged_in.get("/trust/bookings/")

    assert [b.id for b in response.context["page"]] == [completed.id]
    assert f"/trust/bookings/{completed.id}/rate/" in response.content.decode()


def test_rating_saves_feedback(logged_in, completed):
    response = logged_in.post(
        f"/trust/bookings/{completed.id}/rate/", {"rating": "4", "would_book_again": "on"}, follow=True
    )

    assert response.redirect_chain == [("/trust/bookings/", 302)]
    completed.refresh_from_db()
    assert (completed.trust_feedback.rating, completed.trust_feedback.would_book_again) == (4, True)
    assert "4 of 5" in response.content.decode()


def test_do_not_book_needs_a_reason_and_then_lists_them(logged_in, completed, trust):
    refused = logged_in.post(f"/trust/bookings/{completed.id}/rate/", {"rating": "1", "do_not_book": "on"})

    assert refused.status_code == 400
    assert "Give a reason when you ask not to book someone again." in refused.content.decode()
    assert not PractitionerListing.objects.exists()

    logged_in.post(
        f"/trust/bookings/{completed.id}/rate/",
        {"rating": "1", "do_not_book": "on", "reason": "Left the ward unattended"},
    )
    listing = PractitionerListing.objects.get()
    assert (listing.trust, listing.kind, listing.reason) == (trust, "do_not_book", "Left the ward unattended")


@pytest.mark.parametrize("rating", ["", "0", "6", "five"])
def test_a_bad_rating_is_refused(logged_in, completed, rating):
    response = logged_in.post(f"/trust/bookings/{completed.id}/rate/", {"rating": rating})

    assert response.status_code == 400
    assert not TrustFeedback.objects.exists()


def test_rating_twice_is_refused(logged_in, completed):
    logged_in.post(f"/trust/bookings/{completed.id}/rate/", {"rating": "4"})

    response = logged_in.post(f"/trust/bookings/{completed.id}/rate/", {"rating": "2"})

    assert response.status_code == 400
    assert TrustFeedback.objects.get().rating == 4


def test_another_trusts_booking_cannot_be_rated(logged_in):
    start = timezone.now() - dt.timedelta(days=2)
    other = f.BookingFactory(
        shortfall=f.ShortfallFactory(starts_at=start, ends_at=start + dt.timedelta(hours=12)),
        status="completed",
    )

    assert logged_in.post(f"/trust/bookings/{other.id}/rate/", {"rating": "5"}).status_code == 404
    assert not TrustFeedback.objects.exists()


# --- Recording a no-show -------------------------------------------------------------------------


def test_mark_no_show_on_a_completed_shift_with_a_reason(logged_in, completed, staff):
    page = logged_in.get("/trust/bookings/").content.decode()
    assert f'action="/trust/bookings/{completed.id}/no-show/"' in page

    response = logged_in.post(
        f"/trust/bookings/{completed.id}/no-show/", {"reason": "Never arrived"}, follow=True
    )

    assert response.redirect_chain == [("/trust/bookings/", 302)]
    completed.refresh_from_db()
    assert completed.status == "no_show"
    body = response.content.decode()
    assert "Sam Okafor as a no-show" in body
    assert f'action="/trust/bookings/{completed.id}/no-show/"' not in body
    event = AuditEvent.objects.get(subject_type="booking", subject_id=str(completed.id))
    assert (event.actor_id, event.detail["reason"]) == (staff.id, "Never arrived")


def test_mark_no_show_without_a_reason_is_refused_on_the_page(logged_in, completed):
    response = logged_in.post(f"/trust/bookings/{completed.id}/no-show/", {"reason": ""})

    assert response.status_code == 400
    assert "Say why the booking is a no-show." in response.content.decode()
    completed.refresh_from_db()
    assert completed.status == "completed"


def test_a_shift_over_more_than_seven_days_ago_offers_no_no_show_and_is_refused(logged_in, completed):
    start = timezone.now() - dt.timedelta(days=9)
    Shortfall.objects.filter(id=completed.shortfall_id).update(
        starts_at=start, ends_at=start + dt.timedelta(hours=12)
    )
    type(completed).objects.filter(id=completed.id).update(
        starts_at=start, ends_at=start + dt.timedelta(hours=12)
    )

    page = logged_in.get("/trust/bookings/").content.decode()
    response = logged_in.post(f"/trust/bookings/{completed.id}/no-show/", {"reason": "Never arrived"})

    assert f'action="/trust/bookings/{completed.id}/no-show/"' not in page
    assert response.status_code == 422
    assert "7 days after it ends" in response.content.decode()
    completed.refresh_from_db()
    assert completed.status == "completed"


def test_another_trusts_booking_cannot_be_marked_no_show(logged_in):
    start = timezone.now() - dt.timedelta(hours=2)
    other = f.BookingFactory(
        shortfall=f.ShortfallFactory(starts_at=start, ends_at=start + dt.timedelta(hours=12))
    )

    assert logged_in.post(f"/trust/bookings/{other.id}/no-show/", {"reason": "x"}).status_code == 404
    other.refresh_from_db()
    assert other.status == "confirmed"


# --- Preferred and do-not-book lists -------------------------------------------------------------


def test_lists_add_preferred_and_do_not_book_with_reasons_audited(logged_in, completed, willow):
    nurse = completed.practitioner

    logged_in.post(
        "/trust/lists/",
        {"practitioner": nurse.id, "kind": "preferred", "ward": willow.id, "reason": "Knows our patients"},
    )
    response = logged_in.get("/trust/lists/")

    (preferred,) = response.context["preferred"]
    assert (preferred.practitioner, preferred.ward, preferred.reason) == (nurse, willow, "Knows our patients")
    assert "Knows our patients" in response.content.decode()
    assert (
        AuditEvent.objects.filter(subject_type="listing", action="update", practitioner_id=nurse.id).count()
        == 1
    )

    logged_in.post(
        "/trust/lists/",
        {"practitioner": nurse.id, "kind": "do_not_book", "ward": willow.id, "reason": "Late twice"},
    )
    kinds = list(PractitionerListing.objects.values_list("kind", flat=True))
    assert kinds == ["do_not_book"]  # moved between the lists, never on both


def test_do_not_book_without_a_reason_is_refused(logged_in, completed):
    response = logged_in.post(
        "/trust/lists/", {"practitioner": completed.practitioner.id, "kind": "do_not_book"}
    )

    assert response.status_code == 400
    assert "Give a reason for do not book." in response.content.decode()
    assert not PractitionerListing.objects.exists()


def test_only_practitioners_who_worked_for_the_trust_can_be_listed(logged_in, trust, completed):
    stranger = f.qualified_practitioner(trust.agency)

    response = logged_in.post("/trust/lists/", {"practitioner": stranger.id, "kind": "preferred"})

    assert response.status_code == 400
    assert not PractitionerListing.objects.exists()


def test_remove_takes_them_off_and_another_trusts_entry_is_not_found(logged_in, completed, trust):
    listing = PractitionerListing.objects.create(
        trust=trust, practitioner=completed.practitioner, kind="preferred"
    )
    other = PractitionerListing.objects.create(
        trust=f.TrustFactory(), practitioner=completed.practitioner, kind="do_not_book", reason="x"
    )

    assert logged_in.post(f"/trust/lists/{other.id}/remove/").status_code == 404
    logged_in.post(f"/trust/lists/{listing.id}/remove/")

    assert list(PractitionerListing.objects.values_list("id", flat=True)) == [other.id]
    assert AuditEvent.objects.filter(subject_type="listing", action="delete").count() == 1


def test_empty_lists_say_so(logged_in):
    html = logged_in.get("/trust/lists/").content.decode()

    assert "Nobody is on your preferred list." in html
    assert "You can list staff once they have worked a shift for you." in html


def test_fill_status_list_and_detail_agree_on_new_to_ward(logged_in, trust, willow):
    start = timezone.now() - dt.timedelta(hours=2)  # under way: still on the fill status page
    shortfall = f.ShortfallFactory(ward=willow, starts_at=start, ends_at=start + dt.timedelta(hours=12))
    since_start = f.qualified_practitioner(trust.agency)
    before = f.qualified_practitioner(trust.agency)
    f.WardExperienceFactory(
        practitioner=since_start,
        ward=willow,
        first_worked_at=start + dt.timedelta(hours=1),
        last_worked_at=start + dt.timedelta(hours=1),
    )
    f.WardExperienceFactory(practitioner=before, ward=willow, first_worked_at=start - dt.timedelta(days=30))
    f.BookingFactory(shortfall=shortfall, practitioner=since_start)
    f.BookingFactory(shortfall=shortfall, practitioner=before)

    listed = logged_in.get("/shortfalls/").context["shortfalls"][0].booked_staff
    detail = logged_in.get(f"/shortfalls/{shortfall.id}/").context["bookings"]

    assert {row["name"]: row["is_new_to_ward"] for row in listed} == {
        since_start.name: True,
        before.name: False,
    }
    assert {b.practitioner.name: b.is_new_to_ward for b in detail} == {
        since_start.name: True,
        before.name: False,
    }


def test_posting_a_seventeen_hour_shift_across_the_autumn_clock_change_is_refused(logged_in, willow):
    # 20:00 BST to 12:00 GMT on the last Sunday of October 2027: 16 hours on the clock, 17 worked.
    response = logged_in.post(
        "/shortfalls/new/",
        {
            "ward": willow.id,
            "role": f.role("rmn").id,
            "min_band": 5,
            "headcount": 1,
            "date": "2027-10-30",
            "start_time": "20:00",
            "end_time": "12:00",
        },
    )

    assert response.status_code == 400
    assert "A shift cannot be longer than 16 hours." in response.content.decode()
    assert Shortfall.objects.count() == 0


def test_preview_suggests_roles_for_an_ambiguous_title(logged_in, willow):
    response = upload(logged_in, HEADER + f"ER-1,Willow Ward,Staff nurse,5,{day()},07:30,20:00,1,\n")

    html = response.content.decode()
    assert "Role: did you mean <strong>RMN</strong> or <strong>RNLD</strong>?" in html
    assert "There is nothing new to import from this file." in html
