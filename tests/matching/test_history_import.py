"""Importing past placements into the continuity ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from backend.practitioners.models import PlacementImport, PlacementReviewItem, WardExperience
from tests import factories as f

HEADER = "trust,ward,shifts,first_worked,last_worked\n"


@pytest.fixture
def scene(db):
    agency_user = f.AgencyUserFactory()
    trust = f.TrustFactory(
        agency=agency_user.agency, name="Pennine Care NHS Foundation Trust", ods_code="RT2"
    )
    site = f.SiteFactory(trust=trust)
    ward7 = f.WardFactory(site=site, name="Ward 7 (Acute)", aliases=["Ward Seven"])
    ward8 = f.WardFactory(site=site, name="Ward 8 (Acute)")
    willow = f.WardFactory(site=site, name="Willow Ward")
    practitioner = f.PractitionerFactory(agency=agency_user.agency)
    return {
        "agency": agency_user,
        "practitioner": practitioner,
        "ward7": ward7,
        "ward8": ward8,
        "willow": willow,
    }


def _upload(client, practitioner, text: str, name: str = "history.csv"):
    upload = SimpleUploadedFile(name, text.encode())
    return client.post(
        f"/api/v1/practitioners/{practitioner.id}/history/", {"file": upload}, format="multipart"
    )


def test_rows_with_free_text_names_resolve_into_the_ledger(scene, client_for):
    text = (
        HEADER + "Pennine Care,ward seven acute,6,2025-03-01,2025-09-30\nRT2,willow,2,01/10/2025,15/10/2025\n"
    )

    response = _upload(client_for(scene["agency"]), scene["practitioner"], text)

    assert response.status_code == 201
    assert (response.json()["rows_imported"], response.json()["rows_for_review"]) == (2, 0)
    ledger = {
        row.ward_id: (row.shifts_worked, row.first_worked_at.date(), row.last_worked_at.date(), row.source)
        for row in WardExperience.objects.filter(practitioner=scene["practitioner"])
    }
    assert ledger == {
        scene["ward7"].id: (6, dt.date(2025, 3, 1), dt.date(2025, 9, 30), "import"),
        scene["willow"].id: (2, dt.date(2025, 10, 1), dt.date(2025, 10, 15), "import"),
    }


def test_an_unclear_ward_goes_to_review_with_suggestions_instead_of_a_guess(scene, client_for):
    f.WardFactory(site=scene["willow"].site, name="Willowbank Ward")
    text = (
        HEADER + "Pennine Care,Ward 9,4,2025-03-01,2025-04-01\nPennine Care,willow,3,2025-03-01,2025-04-01\n"
    )

    body = _upload(client_for(scene["agency"]), scene["practitioner"], text).json()

    assert (body["rows_imported"], body["rows_for_review"]) == (0, 2)
    assert [item["row_number"] for item in body["review_items"]] == [2, 3]
    ward_nine, willow = body["review_items"]
    assert ward_nine["suggestions"] == []  # no ward 9: nothing to suggest, nothing guessed
    assert {s["ward"] for s in willow["suggestions"]} == {"Willow Ward", "Willowbank Ward"}
    assert not WardExperience.objects.filter(practitioner=scene["practitioner"]).exists()


def test_an_unknown_trust_goes_to_review(scene, client_for):
    body = _upload(
        client_for(scene["agency"]),
        scene["practitioner"],
        HEADER + "xyzzy banana,Willow,1,2025-01-01,2025-01-02\n",
    ).json()

    assert body["rows_for_review"] == 1
    assert "did not match" in body["review_items"][0]["problem"]


def test_the_same_file_twice_imports_once(scene, client_for):
    client = client_for(scene["agency"])
    text = HEADER + "Pennine Care,Willow Ward,5,2025-03-01,2025-04-01\n"

    first, second = _upload(client, scene["practitioner"], text), _upload(client, scene["practitioner"], text)

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert WardExperience.objects.get(practitioner=scene["practitioner"]).shifts_worked == 5


def test_import_adds_to_existing_continuity_and_widens_its_dates(scene, client_for):
    f.WardExperienceFactory(
        practitioner=scene["practitioner"],
        ward=scene["willow"],
        shifts_worked=4,
        first_worked_at=dt.datetime(2025, 6, 1, 8, tzinfo=dt.UTC),
        last_worked_at=dt.datetime(2025, 8, 1, 8, tzinfo=dt.UTC),
    )

    _upload(
        client_for(scene["agency"]),
        scene["practitioner"],
        HEADER + "RT2,Willow Ward,3,2025-01-10,2025-02-01\n",
    )

    row = WardExperience.objects.get(practitioner=scene["practitioner"], ward=scene["willow"])
    assert (row.shifts_worked, row.first_worked_at.date(), row.last_worked_at.date()) == (
        7,
        dt.date(2025, 1, 10),
        dt.date(2025, 8, 1),
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("trust,ward\nPennine,Willow\n", "missing_columns"),
        (HEADER + "Pennine Care,Willow Ward,many,2025-01-01,2025-01-02\n", "not a whole number"),
        (HEADER + "Pennine Care,Willow Ward,2,2025-02-01,2025-01-01\n", "after last_worked"),
        (HEADER + "Pennine Care,Willow Ward,2,yesterday,2025-01-01\n", "not a date"),
        (HEADER, "no placement rows"),
    ],
)
def test_a_bad_file_changes_nothing(scene, client_for, text, fragment):
    good_then_bad = (
        text
        if fragment in ("missing_columns", "no placement rows")
        else HEADER + "Pennine Care,Ward 7 (Acute),2,2025-01-01,2025-01-02\n" + text[len(HEADER) :]
    )

    response = _upload(client_for(scene["agency"]), scene["practitioner"], good_then_bad)

    assert response.status_code == 400
    assert fragment in response.content.decode()
    assert not WardExperience.objects.exists()
    assert not PlacementImport.objects.exists()
    assert not PlacementReviewItem.objects.exists()


def test_non_utf8_file_is_a_clear_error(scene, client_for):
    upload = SimpleUploadedFile(
        "history.csv", (HEADER + "Pénine,Willow,1,2025-01-01,2025-01-02\n").encode("latin-1")
    )

    response = client_for(scene["agency"]).post(
        f"/api/v1/practitioners/{scene['practitioner'].id}/history/", {"file": upload}, format="multipart"
    )

    assert response.status_code == 400
    assert "UTF-8" in response.json()["message"]
