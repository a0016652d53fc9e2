"""The practitioner's own pages in a real browser on a phone-sized screen: cancelling a booking
(with the late-cancellation warning, no page reload), the credentials page with an upload, the
notification settings and calendar link, availability, and reaching the main actions by keyboard
with a visible focus ring. Each journey saves a screenshot and passes axe-core."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.practitioners.models import Availability, Credential
from jobs.models import Booking
from notifications.models import CalendarFeed, NotificationPreference
from tests import factories as f
from tests.browser.conftest import assert_accessible, log_in, screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PDF = b"%PDF-1.4\n%evidence for a browser test\n"
MAX_TABS = 60


def booked(practitioner, *, in_hours: float, ward_name: str) -> Booking:
    start = (timezone.now() + dt.timedelta(hours=in_hours)).replace(second=0, microsecond=0)
    shortfall = f.ShortfallFactory(
        ward=f.WardFactory(name=ward_name), starts_at=start, ends_at=start + dt.timedelta(hours=12)
    )
    return f.BookingFactory(shortfall=shortfall, practitioner=practitioner)


@pytest.fixture
def nurse():
    return f.qualified_practitioner(f.AgencyFactory(), user__username="nurse.sam", user__first_name="Sam")


def focus_ring(page) -> dict:
    """The focused element's name and the outline that shows it has focus."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim(),
                    tag: el.tagName, outlineStyle: style.outlineStyle,
                    outlineWidth: parseFloat(style.outlineWidth), outlineColor: style.outlineColor};
        }"""
    )


def tab_to(page, text: str) -> dict:
    """Press Tab until the focused element's text starts with `text`; fail after MAX_TABS."""
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = focus_ring(page)
        seen.append(focused["text"][:40])
        if focused["text"].startswith(text):
            return focused
    raise AssertionError(f"Tab never reached {text!r}; focus went through {seen}")


def assert_focus_visible(focused: dict) -> None:
    assert focused["outlineStyle"] == "solid", focused
    assert focused["outlineWidth"] >= 3, focused
    assert focused["outlineColor"] == "rgb(255, 221, 0)", focused  # the yellow ring in site.css


def test_cancelling_a_booking_under_12_hours_warns_then_cancels_in_place(open_page, nurse):
    soon = booked(nurse, in_hours=5, ward_name="Willow Ward")
    booked(nurse, in_hours=72, ward_name="Cedar Ward")

    phone = open_page()
    log_in(phone, "nurse.sam")
    phone.get_by_role("link", name="Bookings", exact=True).click()
    phone.wait_for_url("**/bookings/")
    assert_accessible(phone)
    phone.evaluate("window.stillTheSamePage = true")

    card = phone.locator(f"#booking-{soon.id}")
    card.get_by_role("link", name="Cancel booking").click()
    card.get_by_role("heading", name="Cancel Willow Ward?").wait_for()
    assert "This shift starts in less than 12 hours." in card.inner_text()
    assert_accessible(phone)
    screenshot(phone, "practitioner_cancel_warning")

    # Confirming without a reason is refused in place; the booking stays.
    card.get_by_role("button", name="Yes, cancel this booking").click()
    card.get_by_text("Tell the trust why you are cancelling.").first.wait_for()
    soon.refresh_from_db()
    assert soon.status == Booking.Status.CONFIRMED

    card.get_by_label("Why are you cancelling?").fill("Unwell")
    card.get_by_role("button", name="Yes, cancel this booking").click()
    phone.get_by_role("heading", name="Cancelled: Willow Ward").wait_for()
    assert phone.evaluate("window.stillTheSamePage") is True  # swapped in place, no reload
    assert "recorded as a late cancellation" in phone.locator(f"#booking-{soon.id}").inner_text()
    assert "late cancellation" in phone.locator("#booking-announcer").inner_text()
    assert phone.locator("#bookings-count").inner_text() == "1 upcoming booking. Times are UK time."
    assert_accessible(phone)
    screenshot(phone, "practitioner_booking_cancelled")
    soon.refresh_from_db()
    assert (soon.status, soon.is_late_cancellation) == (Booking.Status.CANCELLED_BY_PRACTITIONER, True)

    phone.get_by_role("link", name="Past and cancelled").click()
    phone.wait_for_url("**/bookings/?when=past")
    past = phone.locator(f"#booking-{soon.id}")
    assert "Cancelled by practitioner" in past.inner_text()
    assert "Late cancellation" in past.inner_text()
    assert_accessible(phone)


def test_credentials_page_shows_expiry_and_takes_an_upload(open_page, nurse, tmp_path):
    today = timezone.localdate()
    Credential.objects.filter(practitioner=nurse, credential_type__code="right_to_work").update(
        expires_on=today + dt.timedelta(days=12)
    )
    Credential.objects.filter(practitioner=nurse, credential_type__code="core_mandatory").update(
        expires_on=today - dt.timedelta(days=3)
    )
    evidence = tmp_path / "pmva.pdf"
    evidence.write_bytes(PDF)

    phone = open_page()
    log_in(phone, "nurse.sam")
    # Home warns about the two that need renewing and links to the upload.
    renew = phone.get_by_role("region", name="Credentials to renew")
    assert "Right to work: expires on" in renew.inner_text()
    assert "Core mandatory training: expired on" in renew.inner_text()
    assert_accessible(phone)
    phone.get_by_role("link", name="Credentials", exact=True).click()
    phone.wait_for_url("**/credentials/")
    assert "Expiring soon: 12 days left" in phone.locator(".card--expiring").inner_text()
    assert "Expired on" in phone.locator(".card--expired").inner_text()
    assert_accessible(phone)

    # A text file dressed as a PDF is refused with the API's message.
    fake = tmp_path / "fake.pdf"
    fake.write_text("not really a pdf")
    phone.get_by_label("Credential", exact=True).select_option(
        label="PMVA restrictive intervention (RRN certified)"
    )
    phone.get_by_label("Issued on").fill((today - dt.timedelta(days=30)).isoformat())
    phone.get_by_label("Evidence").set_input_files(str(fake))
    phone.get_by_role("button", name="Add credential").click()
    phone.get_by_role("heading", name="There is a problem").wait_for()
    assert "Evidence must be a PDF, PNG or JPEG file." in phone.locator(".error-summary").inner_text()
    assert_accessible(phone)
    assert not Credential.objects.filter(practitioner=nurse, credential_type__code="pmva_rrn").exists()

    phone.get_by_label("Credential", exact=True).select_option(
        label="PMVA restrictive intervention (RRN certified)"
    )
    phone.get_by_label("Issued on").fill((today - dt.timedelta(days=30)).isoformat())
    phone.get_by_label("Expires on (optional)").fill((today + dt.timedelta(days=335)).isoformat())
    phone.get_by_label("Evidence").set_input_files(str(evidence))
    phone.get_by_role("button", name="Add credential").click()
    phone.get_by_text("added. The agency will check the evidence and verify it.").wait_for()
    card = phone.locator(".card", has_text="PMVA restrictive intervention")
    assert "Waiting for the agency to verify" in card.inner_text()
    assert_accessible(phone)
    screenshot(phone, "practitioner_credentials")
    assert Credential.objects.get(practitioner=nurse, credential_type__code="pmva_rrn").verified_at is None


def test_notification_settings_and_calendar_link_save_in_place(open_page, nurse):
    phone = open_page()
    log_in(phone, "nurse.sam")
    phone.get_by_role("link", name="Notifications", exact=True).click()
    phone.wait_for_url("**/settings/notifications/")
    assert_accessible(phone)
    phone.evaluate("window.stillTheSamePage = true")

    offers = phone.get_by_role("group", name="Shift offer")
    offers.get_by_label("Email").uncheck()
    phone.get_by_label("Quiet from").fill("21:00")
    phone.get_by_label("Quiet until").fill("08:30")
    phone.get_by_role("group", name="Send these in one daily summary").get_by_label(
        "Credential expiring"
    ).check()
    phone.get_by_role("button", name="Save settings").click()
    phone.get_by_text("Your notification settings are saved.").wait_for()

    phone.get_by_role("button", name="Create calendar link").click()
    link = phone.get_by_label("Calendar link (iCal)")
    link.wait_for()
    assert phone.evaluate("window.stillTheSamePage") is True
    feed = CalendarFeed.objects.get(user=nurse.user)
    assert link.input_value().endswith(f"/calendar/{feed.token}.ics")
    assert_accessible(phone)
    screenshot(phone, "practitioner_notification_settings")

    preference = NotificationPreference.objects.get(user=nurse.user)
    assert preference.channels["offer"] == ["sms"]
    assert (preference.quiet_hours_start, preference.quiet_hours_end) == (dt.time(21, 0), dt.time(8, 30))
    assert preference.digest_kinds == ["credential_expiring"]


def test_availability_window_is_added_and_removed_in_place(open_page, nurse):
    day = timezone.localdate() + dt.timedelta(days=4)

    phone = open_page()
    log_in(phone, "nurse.sam")
    phone.get_by_role("link", name="Availability", exact=True).click()
    phone.wait_for_url("**/availability/")
    assert "You have not added any availability yet." in phone.locator("main").inner_text()
    assert_accessible(phone)
    phone.evaluate("window.stillTheSamePage = true")

    phone.get_by_label("From date").fill(day.isoformat())
    phone.get_by_label("From time").fill("19:00")
    phone.get_by_label("To date").fill((day + dt.timedelta(days=1)).isoformat())
    phone.get_by_label("To time").fill("08:00")
    phone.get_by_role("button", name="Add window").click()
    phone.locator(".notice", has_text="Added: available").wait_for()
    assert Availability.objects.filter(practitioner=nurse).count() == 1
    assert_accessible(phone)
    screenshot(phone, "practitioner_availability")

    phone.get_by_role("button", name="Remove").click()
    phone.locator(".notice", has_text="Removed: available").wait_for()
    assert phone.evaluate("window.stillTheSamePage") is True
    assert not Availability.objects.filter(practitioner=nurse).exists()


def test_keyboard_alone_reaches_and_completes_a_cancellation_with_focus_visible(open_page, nurse):
    booking = booked(nurse, in_hours=48, ward_name="Willow Ward")

    phone = open_page()
    log_in(phone, "nurse.sam")
    phone.goto("/bookings/")

    # The first Tab lands on the skip link, which is shown when focused.
    phone.keyboard.press("Tab")
    assert focus_ring(phone)["text"] == "Skip to main content"
    assert phone.locator(".skip-link").bounding_box()["x"] >= 0

    # Every navigation link and the main action are reachable, each with the yellow focus ring.
    for name in ("Bookings", "Availability", "Credentials", "Notifications"):
        assert_focus_visible(tab_to(phone, name))
    assert_focus_visible(tab_to(phone, "Cancel booking"))

    phone.keyboard.press("Enter")
    heading = phone.get_by_role("heading", name="Cancel Willow Ward?")
    heading.wait_for()
    # htmx moves focus to the question, so a screen reader hears it and Tab continues from there.
    # (Chromium also runs its own autofocus step at the next frame: let that pass before tabbing.)
    phone.wait_for_function("document.activeElement.textContent.trim() === 'Cancel Willow Ward?'")
    phone.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    assert focus_ring(phone)["text"] == "Cancel Willow Ward?"
    reason = tab_to(phone, "")  # the next stop is the reason box
    assert reason["tag"] == "INPUT"
    assert_focus_visible(reason)
    phone.keyboard.type("Childcare fell through")
    assert_focus_visible(tab_to(phone, "Yes, cancel this booking"))
    phone.keyboard.press("Enter")
    phone.get_by_role("heading", name="Cancelled: Willow Ward").wait_for()

    booking.refresh_from_db()
    assert (booking.status, booking.cancel_reason) == (
        Booking.Status.CANCELLED_BY_PRACTITIONER,
        "Childcare fell through",
    )

    # The main action of every other practitioner page is reachable by Tab, with the ring showing.
    for path, action in (
        ("/roles/", "Apply filters"),
        ("/availability/", "Add window"),
        ("/credentials/", "Add credential"),
        ("/settings/notifications/", "Save settings"),
        ("/settings/notifications/", "Create calendar link"),
    ):
        phone.goto(path)
        if path == "/roles/":
            phone.get_by_text("Filter shifts").click()  # the filters fold away on a phone
            phone.evaluate("document.activeElement.blur()")
        assert_focus_visible(tab_to(phone, action))
