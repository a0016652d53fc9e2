"""Trust and agency staff journeys in a real browser: the CSV import preview with a bad row (error
shown, nothing saved, then the good rows confirmed), the agency dashboard's charts, the urgent
queue and a shortfall's candidates. Each saves a screenshot and passes axe (no serious/critical)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jobs.analytics.rollups import rebuild_range
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


def _agency_with_history():
    agency = f.AgencyFactory()
    trust = f.TrustFactory(agency=agency, name="Moorside Trust")
    willow = f.WardFactory(site__trust=trust, name="Willow Ward")
    cedar = f.WardFactory(site__trust=trust, name="Cedar Ward")
    f.AgencyUserFactory(agency=agency, username="agency.desk")
    return agency, trust, willow, cedar


def _shift(ward, *, in_hours: float, **kwargs):
    start = (timezone.now() + dt.timedelta(hours=in_hours)).replace(second=0, microsecond=0)
    return f.ShortfallFactory(ward=ward, starts_at=start, ends_at=start + dt.timedelta(hours=12), **kwargs)


def test_agency_dashboard_shows_charts_tables_and_csv(open_page):
    agency, trust, willow, cedar = _agency_with_history()
    nurse = f.qualified_practitioner(agency)
    for days_ago, ward, is_filled in [
        (20, willow, True),
        (13, willow, True),
        (13, cedar, False),
        (6, cedar, True),
    ]:
        start = timezone.now() - dt.timedelta(days=days_ago)
        shortfall = f.ShortfallFactory(
            ward=ward,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=12),
            posted_at=start - dt.timedelta(days=2),
            status=Shortfall.Status.FILLED if is_filled else Shortfall.Status.EXPIRED,
        )
        if is_filled:
            f.BookingFactory(shortfall=shortfall, practitioner=nurse, status="completed")
    today = timezone.localdate()
    rebuild_range(start=today - dt.timedelta(days=30), end=today)

    page = open_page(DESK)
    log_in(page, "agency.desk")
    page.get_by_role("link", name="Fill rates", exact=True).click()
    page.get_by_role("heading", name="Fill-rate dashboard").wait_for()
    assert page.locator("svg[role=img]").count() == 5
    assert "75%" in page.locator(".stat-list").inner_text()  # 3 of 4 slots
    page.get_by_text("Table: by ward").click()
    ward_table = page.get_by_role("region", name="Fill rate by ward (scrolls sideways)")
    assert "Willow Ward" in ward_table.inner_text() and "100%" in ward_table.inner_text()
    assert_accessible(page)
    screenshot(page, "agency_dashboard")

    with page.expect_download() as download:
        page.get_by_role("link", name="Fill rates by trust (CSV)").click()
    text = download.value.path().read_text()
    assert text.splitlines()[0].startswith("period_start,trust_id,trust_name,")

    phone = open_page(PHONE)
    log_in(phone, "agency.desk")
    phone.goto("/agency/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375  # nothing forces sideways scroll
    assert_accessible(phone)
    screenshot(phone, "agency_dashboard_phone")


def test_agency_urgent_queue_escalates_and_broadens(open_page):
    agency, trust, willow, cedar = _agency_with_history()
    soon = _shift(willow, in_hours=5, wave=0, next_wave_at=timezone.now() + dt.timedelta(minutes=20))
    later = _shift(cedar, in_hours=30)

    page = open_page(PHONE)
    log_in(page, "agency.desk")
    page.get_by_role("link", name="Urgent", exact=True).click()
    cards = page.locator(".card-list > li")
    assert cards.count() == 2
    assert "Willow Ward" in cards.nth(0).inner_text() and "Cedar Ward" in cards.nth(1).inner_text()
    assert_accessible(page)
    screenshot(page, "agency_urgent_queue")

    page.locator(f"#urgent-{soon.id}").get_by_role("button", name="Escalate").click()
    page.get_by_text("Escalated Willow Ward: offers go to everyone eligible now.").wait_for()
    assert "Escalated" in page.locator(f"#urgent-{soon.id}").inner_text()
    soon.refresh_from_db()
    assert soon.escalated_at is not None

    card = page.locator(f"#urgent-{later.id}")
    card.locator("summary", has_text="Broaden").click()
    card.get_by_label("Extra travel radius (km)").fill("25")
    card.get_by_role("button", name="Broaden and re-match").click()
    page.get_by_text("Broadened Cedar Ward: matching runs again now.").wait_for()
    later.refresh_from_db()
    assert later.extra_radius_km == 25
    assert_accessible(page)


def test_agency_sees_candidates_with_reasons_and_blockers(open_page):
    agency, trust, willow, cedar = _agency_with_history()
    familiar = f.qualified_practitioner(agency, user__first_name="Sam", user__last_name="Okafor")
    f.WardExperienceFactory(practitioner=familiar, ward=willow, shifts_worked=6)
    lapsed = f.qualified_practitioner(agency, user__first_name="Jo", user__last_name="Blake")
    lapsed.registration_expires_on = timezone.localdate() - dt.timedelta(days=1)
    lapsed.save()
    shortfall = _shift(willow, in_hours=30)

    page = open_page(PHONE)
    log_in(page, "agency.desk")
    page.goto("/agency/urgent/")
    page.locator(f"#urgent-{shortfall.id}").get_by_role("link", name="Candidates").click()
    page.get_by_role("heading", name="Candidates for Willow Ward").wait_for()
    eligible = page.locator("section").nth(0)
    assert "Sam Okafor" in eligible.inner_text() and "Knows this ward" in eligible.inner_text()
    assert "Willow Ward" in eligible.locator(".reasons").inner_text()
    blocked = page.locator("section").nth(1)
    assert "Jo Blake" in blocked.inner_text()
    assert blocked.locator(".blockers li").count() >= 1
    assert_accessible(page)
    screenshot(page, "agency_candidates")


def test_trust_rates_a_completed_shift_keeps_lists_and_cancels_a_shortfall(open_page):
    trust = f.TrustFactory(name="Moorside Trust")
    willow = f.WardFactory(site__trust=trust, name="Willow Ward")
    f.TrustUserFactory(trust=trust, username="ward.manager")
    nurse = f.qualified_practitioner(trust.agency, user__first_name="Sam", user__last_name="Okafor")
    start = timezone.now() - dt.timedelta(days=2)
    worked = f.ShortfallFactory(ward=willow, starts_at=start, ends_at=start + dt.timedelta(hours=12))
    f.BookingFactory(shortfall=worked, practitioner=nurse, status="completed")
    upcoming = _shift(willow, in_hours=48)

    page = open_page(PHONE)
    log_in(page, "ward.manager")
    page.get_by_role("link", name="Rate shifts").click()
    page.get_by_role("link", name="Rate Sam Okafor").click()
    page.get_by_role("button", name="Save rating").click()  # nothing chosen: the error, nothing saved
    assert "Choose a rating from 1 to 5." in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.get_by_label("5 – excellent").check()
    page.get_by_role("button", name="Save rating").click()
    page.get_by_text("Thank you: your rating of Sam Okafor is saved.").wait_for()
    assert "5 of 5" in page.locator("table").inner_text()
    assert_accessible(page)

    page.get_by_role("link", name="Lists").click()
    page.get_by_label("Practitioner").select_option(label="Sam Okafor")
    page.get_by_role("radio", name="Preferred").check()
    page.get_by_label("Reason").fill("Knows our patients well")
    page.get_by_role("button", name="Add to the list").click()
    page.get_by_text("Sam Okafor is now on your preferred list.").wait_for()
    assert "Knows our patients well" in page.locator("section").nth(0).inner_text()
    assert_accessible(page)
    screenshot(page, "trust_lists")

    page.goto(f"/shortfalls/{upcoming.id}/")
    page.get_by_label("Reason for cancelling").fill("Ward closed for refurbishment")
    page.get_by_role("button", name="Cancel the shift").click()
    page.get_by_text("Cancelled Willow Ward: open offers withdrawn, booked staff told.").wait_for()
    upcoming.refresh_from_db()
    assert upcoming.status == Shortfall.Status.CANCELLED
    assert_accessible(page)
    screenshot(page, "trust_shortfall_cancelled")


def test_agency_verifies_an_expiring_credential_and_reads_the_delivery_log(open_page):
    agency, trust, willow, cedar = _agency_with_history()
    nurse = f.PractitionerFactory(agency=agency, user__first_name="Sam", user__last_name="Okafor")
    credential = f.CredentialFactory(
        practitioner=nurse, expires_on=timezone.localdate() + dt.timedelta(days=9)
    )

    page = open_page(PHONE)
    log_in(page, "agency.desk")
    page.get_by_role("link", name="Credentials", exact=True).click()
    row = page.locator(f"#credential-{credential.id}")
    assert "Not yet" in row.inner_text()
    assert_accessible(page)
    row.get_by_role("button", name="Verify").click()
    page.get_by_text("Verified ").first.wait_for()
    credential.refresh_from_db()
    assert credential.verified_at is not None
    assert "Verify" not in page.locator(f"#credential-{credential.id}").inner_text()
    assert_accessible(page)
    screenshot(page, "agency_credentials_verified")

    page.get_by_role("link", name="Deliveries", exact=True).click()
    page.get_by_text("No deliveries yet.").wait_for()
    assert_accessible(page)
