"""Agency staff pages: the dashboard (SVG charts, tables, CSV links), the urgent queue with broaden
and escalate, a shortfall's candidates with reasons and blockers, credentials expiring with an
audited verify, the delivery log. Scoped to the agency: another agency's object is a 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.html import escape

from backend.core.models import AuditEvent, OutboxMessage
from jobs.analytics.rollups import rebuild_range
from jobs.models import Shortfall
from notifications.models import Delivery, Notification
from tests import factories as f

pytestmark = pytest.mark.django_db

qualified = f.qualified_practitioner


shift = f.shift


@pytest.fixture
def ward(trust):
    return f.WardFactory(site__trust=trust, name="Willow Ward")


@pytest.fixture
def desk(client, agency):
    client.force_login(f.AgencyUserFactory(agency=agency))
    return client


@pytest.fixture
def other_agency_shortfall():
    other = f.TrustFactory(agency=f.AgencyFactory(name="Elsewhere Staffing"))
    return shift(f.WardFactory(site__trust=other, name="Larch Ward"), in_hours=10)


# --- Dashboard -----------------------------------------------------------------------------------


def test_dashboard_draws_charts_and_tables_from_the_rollups(desk, agency, ward):
    filled = shift(ward, in_hours=30, status=Shortfall.Status.FILLED)
    f.BookingFactory(shortfall=filled, practitioner=qualified(agency))
    shift(ward, in_hours=30)
    day = timezone.localtime(filled.starts_at).date()
    rebuild_range(start=day - dt.timedelta(days=1), end=day + dt.timedelta(days=2))

    response = desk.get("/agency/", {"date_from": day - dt.timedelta(days=7), "date_to": day})

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") == 5  # over time, by trust, ward, role, time to fill
    assert response.context["summary"] == {
        "requested": 2,
        "filled": 1,
        "fill_rate": "50%",
        "continuity": "0%",
    }
    by_trust = response.context["by_group"]["trust"]["rows"]
    assert [(r.label, r.slots_requested, r.slots_filled, r.fill_rate) for r in by_trust] == [
        ("Moorside Trust", 2, 1, 0.5)
    ]
    assert [(r.label, r.fill_rate) for r in response.context["by_group"]["ward"]["rows"]] == [
        ("Willow Ward", 0.5)
    ]
    assert "<title>Moorside Trust: 50%</title>" in html
    assert sum(count for _, count in response.context["distribution"]) == 1
    week = [row for row in response.context["over_time"] if row.get("slots_requested")]
    assert [(row["slots_requested"], row["slots_filled"]) for row in week] == [(2, 1)]
    assert "/api/v1/fill-rates/?from=" in html and "group_by=trust" in html and "format=csv" in html


def test_dashboard_csv_link_downloads_the_same_numbers(desk, agency, ward):
    filled = shift(ward, in_hours=30, status=Shortfall.Status.FILLED)
    f.BookingFactory(shortfall=filled, practitioner=qualified(agency))
    day = timezone.localtime(filled.starts_at).date()
    rebuild_range(start=day, end=day)
    link = desk.get("/agency/", {"date_from": day, "date_to": day}).context["csv_links"]["by trust"]

    response = desk.get(link)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    header, row = response.content.decode().splitlines()[:2]
    columns = dict(zip(header.split(","), row.split(","), strict=True))
    assert (columns["trust_name"], columns["slots_requested"], columns["slots_filled"]) == (
        "Moorside Trust",
        "1",
        "1",
    )


def test_dashboard_with_nothing_requested_shows_empty_states(desk):
    response = desk.get("/agency/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" not in html
    assert "No shifts were requested in this range yet." in html
    assert "Nothing was filled in this range yet." in html


def test_dashboard_backwards_range_is_a_clear_error(desk):
    response = desk.get("/agency/", {"date_from": "2026-05-10", "date_to": "2026-05-01"})

    assert response.status_code == 400
    assert "The end date must be on or after the start date." in response.content.decode()


def test_dashboard_counts_only_the_agencys_trusts(desk, ward, other_agency_shortfall):
    day = timezone.localtime(other_agency_shortfall.starts_at).date()
    rebuild_range(start=day - dt.timedelta(days=1), end=day + dt.timedelta(days=1))

    response = desk.get("/agency/", {"date_from": day - dt.timedelta(days=1), "date_to": day})

    assert response.context["summary"]["requested"] == 0
    assert "Larch Ward" not in response.content.decode()


def test_agency_pages_are_not_found_for_trust_staff(client, trust):
    client.force_login(f.TrustUserFactory(trust=trust))

    for path in ("/agency/", "/agency/urgent/", "/agency/credentials/", "/agency/deliveries/"):
        assert client.get(path).status_code == 404, path


# --- Urgent queue, broaden, escalate -------------------------------------------------------------


def test_urgent_queue_lists_open_shifts_soonest_first_within_the_window(desk, ward, other_agency_shortfall):
    later = shift(ward, in_hours=40)
    soon = shift(ward, in_hours=5)
    shift(ward, in_hours=100)  # outside 72 h
    shift(ward, in_hours=6, status=Shortfall.Status.FILLED)

    response = desk.get("/agency/urgent/")

    assert [s.id for s in response.context["page"]] == [soon.id, later.id]
    assert "Larch Ward" not in response.content.decode()
    assert [s.id for s in desk.get("/agency/urgent/", {"within": "24"}).context["page"]] == [soon.id]


def test_urgent_queue_empty_state(desk):
    response = desk.get("/agency/urgent/")

    assert "Nothing unfilled starts in this window." in response.content.decode()


def test_escalate_sends_everyone_now_and_alerts_once(desk, ward):
    shortfall = shift(ward, in_hours=5, wave=0, next_wave_at=timezone.now() + dt.timedelta(minutes=20))

    response = desk.post(f"/shortfalls/{shortfall.id}/escalate/", {"next": "/agency/urgent/"}, follow=True)

    assert response.redirect_chain == [("/agency/urgent/", 302)]
    assert "Escalated Willow Ward: offers go to everyone eligible now." in response.content.decode()
    shortfall.refresh_from_db()
    assert shortfall.escalated_at is not None
    assert shortfall.next_wave_at <= timezone.now()
    assert OutboxMessage.objects.filter(task="jobs.notify_safe_staffing").count() == 1


def test_escalating_a_cancelled_shortfall_is_refused_and_changes_nothing(desk, ward):
    shortfall = shift(
        ward, in_hours=5, status=Shortfall.Status.CANCELLED, cancelled_at=timezone.now(), next_wave_at=None
    )

    response = desk.post(f"/shortfalls/{shortfall.id}/escalate/", follow=True)

    assert "Not escalated: This shift is no longer open." in response.content.decode()
    shortfall.refresh_from_db()
    assert (shortfall.escalated_at, shortfall.next_wave_at) == (None, None)


def test_broaden_widens_the_radius_and_lowers_the_band(desk, ward):
    shortfall = shift(ward, in_hours=5, min_band=6)

    response = desk.post(
        f"/shortfalls/{shortfall.id}/broaden/", {"extra_radius_km": "15", "min_band": "5"}, follow=True
    )

    assert "Broadened Willow Ward: matching runs again now." in response.content.decode()
    shortfall.refresh_from_db()
    assert (shortfall.extra_radius_km, shortfall.min_band) == (15, 5)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Not broadened: Widen the radius or lower the band."),
        ({"extra_radius_km": "-3"}, "Not broadened: Ensure this value is greater than or equal to 0."),
        ({"min_band": "7"}, "Not broadened: Broadening cannot raise the band."),
    ],
)
def test_bad_broadening_is_refused_with_the_reason(desk, ward, data, message):
    shortfall = shift(ward, in_hours=5, min_band=6)

    response = desk.post(f"/shortfalls/{shortfall.id}/broaden/", data, follow=True)

    assert message in response.content.decode()
    shortfall.refresh_from_db()
    assert (shortfall.extra_radius_km, shortfall.min_band) == (0, 6)


def test_another_agencys_shortfall_cannot_be_broadened_escalated_or_seen(desk, other_agency_shortfall):
    sid = other_agency_shortfall.id

    assert desk.post(f"/shortfalls/{sid}/broaden/", {"extra_radius_km": "10"}).status_code == 404
    assert desk.post(f"/shortfalls/{sid}/escalate/").status_code == 404
    assert desk.get(f"/shortfalls/{sid}/candidates/").status_code == 404
    other_agency_shortfall.refresh_from_db()
    assert (other_agency_shortfall.extra_radius_km, other_agency_shortfall.escalated_at) == (0, None)


def test_escalate_needs_a_post(desk, ward):
    assert desk.get(f"/shortfalls/{shift(ward, in_hours=5).id}/escalate/").status_code == 405


# --- Candidates ----------------------------------------------------------------------------------


def test_candidates_show_reasons_and_blockers_and_are_audited(desk, agency, ward):
    familiar = qualified(agency, user__first_name="Sam", user__last_name="Okafor")
    f.WardExperienceFactory(practitioner=familiar, ward=ward, shifts_worked=6)
    expired = qualified(agency, user__first_name="Jo", user__last_name="Blake")
    expired.registration_expires_on = timezone.localdate() - dt.timedelta(days=1)
    expired.save()
    shortfall = shift(ward, in_hours=30)

    response = desk.get(f"/shortfalls/{shortfall.id}/candidates/")

    assert response.status_code == 200
    html = response.content.decode()
    assert [row.practitioner for row in response.context["eligible"]] == [familiar]
    assert response.context["eligible"][0].is_familiar
    assert "Knows this ward" in html
    assert any("Willow Ward" in reason for reason in response.context["eligible"][0].reasons)
    (blocked,) = response.context["ineligible"]
    assert blocked.practitioner == expired and blocked.blockers
    assert blocked.blockers[0] in html
    assert set(
        AuditEvent.objects.filter(subject_type="candidate").values_list("practitioner_id", flat=True)
    ) == {familiar.id, expired.id}


def test_candidates_are_for_agency_staff_only(client, trust, ward):
    client.force_login(f.TrustUserFactory(trust=trust))

    assert client.get(f"/shortfalls/{shift(ward, in_hours=30).id}/candidates/").status_code == 404


# --- Credentials ---------------------------------------------------------------------------------


def test_credentials_expiring_soonest_first_with_verify(desk, agency):
    today = timezone.localdate()
    nurse = f.PractitionerFactory(agency=agency)
    soon = f.CredentialFactory(practitioner=nurse, expires_on=today + dt.timedelta(days=5))
    expired = f.CredentialFactory(
        practitioner=nurse,
        credential_type=f.credential_type("right_to_work"),
        expires_on=today - dt.timedelta(days=2),
    )
    f.CredentialFactory(practitioner=nurse, expires_on=today + dt.timedelta(days=200))
    f.CredentialFactory(
        practitioner=f.PractitionerFactory(agency=f.AgencyFactory(name="Other")), expires_on=today
    )

    response = desk.get("/agency/credentials/")

    assert [c.id for c in response.context["page"]] == [expired.id, soon.id]
    assert "Expired" in response.content.decode()


def test_verify_records_the_verifier_and_an_audit_event(desk, agency):
    credential = f.CredentialFactory(
        practitioner=f.PractitionerFactory(agency=agency),
        expires_on=timezone.localdate() + dt.timedelta(days=5),
    )

    response = desk.post(f"/agency/credentials/{credential.id}/verify/", follow=True)

    credential.refresh_from_db()
    assert credential.verified_at is not None
    assert escape(f"Verified {credential.credential_type.name}") in response.content.decode()
    event = AuditEvent.objects.get(action="verify")
    assert (event.subject_id, event.practitioner_id) == (str(credential.id), credential.practitioner_id)


def test_verifying_twice_says_so_and_keeps_the_first_verifier(desk, agency):
    first = f.AgencyUserFactory(agency=agency)
    credential = f.CredentialFactory(
        practitioner=f.PractitionerFactory(agency=agency), verified_by=first, verified_at=timezone.now()
    )

    response = desk.post(f"/agency/credentials/{credential.id}/verify/", follow=True)

    assert "Not verified: This credential has already been verified." in response.content.decode()
    credential.refresh_from_db()
    assert credential.verified_by == first


def test_another_agencys_credential_cannot_be_verified(desk):
    credential = f.CredentialFactory(practitioner=f.PractitionerFactory(agency=f.AgencyFactory(name="Other")))

    assert desk.post(f"/agency/credentials/{credential.id}/verify/").status_code == 404
    credential.refresh_from_db()
    assert credential.verified_at is None


# --- Delivery log --------------------------------------------------------------------------------


def _delivery(recipient, status: str, **kwargs) -> Delivery:
    notification = Notification.objects.create(
        recipient=recipient, kind=Notification.Kind.OFFER, dedupe_key=f"test:{recipient.id}:{status}"
    )
    return Delivery.objects.create(notification=notification, channel="email", status=status, **kwargs)


def test_delivery_log_lists_the_agencys_deliveries_newest_first_with_filters(desk, agency):
    nurse = f.PractitionerFactory(agency=agency, user__first_name="Sam", user__last_name="Okafor")
    sent = _delivery(nurse.user, "sent")
    failed = _delivery(nurse.user, "failed", last_error="550 mailbox unavailable", attempts=5)
    _delivery(f.PractitionerFactory(agency=f.AgencyFactory(name="Other")).user, "sent")

    response = desk.get("/agency/deliveries/")

    assert [d.id for d in response.context["page"]] == [failed.id, sent.id]
    assert "550 mailbox unavailable" in response.content.decode()
    assert [d.id for d in desk.get("/agency/deliveries/", {"status": "failed"}).context["page"]] == [
        failed.id
    ]
    # An unknown filter value is ignored, not an error page.
    assert len(desk.get("/agency/deliveries/", {"status": "bogus"}).context["page"]) == 2


def test_delivery_log_paginates(desk, agency):
    nurse = f.PractitionerFactory(agency=agency)
    for n in range(27):
        notification = Notification.objects.create(
            recipient=nurse.user, kind=Notification.Kind.OFFER, dedupe_key=f"page:{n}"
        )
        Delivery.objects.create(notification=notification, channel="email", status="sent")

    first = desk.get("/agency/deliveries/")
    second = desk.get("/agency/deliveries/", {"page": 2})

    assert len(first.context["page"]) == 25 and len(second.context["page"]) == 2
    assert "Page 1 of 2" in first.content.decode()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/"])
def test_escalate_never_redirects_off_site(desk, ward, target):
    shortfall = shift(ward, in_hours=5)

    response = desk.post(f"/shortfalls/{shortfall.id}/escalate/", {"next": target})

    assert response["Location"] == "/agency/urgent/"


def test_dashboard_narrows_to_one_trust_and_refuses_another_agencys(
    desk, agency, ward, other_agency_shortfall
):
    other_trust = f.TrustFactory(agency=agency, name="Riverside Trust")
    shift(f.WardFactory(site__trust=other_trust, name="Birch Ward"), in_hours=30)
    shift(ward, in_hours=30)
    shift(ward, in_hours=31)
    day = timezone.localdate()
    rebuild_range(start=day, end=day + dt.timedelta(days=3))
    dates = {"date_from": day, "date_to": day + dt.timedelta(days=3)}

    everyone = desk.get("/agency/", dates)
    moorside = desk.get("/agency/", {**dates, "trust": ward.trust_id})
    refused = desk.get("/agency/", {**dates, "trust": other_agency_shortfall.trust_id})

    assert everyone.context["summary"]["requested"] == 3
    assert moorside.context["summary"]["requested"] == 2
    assert [r.label for r in moorside.context["by_group"]["ward"]["rows"]] == ["Willow Ward"]
    assert f"trust={ward.trust_id}" in moorside.context["csv_links"]["by ward"]
    assert refused.status_code == 400
    assert "Select a valid choice." in refused.content.decode()


def test_credentials_can_show_only_those_waiting_for_verification(desk, agency):
    today = timezone.localdate()
    nurse = f.PractitionerFactory(agency=agency)
    waiting = f.CredentialFactory(practitioner=nurse, expires_on=today + dt.timedelta(days=5))
    f.CredentialFactory(
        practitioner=nurse,
        credential_type=f.credential_type("right_to_work"),
        expires_on=today + dt.timedelta(days=6),
        verified_by=f.AgencyUserFactory(agency=agency),
        verified_at=timezone.now(),
    )

    response = desk.get("/agency/credentials/", {"within": "30", "unverified": "1"})

    assert [c.id for c in response.context["page"]] == [waiting.id]
    assert response.context["filter_query"] == "within=30&unverified=1"
