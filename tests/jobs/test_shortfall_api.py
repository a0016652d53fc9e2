"""Posting, listing and cancelling shortfalls through /api/v1/shortfalls/."""

from __future__ import annotations

import pytest

from jobs.models import Booking, Offer, Shortfall
from tests import factories as f
from tests.api.world import build_world, shift_body

URL = "/api/v1/shortfalls/"


@pytest.fixture
def world(db):
    return build_world()


def test_trust_staff_post_a_shortfall_on_their_ward(world, client_for):
    before = Shortfall.objects.filter(ward=world.ward_a).count()

    response = client_for(world.users["trust_a"]).post(URL, shift_body(world), format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["ward"], body["trust"], body["role"], body["headcount"], body["status"]) == (
        world.ward_a.id,
        world.trust_a.id,
        "rmn",
        2,
        "open",
    )
    assert body["shift_type"] == "long_day"
    assert Shortfall.objects.filter(ward=world.ward_a).count() == before + 1
    assert Shortfall.objects.get(id=body["id"]).next_wave_at is not None  # the cascade is due


def test_same_external_reference_posted_twice_creates_one_shortfall(world, client_for):
    client = client_for(world.users["trust_a"])
    first = client.post(URL, shift_body(world, external_reference="ROSTER-991"), format="json")
    second = client.post(URL, shift_body(world, external_reference="ROSTER-991"), format="json")

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] == second.json()["id"]
    assert Shortfall.objects.filter(external_reference="ROSTER-991").count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_at": "2026-01-01T00:00:00Z", "starts_at": "2026-01-01T08:00:00Z"}, "ends_at"),
        ({"headcount": 0}, "headcount"),
        ({"headcount": "two"}, "headcount"),
        ({"min_band": 12}, "min_band"),
        ({"ward": 999999}, "ward"),
        ({"ward": "Willow"}, "ward"),
        ({"role": "astronaut"}, "role"),
        ({"starts_at": "next tuesday"}, "starts_at"),
        ({"hourly_rate": "40.00", "rate_cap": "35.00"}, "hourly_rate"),
    ],
)
def test_invalid_shortfall_is_refused_with_field_errors_and_nothing_written(
    world, client_for, overrides, field
):
    count_before = Shortfall.objects.count()

    response = client_for(world.users["trust_a"]).post(URL, shift_body(world, **overrides), format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in body["extra"]["fields"]
    assert Shortfall.objects.count() == count_before


def test_malformed_json_is_a_clear_400_and_nothing_written(world, client_for):
    count_before = Shortfall.objects.count()

    response = client_for(world.users["trust_a"]).post(URL, '{"ward": 1,', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"
    assert Shortfall.objects.count() == count_before


def test_shift_in_the_past_is_refused(world, client_for):
    body = shift_body(world, starts_at="2020-01-01T07:30:00Z", ends_at="2020-01-01T20:00:00Z")

    response = client_for(world.users["trust_a"]).post(URL, body, format="json")

    assert response.status_code == 400
    assert "ends_at" in response.json()["extra"]["fields"]


def test_list_filters_by_status_role_and_date_range(world, client_for):
    later = f.ShortfallFactory(
        ward=world.ward_a,
        starts_at=world.shortfall_a.starts_at.replace(year=2030),
        ends_at=world.shortfall_a.ends_at.replace(year=2030),
    )
    f.ShortfallFactory(ward=world.ward_a, role=f.role("hca"), min_band=3)
    client = client_for(world.users["trust_a"])

    by_role = client.get(URL, {"role": "hca"}).json()
    after_2029 = client.get(URL, {"starts_after": "2029-12-31T00:00:00Z"}).json()

    assert [row["role"] for row in by_role["results"]] == ["hca"]
    assert [row["id"] for row in after_2029["results"]] == [later.id]


def test_trust_staff_limited_to_one_ward_see_only_that_ward(world, client_for):
    other_ward = f.WardFactory(site=world.site_a, name="Cedar Ward")
    f.ShortfallFactory(ward=other_ward)
    ward_manager = f.TrustUserFactory(trust=world.trust_a)
    ward_manager.wards.set([other_ward])

    listed = client_for(ward_manager).get(URL).json()["results"]

    assert [row["ward"] for row in listed] == [other_ward.id]


def test_cancel_withdraws_open_offers_and_cancels_bookings_in_one_go(world, client_for):
    shortfall = f.ShortfallFactory(ward=world.ward_a, headcount=2)
    open_offer = f.OfferFactory(shortfall=shortfall, practitioner=world.practitioner_x)
    booking = f.BookingFactory(shortfall=shortfall, practitioner=world.practitioner_y)

    response = client_for(world.users["trust_a"]).post(
        f"{URL}{shortfall.id}/cancel/", {"reason": "Patient discharged"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert Offer.objects.get(id=open_offer.id).status == Offer.Status.WITHDRAWN
    assert Booking.objects.get(id=booking.id).status == Booking.Status.CANCELLED_BY_TRUST


def test_cancelling_twice_is_a_409_and_changes_nothing(world, client_for):
    client = client_for(world.users["trust_a"])
    url = f"{URL}{world.shortfall_a.id}/cancel/"
    client.post(url, {"reason": "First"}, format="json")

    response = client.post(url, {"reason": "Second"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "shortfall_closed"
    assert Shortfall.objects.get(id=world.shortfall_a.id).cancel_reason == "First"
