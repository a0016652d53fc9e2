"""Trust and agency staff journeys in a real browser: the CSV import preview with a bad row (error
shown, nothing saved, then the good rows confirmed), the agency dashboard's charts, the urgent
queue and a shortfall's candidates. Each saves a screenshot and passes axe (no serious/critical)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jobs.models import Shortfall
from tests import factories as f
from tests.browser.conftest import DESK, PHONE, SCREENSHOTS, assert_accessible, log_in, screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_trust_imports_a_csv_sees_the_bad_row_then_confirms_the_good_rows(open_page):
    trust = f.TrustFactory(name="Moorside Trust")
    willow = f.WardFactory(site__trust=trust, name="Willow Ward")
    f.WardFactory(site__trust=trust, name="Cedar Ward")
    f.TrustUserFactory(trust=trust, username="roster.office")
    day = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    csv_path = SCREENSHOTS.parent / "roster-export.csv"
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    csv_path.write_text(
        "external_reference,ward,role,band,date,start,end,headcount,notes\n"
        f"ER-1,Willow Ward,RMN,5,{day},07:30,20:00,1,\n"
        f"ER-2,Wilow Wrd,HCA,3,{day},20:00,08:00,2,Night\n"
        f"ER-3,Willow Unit,RMN,5,{day},07:30,20:00,1,\n"
    )

    page = open_page(PHONE)
    log_in(page, "roster.office")
    page.get_by_role("link", name="Import CSV").click()
    assert_accessible(page)
    page.get_by_label("CSV file from your e-roster").set_input_files(str(csv_path))
    page.get_by_role("button", name="Check the file").click()

    page.get_by_role("heading", name="Check the shortfalls before importing").wait_for()
    bad_row = page.locator("#row-4")
    assert "Ward 'Willow Unit' did not match one of your wards." in bad_row.inner_text()
    assert "Did you mean Willow Ward?" in bad_row.inner_text()
    assert "from “Wilow Wrd”" in page.locator("#row-3").inner_text()  # the typo resolved, shown
    assert Shortfall.objects.count() == 0  # the preview saved nothing
    assert_accessible(page)
    screenshot(page, "trust_csv_preview_with_bad_row")

    page.get_by_role("button", name="Import 2 ready shortfalls").click()
    page.wait_for_url("**/shortfalls/")
    assert "Imported 2 shortfalls. 1 with errors left out." in page.locator(".notices").inner_text()
    assert sorted(Shortfall.objects.values_list("external_reference", flat=True)) == ["ER-1", "ER-2"]
    assert set(Shortfall.objects.values_list("ward_id", flat=True)) == {willow.id}
    assert_accessible(page)
    screenshot(page, "trust_csv_imported")

    # The same file again: everything it holds is already there.
    page.goto("/shortfalls/import/")
    page.get_by_label("CSV file from your e-roster").set_input_files(str(csv_path))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_text("There is nothing new to import from this file.").wait_for()
    assert Shortfall.objects.count() == 2


def test_a_file_that_is_not_csv_gets_a_clear_error(open_page):
    trust = f.TrustFactory()
    f.TrustUserFactory(trust=trust, username="roster.office")
    path = SCREENSHOTS.parent / "roster.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK\x03\x04 not a csv")

    page = open_page(DESK)
    log_in(page, "roster.office")
    page.goto("/shortfalls/import/")
    page.get_by_label("CSV file from your e-roster").set_input_files(str(path))
    page.get_by_role("button", name="Check the file").click()

    summary = page.get_by_role("alert")
    assert "The file must be a CSV file (.csv)." in summary.inner_text()
    assert_accessible(page)
    assert Shortfall.objects.count() == 0
