"""Candidates, roles-for-you and assignment preview against PostgreSQL through the ORM adapter."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.practitioners.models import PractitionerListing
from matching.candidates import load_practitioners
from tests import factories as f

_qualified = f.qualified_practitioner


@pytest.fixture
def scene(db):
    agency_user = f.AgencyUserFactory(username="agency_user")
    trust = f.TrustFactory(agency=agency_user.agency)
    ward = f.WardFactory(site=f.SiteFactory(trust=trust), name="Willow Ward")
    shortfall = f.ShortfallFactory(ward=ward, headcount=1)
    familiar = _qualified(
        agency=agency_user.agency, user=f.UserFactory(first_name="Femi", last_name="Adeyemi")
    )
    f.WardExperienceFactory(
        practitioner=familiar,
        ward=ward,
        shifts_worked=6,
        last_worked_at=timezone.now() - dt.timedelta(days=12),
    )
    stranger = _qualified(agency=agency_user.agency, user=f.UserFactory(first_name="Sam", last_name="Lee"))
    unverified = f.PractitionerFactory(agency=agency_user.agency)  # holds no verified credentials
    trust_user = f.TrustUserFactory(trust=trust)
    return {
        "agency": agency_user,
        "trust_user": trust_user,
        "ward": ward,
        "shortfall": shortfall,
        "familiar": familiar,
        "stranger": stranger,
        "unverified": unverified,
    }


def test_candidates_put_the_practitioner_who_knows_the_ward_first_with_the_reason(scene, client_for):
    url = f"/api/v1/shortfalls/{scene['shortfall'].id}/candidates/"

    body = client_for(scene["trust_user"]).get(url).json()

    ids = [c["practitioner"]["id"] for c in body["candidates"]]
    assert ids == [scene["familiar"].id, scene["stranger"].id]
    assert body["eligible_count"] == 2
    first = body["candidates"][0]
    assert first["is_familiar"] is True
    assert any("Willow Ward 6 times" in reason and "12 days ago" in reason for reason in first["reasons"])
    assert body["candidates"][1]["is_familiar"] is False
    assert "ineligible" not in body


def test_agency_sees_why_a_practitioner_is_not_a_candidate(scene, client_for):
    url = f"/api/v1/shortfalls/{scene['shortfall'].id}/candidates/?include_ineligible=1"

    body = client_for(scene["agency"]).get(url).json()

    (miss,) = body["ineligible"]
    assert miss["practitioner"]["id"] == scene["unverified"].id
    assert miss["blockers"] == [
        {"code": "credential", "detail": "No Core mandatory training on file"},
        {"code": "credential", "detail": "No Enhanced DBS (adults) on file"},
        {"code": "credential", "detail": "No Right to work on file"},
    ]


def test_trust_staff_may_not_ask_for_blockers(scene, client_for):
    url = f"/api/v1/shortfalls/{scene['shortfall'].id}/candidates/?include_ineligible=1"

    response = client_for(scene["trust_user"]).get(url)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_do_not_book_listing_removes_a_candidate(scene, client_for):
    PractitionerListing.objects.create(
        trust=scene["ward"].trust,
        practitioner=scene["familiar"],
        kind=PractitionerListing.Kind.DO_NOT_BOOK,
        reason="Conduct concern under review",
    )

    body = (
        client_for(scene["trust_user"]).get(f"/api/v1/shortfalls/{scene['shortfall'].id}/candidates/").json()
    )

    assert [c["practitioner"]["id"] for c in body["candidates"]] == [scene["stranger"].id]


def test_roles_for_you_lists_the_open_shift_with_reasons(scene, client_for):
    body = client_for(scene["familiar"].user).get("/api/v1/roles/").json()

    assert [row["shortfall"] for row in body["results"]] == [scene["shortfall"].id]
    row = body["results"][0]
    assert row["ward"] == "Willow Ward"
    assert any("Willow Ward" in reason for reason in row["reasons"])


def test_roles_for_you_hides_shifts_the_practitioner_cannot_take(scene, client_for):
    f.ShortfallFactory(ward=scene["ward"], min_band=7)  # above their band 5
    f.ShortfallFactory(ward=scene["ward"], role=f.role("hca"), min_band=3)  # another role
    far_ward = f.WardFactory(
        site=f.SiteFactory(trust=scene["ward"].trust, latitude=51.5, longitude=-0.12),
        latitude=51.5,
        longitude=-0.12,
    )  # London, beyond a 30 km radius from Manchester
    f.ShortfallFactory(ward=far_ward)

    body = client_for(scene["stranger"].user).get("/api/v1/roles/").json()

    assert [row["shortfall"] for row in body["results"]] == [scene["shortfall"].id]


def test_roles_free_text_search_resolves_a_setting(scene, client_for):
    picu = f.WardFactory(site=scene["ward"].site, name="Juniper", setting=f.setting("picu"))
    f.ShortfallFactory(ward=picu)  # stranger lacks PMVA, so only the acute shift could show

    found = client_for(scene["stranger"].user).get("/api/v1/roles/", {"q": "adult acute ward"}).json()
    none = (
        client_for(scene["stranger"].user).get("/api/v1/roles/", {"q": "psychiatric intensive care"}).json()
    )

    assert [row["shortfall"] for row in found["results"]] == [scene["shortfall"].id]
    assert none["results"] == []


def test_assignment_preview_fills_the_open_slot_with_the_best_candidate(scene, client_for):
    body = (
        client_for(scene["agency"])
        .post("/api/v1/assignments/preview/", {"time_limit": 5}, format="json")
        .json()
    )

    assert (body["open_slots"], body["filled"]) == (1, 1)
    assert body["assignments"][0]["shortfall"] == scene["shortfall"].id
    assert body["assignments"][0]["practitioner"] == scene["familiar"].id
    assert body["percent_of_bound"] == pytest.approx(100.0)


def test_loading_the_pool_takes_the_same_number_of_queries_for_2_or_20_practitioners(scene):
    with CaptureQueriesContext(connection) as few:
        load_practitioners(now=timezone.now())
    for _ in range(18):
        _qualified(agency=scene["agency"].agency)
    with CaptureQueriesContext(connection) as many:
        people = load_practitioners(now=timezone.now())

    assert len(people) == 21
    assert len(many.captured_queries) == len(few.captured_queries)
