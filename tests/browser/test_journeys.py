"""End-to-end journeys in a real browser: a trust posts a shortfall, the familiar practitioner sees
it ranked with the reason and accepts it without a page reload, the trust sees it filled and the
agency's table shows the fill; and the race a practitioner can lose."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jobs.analytics.rollups import refresh_day
from jobs.models import Offer, Shortfall
from jobs.services.cascade import advance_due_cascades
from jobs.services.offers import accept_offer
from tests import factories as f
from tests.browser.conftest import DESK, assert_accessible, log_in, screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

qualified = f.qualified_practitioner


def test_trust_posts_practitioner_accepts_trust_sees_it_filled(open_page):
    agency = f.AgencyFactory()
    trust = f.TrustFactory(agency=agency, name="Moorside Trust")
    ward = f.WardFactory(site__trust=trust, name="Willow Ward")
    f.WardFactory(site__trust=trust, name="Cedar Ward")
    f.TrustUserFactory(trust=trust, username="ward.manager")
    f.AgencyUserFactory(agency=agency, username="agency.desk")
    nurse = qualified(agency, user__username="nurse.sam", user__first_name="Sam")
    f.WardExperienceFactory(practitioner=nurse, ward=ward, shifts_worked=6)
    day = timezone.localdate() + dt.timedelta(days=2)

    # The trust posts a long day on Willow Ward.
    trust_page = open_page(DESK)
    log_in(trust_page, "ward.manager")
    trust_page.get_by_role("link", name="Post a shortfall").first.click()
    assert_accessible(trust_page)
    trust_page.get_by_label("Ward").select_option(label="Willow Ward")
    trust_page.get_by_label("Role").select_option(value=str(f.role("rmn").id))
    trust_page.get_by_label("Date").fill(day.isoformat())
    trust_page.get_by_label("Start time").fill("07:00")
    trust_page.get_by_label("End time").fill("19:30")
    trust_page.get_by_role("button", name="Post shortfall").click()
    trust_page.wait_for_url("**/shortfalls/")
    shortfall = Shortfall.objects.get()
    row = trust_page.locator(f"#shortfall-{shortfall.id}")
    assert "Open" in row.inner_text()
    assert "0 of 1" in row.inner_text()
    assert_accessible(trust_page)

    # The beat sweep would send wave 0 (familiar staff first); run it here instead of a worker.
    advance_due_cascades()
    assert Offer.objects.get().practitioner_id == nurse.id

    # The practitioner, on a phone, sees the shift ranked with the reason, then accepts the offer.
    phone = open_page()
    log_in(phone, "nurse.sam")
    phone.get_by_role("link", name="Roles for you").first.click()
    card = phone.locator(".card", has_text="Willow Ward")
    assert "Willow Ward" in card.locator(".reasons").inner_text()
    assert_accessible(phone)
    card.get_by_role("link", name="You have an offer for this shift: answer it").click()
    phone.wait_for_url("**/offers/**")
    assert_accessible(phone)
    phone.evaluate("window.stillTheSamePage = true")
    phone.get_by_role("button", name="Accept").click()
    phone.get_by_role("heading", name="Booked: Willow Ward").wait_for()
    assert phone.evaluate("window.stillTheSamePage") is True  # swapped in place, no reload
    assert_accessible(phone)
    screenshot(phone, "practitioner_accepts_offer")

    # The trust's status table polls: it turns to Filled without the manager reloading.
    row.get_by_text("Filled", exact=True).wait_for()
    assert "1 of 1" in row.inner_text()
    assert nurse.name in row.inner_text()
    assert "New to ward" not in row.inner_text()  # Sam knows Willow Ward
    assert_accessible(trust_page)
    screenshot(trust_page, "trust_sees_shortfall_filled")

    # The analytics worker would roll the day up after the booking; do it here, then the agency looks.
    refresh_day(trust_id=trust.id, day=timezone.localtime(shortfall.starts_at).date())
    agency_page = open_page(DESK)
    log_in(agency_page, "agency.desk")
    fill_row = agency_page.locator("section", has_text="Fill rate by trust and week").locator(
        "tr", has_text="Moorside Trust"
    )
    assert fill_row.locator("td").all_inner_texts()[1:] == ["1", "1", "100%", "100%"]
    assert_accessible(agency_page)
    screenshot(agency_page, "agency_dashboard_shows_fill")


def test_losing_the_race_shows_just_filled_and_similar_shifts(open_page):
    agency = f.AgencyFactory()
    trust = f.TrustFactory(agency=agency)
    ward = f.WardFactory(site__trust=trust, name="Willow Ward")
    start = (timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    contested = f.ShortfallFactory(ward=ward, starts_at=start, ends_at=start + dt.timedelta(hours=12))
    f.ShortfallFactory(
        ward=f.WardFactory(site__trust=trust, name="Cedar Ward"),
        starts_at=start + dt.timedelta(days=1),
        ends_at=start + dt.timedelta(days=1, hours=12),
    )
    winner = qualified(agency)
    loser = qualified(agency, user__username="nurse.jo")
    winner_offer = f.OfferFactory(shortfall=contested, practitioner=winner)
    f.OfferFactory(shortfall=contested, practitioner=loser)

    phone = open_page()
    log_in(phone, "nurse.jo")
    phone.goto("/offers/")
    accept_offer(offer_id=winner_offer.id, practitioner=winner)  # someone else is quicker
    phone.get_by_role("button", name="Accept").click()

    phone.get_by_role("heading", name="Just filled").wait_for()
    assert "Cedar Ward" in phone.locator(".card--warning").inner_text()
    assert (
        phone.locator("#offer-announcer").inner_text() == "Just filled: this shift has gone to someone else."
    )
    assert_accessible(phone)
    screenshot(phone, "practitioner_loses_the_race")
