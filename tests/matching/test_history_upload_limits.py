"""Upload limits on the placement history import (issue 8): size, file type and binary content each
get a clear 400 and change nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from backend.practitioners.models import PlacementImport, WardExperience
from matching.history_import import MAX_BYTES
from tests import factories as f

HEADER = "trust,ward,shifts,first_worked,last_worked\n"


@pytest.fixture
def scene(db):
    agency_user = f.AgencyUserFactory()
    return {"agency": agency_user, "practitioner": f.PractitionerFactory(agency=agency_user.agency)}


def _upload(scene, client_for, name: str, content: bytes):
    upload = SimpleUploadedFile(name, content, content_type="text/csv")
    return client_for(scene["agency"]).post(
        f"/api/v1/practitioners/{scene['practitioner'].id}/history/", {"file": upload}, format="multipart"
    )


def _assert_nothing_changed():
    assert not PlacementImport.objects.exists()
    assert not WardExperience.objects.exists()


def test_a_file_over_one_megabyte_is_refused_with_the_limit(scene, client_for):
    response = _upload(scene, client_for, "history.csv", HEADER.encode() + b"x" * MAX_BYTES)

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "message": "The file is larger than 1 MB.",
        "extra": {"max_bytes": MAX_BYTES},
    }
    _assert_nothing_changed()


@pytest.mark.parametrize("name", ["history.xlsx", "history.exe", "history"])
def test_a_file_that_is_not_a_csv_is_refused(scene, client_for, name):
    response = _upload(scene, client_for, name, HEADER.encode())

    assert response.status_code == 400
    assert response.json()["extra"] == {
        "fields": {"file": ["Upload a .csv file (save the sheet as CSV UTF-8)."]}
    }
    _assert_nothing_changed()


def test_binary_content_behind_a_csv_name_is_refused(scene, client_for):
    response = _upload(scene, client_for, "history.csv", b"PK\x03\x04\x00\x00" + HEADER.encode())

    assert response.status_code == 400
    assert response.json()["message"] == "The file is not a CSV text file (it contains binary data)."
    _assert_nothing_changed()
