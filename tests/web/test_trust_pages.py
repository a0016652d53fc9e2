"""Trust staff pages: CSV import (preview, confirm, idempotent, limits), one shortfall's fill status
with waves, offers and booked staff, cancel, rating a completed booking, preferred and do-not-book
lists. Every page scoped to the caller's trust: another trust's object is a 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jobs.models import Shortfall
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
