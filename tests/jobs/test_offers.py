"""Accepting and declining offers: the race-proof accept and its refusals."""

from __future__ import annotations

import datetime as dt
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.core.models import OutboxMessage
from jobs.models import Booking, Offer, Shortfall
from jobs.services.offers import accept_offer
from tests import factories as f
from tests.jobs.conftest import qualified, shift


def _offer(shortfall, practitioner, **kwargs) -> Offer:
    return f.OfferFactory(shortfall=shortfall, practitioner=practitioner, **kwargs)


def _accept(client_for, offer):
    return client_for(offer.practitioner.user).post(f"/api/v1/offers/{offer.id}/accept/")


def test_accept_books_the_shift_and_records_the_offer(ward, client_for):
    nurse = qualified(ward.trust.agency)
    offer = _offer(shift(ward, in_hours=48), nurse)

    response = _accept(client_for, offer)

    assert response.status_code == 201
    booking = Booking.objects.get(id=response.json()["id"])
    assert (booking.practitioner_id, booking.offer_id, booking.status) == (nurse.id, offer.id, "confirmed")
    assert Offer.objects.get(id=offer.id).status == Offer.Status.ACCEPTED
    assert Shortfall.objects.get(id=offer.shortfall_id).status == Shortfall.Status.FILLED


def test_filling_the_last_slot_withdraws_every_other_open_offer_and_tells_them(ward, client_for):
    shortfall = shift(ward, in_hours=48)
    winner, others = qualified(ward.trust.agency), [qualified(ward.trust.agency) for _ in range(3)]
    offer = _offer(shortfall, winner)
    other_offers = [_offer(shortfall, other) for other in others]

    _accept(client_for, offer)

    assert {Offer.objects.get(id=o.id).status for o in other_offers} == {Offer.Status.WITHDRAWN}
    told = OutboxMessage.objects.filter(task="jobs.notify_offer_withdrawn")
    assert sorted(m.kwargs["offer_id"] for m in told) == sorted(o.id for o in other_offers)


def test_losing_accept_on_a_filled_shift_gets_409_shortfall_filled(ward, client_for):
    shortfall = shift(ward, in_hours=48)
    first, second = qualified(ward.trust.agency), qualified(ward.trust.agency)
    winning, losing = _offer(shortfall, first), _offer(shortfall, second)
    _accept(client_for, winning)

    response = _accept(client_for, losing)

    assert response.status_code == 409
    assert response.json()["code"] == "shortfall_filled"
    assert Booking.objects.filter(shortfall=shortfall).count() == 1


def test_expired_offer_gets_410_and_books_nothing(ward, client_for):
    offer = _offer(
        shift(ward, in_hours=48),
        qualified(ward.trust.agency),
        expires_at=timezone.now() - dt.timedelta(seconds=1),
    )

    response = _accept(client_for, offer)

    assert response.status_code == 410
    assert response.json()["code"] == "offer_expired"
    assert not Booking.objects.exists()


def test_withdrawn_offer_on_a_cancelled_shift_gets_409_offer_withdrawn(ward, client_for):
    offer = _offer(shift(ward, in_hours=48), qualified(ward.trust.agency), status=Offer.Status.WITHDRAWN)

    response = _accept(client_for, offer)

    assert response.status_code == 409
    assert response.json()["code"] == "offer_withdrawn"


def test_accept_rechecks_credentials_that_lapsed_since_the_offer(ward, client_for):
    nurse = qualified(ward.trust.agency)
    shortfall = shift(ward, in_hours=48)
    nurse.credentials.filter(credential_type__code="dbs_adult").update(expires_on=timezone.localdate())
    offer = _offer(shortfall, nurse)

    response = _accept(client_for, offer)

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "not_eligible"
    assert [b["code"] for b in body["extra"]["blockers"]] == ["credential"]
    assert "expire" in body["extra"]["blockers"][0]["detail"].lower()
    assert not Booking.objects.exists()
    assert Offer.objects.get(id=offer.id).status == Offer.Status.SENT


def test_accept_refuses_a_shift_that_breaks_the_rest_rule(ward, client_for):
    nurse = qualified(ward.trust.agency)
    first = shift(ward, in_hours=48)
    f.BookingFactory(shortfall=first, practitioner=nurse)
    too_soon = shift(ward, in_hours=48 + 12.5 + 10)
    offer = _offer(too_soon, nurse)

    response = _accept(client_for, offer)

    assert response.status_code == 409
    assert response.json()["code"] == "outside_rest_rules"


def test_decline_records_the_reason_and_a_second_answer_is_409(ward, client_for):
    offer = _offer(shift(ward, in_hours=48), qualified(ward.trust.agency))
    client = client_for(offer.practitioner.user)

    declined = client.post(f"/api/v1/offers/{offer.id}/decline/", {"reason": "Childcare"}, format="json")
    again = client.post(f"/api/v1/offers/{offer.id}/accept/")

    assert declined.status_code == 200
    assert (declined.json()["status"], Offer.objects.get(id=offer.id).decline_reason) == (
        "declined",
        "Childcare",
    )
    assert (again.status_code, again.json()["code"]) == (409, "offer_already_answered")


def test_opening_an_offer_marks_it_viewed(ward, client_for):
    offer = _offer(shift(ward, in_hours=48), qualified(ward.trust.agency))

    body = client_for(offer.practitioner.user).get(f"/api/v1/offers/{offer.id}/").json()

    assert body["status"] == "viewed"
    assert body["viewed_at"] is not None


def test_inbox_filters_open_and_unread(ward, client_for):
    nurse = qualified(ward.trust.agency)
    fresh = _offer(shift(ward, in_hours=48), nurse)
    _offer(shift(ward, in_hours=96), nurse, status=Offer.Status.DECLINED, viewed_at=timezone.now())
    client = client_for(nurse.user)

    open_ids = [o["id"] for o in client.get("/api/v1/offers/", {"is_open": "true"}).json()["results"]]
    unread_ids = [o["id"] for o in client.get("/api/v1/offers/", {"is_unread": "true"}).json()["results"]]

    assert open_ids == [fresh.id]
    assert unread_ids == [fresh.id]


def test_accept_with_the_same_idempotency_key_books_once_and_replays(ward, client_for):
    offer = _offer(shift(ward, in_hours=48), qualified(ward.trust.agency))
    client = client_for(offer.practitioner.user)

    first = client.post(f"/api/v1/offers/{offer.id}/accept/", HTTP_IDEMPOTENCY_KEY="accept-1")
    replay = client.post(f"/api/v1/offers/{offer.id}/accept/", HTTP_IDEMPOTENCY_KEY="accept-1")

    assert (first.status_code, replay.status_code) == (201, 201)
    assert first.json() == replay.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1


def test_decline_replay_with_a_different_body_is_422(ward, client_for):
    offer = _offer(shift(ward, in_hours=48), qualified(ward.trust.agency))
    client = client_for(offer.practitioner.user)
    url = f"/api/v1/offers/{offer.id}/decline/"

    client.post(url, {"reason": "Childcare"}, format="json", HTTP_IDEMPOTENCY_KEY="d-1")
    mismatch = client.post(url, {"reason": "Holiday"}, format="json", HTTP_IDEMPOTENCY_KEY="d-1")

    assert (mismatch.status_code, mismatch.json()["code"]) == (422, "idempotency_key_reused")
    assert Offer.objects.get(id=offer.id).decline_reason == "Childcare"


def test_accept_locks_shortfall_then_offer_then_practitioner_before_rechecking_eligibility(ward):
    nurse = qualified(ward.trust.agency)
    offer = _offer(shift(ward, in_hours=48), nurse)

    with CaptureQueriesContext(connection) as queries:
        accept_offer(offer_id=offer.id, practitioner=nurse)

    sql = [q["sql"] for q in queries]
    locked = [re.search(r'FROM "(\w+)"', s).group(1) for s in sql if "FOR UPDATE" in s]
    first_credential_read = next(i for i, s in enumerate(sql) if "practitioners_credential" in s)
    last_lock = max(i for i, s in enumerate(sql) if "FOR UPDATE" in s)
    assert locked == ["jobs_shortfall", "jobs_offer", "practitioners_practitioner"]
    assert last_lock < first_credential_read


def test_accept_of_another_practitioners_offer_is_404_and_books_nothing(ward, client_for):
    offer = _offer(shift(ward, in_hours=48), qualified(ward.trust.agency))
    someone_else = qualified(ward.trust.agency)

    response = client_for(someone_else.user).post(f"/api/v1/offers/{offer.id}/accept/")
    not_a_number = client_for(someone_else.user).post("/api/v1/offers/abc/accept/")

    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert (not_a_number.status_code, not_a_number.json()["code"]) == (404, "not_found")
    assert not Booking.objects.exists()
    assert Offer.objects.get(id=offer.id).status == Offer.Status.SENT
