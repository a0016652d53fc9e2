"""Idempotency-Key on POST /api/v1/shortfalls/ and /cancel/: a retry replays, never repeats."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from backend.core.models import IdempotencyRecord
from backend.core.tasks import purge_idempotency_records_task
from jobs.models import Shortfall
from tests import factories as f
from tests.api.world import build_world, shift_body

URL = "/api/v1/shortfalls/"


@pytest.fixture
def world(db):
    return build_world()


def _post(client, url, body, key):
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_same_key_and_body_replays_the_first_response_and_creates_one_shortfall(world, client_for):
    client = client_for(world.users["trust_a"])
    body = shift_body(world)
    count_before = Shortfall.objects.count()

    first = _post(client, URL, body, "key-1")
    second = _post(client, URL, body, "key-1")

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.headers["Content-Type"] == "application/json"
    assert Shortfall.objects.count() == count_before + 1


def test_json_key_order_and_whitespace_do_not_change_the_request(world, client_for):
    client = client_for(world.users["trust_a"])
    body = shift_body(world)
    count_before = Shortfall.objects.count()

    first = client.post(URL, json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    second = client.post(URL, reordered, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    assert Shortfall.objects.count() == count_before + 1


def test_same_key_with_a_different_body_is_422_and_nothing_created(world, client_for):
    client = client_for(world.users["trust_a"])
    first = _post(client, URL, shift_body(world), "key-1")
    count_after_first = Shortfall.objects.count()

    second = _post(client, URL, shift_body(world, headcount=3), "key-1")

    assert first.status_code == 201
    assert second.status_code == 422
    assert second.json() == {
        "code": "idempotency_key_reused",
        "message": "This Idempotency-Key was already used for a different request.",
        "extra": {},
    }
    assert Shortfall.objects.count() == count_after_first
    assert IdempotencyRecord.objects.get().response_body["headcount"] == 2


def test_same_key_on_another_endpoint_is_422_and_cancels_nothing(world, client_for):
    client = client_for(world.users["trust_a"])
    _post(client, URL, shift_body(world), "key-1")

    response = _post(client, f"{URL}{world.shortfall_a.id}/cancel/", {"reason": "Discharged"}, "key-1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Shortfall.objects.get(id=world.shortfall_a.id).status == Shortfall.Status.OPEN


def test_same_key_from_two_users_is_two_requests(world, client_for):
    colleague = f.TrustUserFactory(trust=world.trust_a)
    body = shift_body(world)
    count_before = Shortfall.objects.count()

    mine = _post(client_for(world.users["trust_a"]), URL, body, "key-1")
    theirs = _post(client_for(colleague), URL, body, "key-1")

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]
    assert Shortfall.objects.count() == count_before + 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"headcount": 0}, "headcount"),  # refused by the serializer
        (
            {"starts_at": "2020-01-01T07:30:00Z", "ends_at": "2020-01-01T20:00:00Z"},
            "ends_at",
        ),  # by the service
    ],
)
def test_a_refusal_is_replayed_as_the_same_400(world, client_for, overrides, field):
    client = client_for(world.users["trust_a"])
    body = shift_body(world, **overrides)
    count_before = Shortfall.objects.count()

    first = _post(client, URL, body, "key-1")
    second = _post(client, URL, body, "key-1")

    assert (first.status_code, second.status_code) == (400, 400)
    assert field in first.json()["extra"]["fields"]
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert Shortfall.objects.count() == count_before
    assert IdempotencyRecord.objects.get().response_status == 400


def test_cancel_with_a_key_twice_cancels_once_and_replays_200(world, client_for):
    client = client_for(world.users["trust_a"])
    url = f"{URL}{world.shortfall_a.id}/cancel/"

    first = _post(client, url, {"reason": "Patient discharged"}, "cancel-1")
    cancelled_at = Shortfall.objects.get(id=world.shortfall_a.id).cancelled_at
    second = _post(client, url, {"reason": "Patient discharged"}, "cancel-1")

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == first.json()
    assert second.json()["status"] == "cancelled"
    assert second.headers["Idempotent-Replayed"] == "true"
    assert Shortfall.objects.get(id=world.shortfall_a.id).cancelled_at == cancelled_at


def test_cancel_without_a_key_twice_is_still_a_409(world, client_for):
    client = client_for(world.users["trust_a"])
    url = f"{URL}{world.shortfall_a.id}/cancel/"
    client.post(url, {"reason": "First"}, format="json")

    response = client.post(url, {"reason": "First"}, format="json")

    assert response.status_code == 409
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "caf\u00e9", "tab\there"])
def test_malformed_key_is_a_400_and_nothing_written(world, client_for, key):
    count_before = Shortfall.objects.count()

    response = _post(client_for(world.users["trust_a"]), URL, shift_body(world), key)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert Shortfall.objects.count() == count_before
    assert IdempotencyRecord.objects.count() == 0


def test_a_255_character_key_is_accepted(world, client_for):
    response = _post(client_for(world.users["trust_a"]), URL, shift_body(world), "k" * 255)

    assert response.status_code == 201
    assert IdempotencyRecord.objects.get().key == "k" * 255


def test_purge_keeps_a_23_hour_old_record_and_removes_a_49_hour_old_one(world):
    user = world.users["trust_a"]
    for key in ("recent", "old"):
        IdempotencyRecord.objects.create(
            user=user, key=key, method="POST", path=URL, request_fingerprint="0" * 64, response_status=201
        )
    now = timezone.now()
    IdempotencyRecord.objects.filter(key="recent").update(created_at=now - dt.timedelta(hours=23))
    IdempotencyRecord.objects.filter(key="old").update(created_at=now - dt.timedelta(hours=49))

    deleted = purge_idempotency_records_task()

    assert deleted == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["recent"]


@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_requests_with_one_key_create_one_shortfall():
    world = build_world()
    user = world.users["trust_a"]
    body = shift_body(world)
    count_before = Shortfall.objects.count()
    barrier = threading.Barrier(10)
    results: list[tuple[int, dict]] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            client = APIClient()
            client.force_authenticate(user=user)
            barrier.wait(timeout=10)
            response = _post(client, URL, body, "same-key")
            results.append((response.status_code, response.json()))
        except BaseException as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(results) == 10
    assert {status for status, _ in results} == {201}
    assert len({json.dumps(payload, sort_keys=True) for _, payload in results}) == 1
    assert Shortfall.objects.count() == count_before + 1
    assert IdempotencyRecord.objects.count() == 1
