"""Portal pages: roles for you, the offer inbox (htmx accept / decline), posting a shortfall, live
fill status and the agency's fill-rate table."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from backend.organisations.models import Setting
from jobs.analytics.rollups import rebuild_range
from jobs.models import Booking, Offer, Shortfall
from jobs.services.offers import accept_offer
from tests import factories as f

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
HTMX = {"HTTP_HX_REQUEST": "true"}
qualified = f.qualified_practitioner


shift = f.shift


# --- Roles for you -----------------------------------------------------------------------------


def test_roles_for_you_ranks_the_familiar_ward_first_with_the_reason(client, trust, agency):
    practitioner = qualified(agency)
    willow = f.WardFactory(site__trust=trust, name="Willow Ward")
    cedar = f.WardFactory(site__trust=trust, name="Cedar Ward")
    f.WardExperienceFactory(practitioner=practitioner, ward=willow, shifts_worked=6)
    unfamiliar = shift(cedar, in_hours=30)
    familiar = shift(willow, in_hours=50)
    client.force_login(practitioner.user)

    response = client.get("/roles/")

    assert response.status_code == 200
    assert [m.shortfall.id for m in response.context["page"]] == [familiar.id, unfamiliar.id]
    html = response.content.decode()
    assert "Willow Ward" in html and "Cedar Ward" in html
    assert any("Willow Ward" in reason for reason in response.context["page"][0].reasons)
    assert response.context["page"][0].reasons[0] in html


def test_roles_filters_by_setting_and_date(client, trust, agency):
    practitioner = qualified(agency)
    acute = f.WardFactory(site__trust=trust, name="Willow Ward")
    rehab = f.WardFactory(site__trust=trust, name="Rehab Ward", setting=Setting.objects.get(code="rehab"))
    tomorrow = shift(acute, in_hours=30)
    shift(acute, in_hours=24 * 6)
    shift(rehab, in_hours=30)
    day = timezone.localtime(tomorrow.starts_at).date()
    client.force_login(practitioner.user)

    response = client.get("/roles/", {"setting": "adult_acute", "date_from": day, "date_to": day})

    assert response.status_code == 200
    assert [m.shortfall.id for m in response.context["page"]] == [tomorrow.id]


def test_roles_date_filter_includes_a_shift_starting_at_local_midnight(client, trust, agency):
    practitioner = qualified(agency)
    ward = f.WardFactory(site__trust=trust, name="Willow Ward")
    day = timezone.localdate() + dt.timedelta(days=3)
    midnight = dt.datetime.combine(day, dt.time(0, 0), tzinfo=LONDON)
    at_midnight = f.ShortfallFactory(ward=ward, starts_at=midnight, ends_at=midnight + dt.timedelta(hours=12))
    client.force_login(practitioner.user)

    response = client.get("/roles/", {"date_from": day, "date_to": day})

    assert [m.shortfall.id for m in response.context["page"]] == [at_midnight.id]


def test_roles_with_a_backwards_date_range_shows_the_error(client, agency):
    client.force_login(qualified(agency).user)

    response = client.get("/roles/", {"date_from": "2030-05-02", "date_to": "2030-05-01"})

    assert response.status_code == 200
    assert "The end date must be on or after the start date." in response.content.decode()
    assert list(response.context["page"]) == []


def test_roles_with_nothing_open_shows_an_empty_state(client, agency):
    client.force_login(qualified(agency).user)

    response = client.get("/roles/")

    assert "No open shifts match you right now." in response.content.decode()


def test_practitioner_pages_are_not_found_for_trust_staff(client, trust):
    client.force_login(f.TrustUserFactory(trust=trust))

    assert client.get("/roles/").status_code == 404
    assert client.get("/offers/").status_code == 404


# --- Offers ------------------------------------------------------------------------------------


def test_offer_inbox_lists_open_offers_with_accept_and_decline(client, trust, agency):
    practitioner = qualified(agency)
    ward = f.WardFactory(site__trust=trust, name="Willow Ward")
    offer = f.OfferFactory(shortfall=shift(ward, in_hours=30), practitioner=practitioner)
    f.OfferFactory(
        shortfall=shift(ward, in_hours=60), practitioner=practitioner, status=Offer.Status.DECLINED
    )
    client.force_login(practitioner.user)

    response = client.get("/offers/")

    assert [o.id for o in response.context["page"]] == [offer.id]
    html = response.content.decode()
    assert f'hx-post="/offers/{offer.id}/accept/"' in html
    assert f'hx-post="/offers/{offer.id}/decline/"' in html
    assert "X-CSRFToken" in html


def test_htmx_accept_books_the_shift_and_returns_the_fragment(client, trust, agency):
    practitioner = qualified(agency)
    offer = f.OfferFactory(
        shortfall=shift(f.WardFactory(site__trust=trust, name="Willow Ward"), in_hours=30),
        practitioner=practitioner,
    )
    client.force_login(practitioner.user)

    response = client.post(f"/offers/{offer.id}/accept/", **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Booked: Willow Ward" in html
    assert "<html" not in html
    assert Booking.objects.filter(practitioner=practitioner, shortfall=offer.shortfall).count() == 1


def test_losing_the_race_says_just_filled_and_offers_similar_shifts(client, trust, agency):
    winner, loser = qualified(agency), qualified(agency)
    ward = f.WardFactory(site__trust=trust, name="Willow Ward")
    contested = shift(ward, in_hours=30)
    similar = shift(f.WardFactory(site__trust=trust, name="Cedar Ward"), in_hours=40)
    winner_offer = f.OfferFactory(shortfall=contested, practitioner=winner)
    loser_offer = f.OfferFactory(shortfall=contested, practitioner=loser)
    accept_offer(offer_id=winner_offer.id, practitioner=winner)
    client.force_login(loser.user)

    response = client.post(f"/offers/{loser_offer.id}/accept/", **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Just filled" in html
    assert "Cedar Ward" in html
    assert [m.shortfall.id for m in response.context["similar"]] == [similar.id]
    assert not Booking.objects.filter(practitioner=loser).exists()


def test_htmx_decline_marks_the_offer_declined(client, trust, agency):
    practitioner = qualified(agency)
    offer = f.OfferFactory(
        shortfall=shift(f.WardFactory(site__trust=trust), in_hours=30), practitioner=practitioner
    )
    client.force_login(practitioner.user)

    response = client.post(f"/offers/{offer.id}/decline/", **HTMX)

    assert "Offer declined." in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DECLINED


def test_accept_without_htmx_redirects_to_the_inbox_with_a_message(client, trust, agency):
    practitioner = qualified(agency)
    offer = f.OfferFactory(
        shortfall=shift(f.WardFactory(site__trust=trust), in_hours=30), practitioner=practitioner
    )
    client.force_login(practitioner.user)

    response = client.post(f"/offers/{offer.id}/accept/", follow=True)

    assert response.redirect_chain == [("/offers/", 302)]
    assert "Booked." in response.content.decode()


def test_accepting_someone_elses_offer_is_not_found(client, trust, agency):
    offer = f.OfferFactory(
        shortfall=shift(f.WardFactory(site__trust=trust), in_hours=30), practitioner=qualified(agency)
    )
    client.force_login(qualified(agency).user)

    response = client.post(f"/offers/{offer.id}/accept/", **HTMX)

    assert "Not found." in response.content.decode()
    assert not Booking.objects.exists()


# --- Trust: post a shortfall and fill status ---------------------------------------------------


def test_posting_a_night_shift_takes_london_times_and_crosses_midnight(client, trust):
    ward = f.WardFactory(site__trust=trust, name="Willow Ward")
    client.force_login(f.TrustUserFactory(trust=trust))
    day = timezone.localdate() + dt.timedelta(days=3)

    response = client.post(
        "/shortfalls/new/",
        {
            "ward": ward.id,
            "role": f.role("rmn").id,
            "min_band": 5,
            "headcount": 2,
            "date": day.isoformat(),
            "start_time": "19:30",
            "end_time": "08:00",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/shortfalls/"
    shortfall = Shortfall.objects.get()
    assert shortfall.starts_at == dt.datetime.combine(day, dt.time(19, 30), tzinfo=LONDON)
    assert shortfall.ends_at == dt.datetime.combine(day + dt.timedelta(days=1), dt.time(8, 0), tzinfo=LONDON)
    assert (shortfall.headcount, shortfall.shift_type) == (2, Shortfall.ShiftType.NIGHT)


def test_an_invalid_shortfall_shows_errors_and_saves_nothing(client, trust):
    other_trust_ward = f.WardFactory()
    client.force_login(f.TrustUserFactory(trust=trust))

    response = client.post(
        "/shortfalls/new/",
        {
            "ward": other_trust_ward.id,
            "role": "",
            "min_band": 5,
            "headcount": 0,
            "date": "",
            "start_time": "x",
        },
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"ward", "role", "headcount", "date", "start_time", "end_time"}
    assert "There is a problem" in response.content.decode()
    assert not Shortfall.objects.exists()


def test_a_shift_in_the_past_is_refused_by_the_service(client, trust):
    ward = f.WardFactory(site__trust=trust)
    client.force_login(f.TrustUserFactory(trust=trust))
    day = timezone.localdate() - dt.timedelta(days=2)

    response = client.post(
        "/shortfalls/new/",
        {
            "ward": ward.id,
            "role": f.role("rmn").id,
            "min_band": 5,
            "headcount": 1,
            "date": day.isoformat(),
            "start_time": "07:00",
            "end_time": "19:30",
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"end_time": ["The shift has already ended."]}
    assert not Shortfall.objects.exists()


def test_fill_status_shows_counts_and_flags_staff_new_to_the_ward(client, trust, agency):
    ward = f.WardFactory(site__trust=trust, name="Willow Ward")
    shortfall = shift(ward, in_hours=30, headcount=2, status=Shortfall.Status.PARTIALLY_FILLED, wave=1)
    regular = qualified(agency, user__first_name="Sam", user__last_name="Regular")
    newcomer = qualified(agency, user__first_name="Jo", user__last_name="Newcomer")
    f.WardExperienceFactory(practitioner=regular, ward=ward)
    f.BookingFactory(shortfall=shortfall, practitioner=regular)
    f.BookingFactory(shortfall=shortfall, practitioner=newcomer, starts_at=shortfall.starts_at)
    f.OfferFactory(shortfall=shortfall, practitioner=qualified(agency))
    shift(f.WardFactory(), in_hours=30)  # another trust's
    client.force_login(f.TrustUserFactory(trust=trust))

    response = client.get("/shortfalls/status/", **HTMX)

    assert response.status_code == 200
    (row,) = response.context["shortfalls"]
    assert (row.id, row.booked_count, row.offers_out) == (shortfall.id, 2, 1)
    assert row.booked_staff == [
        {"name": regular.name, "is_new_to_ward": False},
        {"name": newcomer.name, "is_new_to_ward": True},
    ]
    html = response.content.decode()
    assert 'hx-trigger="every 3s"' in html
    assert "2 of 2" in html
    assert html.count("New to ward") == 1


def test_fill_status_page_is_not_found_for_practitioners(client, agency):
    client.force_login(qualified(agency).user)

    assert client.get("/shortfalls/").status_code == 404
    assert client.get("/shortfalls/new/").status_code == 404


# --- Agency dashboard --------------------------------------------------------------------------


def test_agency_dashboard_shows_fill_rate_by_trust_and_week(client, trust, agency):
    ward = f.WardFactory(site__trust=trust)
    filled = shift(ward, in_hours=30, status=Shortfall.Status.FILLED)
    f.BookingFactory(shortfall=filled, practitioner=qualified(agency))
    shift(ward, in_hours=30)
    day = timezone.localtime(filled.starts_at).date()
    rebuild_range(start=day - dt.timedelta(days=1), end=day + dt.timedelta(days=2))
    client.force_login(f.AgencyUserFactory(agency=agency))

    response = client.get("/")

    rows = response.context["fill_rates"]
    assert [(r["trust"], r["slots_requested"], r["slots_filled"], r["fill_rate"]) for r in rows] == [
        ("Moorside Trust", 2, 1, 0.5)
    ]
    assert "50%" in response.content.decode()
