"""POST /api/v1/bookings/{id}/no-show/: statuses, error bodies, Idempotency-Key, schema."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from backend.core.models import AuditEvent
from jobs.models import Booking
from jobs.services.booking_lifecycle import complete_finished_bookings
from tests import factories as f
from tests.jobs.conftest import qualified


def _worked(ward, *, hours_ago: float) -> Booking:
    start = (timezone.now() - dt.timedelta(hours=hours_ago)).replace(second=0, microsecond=0)
    shortfall = f.ShortfallFactory(
        ward=ward, starts_at=start, ends_at=start + dt.timedelta(hours=12.5), status="filled"
    )
    return f.BookingFactory(shortfall=shortfall, practitioner=qualified(ward.trust.agency))


def _post(client, booking, body, **headers):
    return client.post(f"/api/v1/bookings/{booking.id}/no-show/", body, format="json", **headers)


def test_trust_staff_mark_a_completed_booking_no_show(ward, client_for):
    booking = _worked(ward, hours_ago=20)
    complete_finished_bookings(now=booking.ends_at + dt.timedelta(minutes=1))

    response = _post(client_for(f.TrustUserFactory(trust=ward.trust)), booking, {"reason": "Never arrived"})

    assert response.status_code == 200
    assert (response.json()["id"], response.json()["status"]) == (booking.id, "no_show")
    assert Booking.objects.get(id=booking.id).status == "no_show"


def test_another_trusts_staff_get_404_and_nothing_changes(ward, client_for):
    booking = _worked(ward, hours_ago=2)

    response = _post(client_for(f.TrustUserFactory()), booking, {"reason": "Never arrived"})

    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert Booking.objects.get(id=booking.id).status == "confirmed"


def test_outside_the_window_is_422_with_the_window_in_extra(ward, client_for):
    booking = _worked(ward, hours_ago=24 * 8 + 12.5)

    response = _post(client_for(f.TrustUserFactory(trust=ward.trust)), booking, {"reason": "Never arrived"})

    body = response.json()
    assert (response.status_code, body["code"]) == (422, "no_show_outside_window")
    assert body["extra"] == {
        "booking_id": booking.id,
        "from": booking.starts_at.isoformat(),
        "until": (booking.ends_at + dt.timedelta(days=7)).isoformat(),
    }
    assert Booking.objects.get(id=booking.id).status == "confirmed"


def test_missing_reason_is_400_and_a_cancelled_booking_is_409(ward, client_for):
    booking = _worked(ward, hours_ago=2)
    client = client_for(f.TrustUserFactory(trust=ward.trust))

    missing = _post(client, booking, {})
    Booking.objects.filter(id=booking.id).update(status="cancelled_by_practitioner")
    cancelled = _post(client, booking, {"reason": "Never arrived"})

    assert (missing.status_code, list(missing.json()["extra"]["fields"])) == (400, ["reason"])
    assert (cancelled.status_code, cancelled.json()["code"]) == (409, "no_show_not_allowed")
    assert Booking.objects.get(id=booking.id).status == "cancelled_by_practitioner"
    assert not AuditEvent.objects.filter(subject_type="booking").exists()


def test_idempotency_key_replays_the_first_answer(ward, client_for):
    booking = _worked(ward, hours_ago=2)
    client = client_for(f.TrustUserFactory(trust=ward.trust))

    first = _post(client, booking, {"reason": "Never arrived"}, HTTP_IDEMPOTENCY_KEY="ns-1")
    replay = _post(client, booking, {"reason": "Never arrived"}, HTTP_IDEMPOTENCY_KEY="ns-1")
    other_body = _post(client, booking, {"reason": "Different"}, HTTP_IDEMPOTENCY_KEY="ns-1")

    assert (first.status_code, replay.status_code) == (200, 200)
    assert replay.json() == first.json()
    assert (other_body.status_code, other_body.json()["code"]) == (422, "idempotency_key_reused")
    assert AuditEvent.objects.filter(subject_type="booking").count() == 1


def test_schema_documents_the_no_show_refusals():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    operation = schema["paths"]["/api/v1/bookings/{id}/no-show/"]["post"]

    assert set(operation["responses"]) == {"200", "400", "401", "403", "404", "409", "422"}
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BookingNoShowRequest"
    }
    assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])
