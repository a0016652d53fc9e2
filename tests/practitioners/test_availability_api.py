"""Availability windows over the API: bounded so every stored time is a real, renderable window."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.practitioners.models import Availability
from tests.api.world import build_world


@pytest.fixture
def world(db):
    return build_world()


def _post(client, starts_at: dt.datetime | str, ends_at: dt.datetime | str):
    body = {"starts_at": str(starts_at), "ends_at": str(ends_at), "kind": "available"}
    return client.post("/api/v1/availability/", body, format="json")


def test_practitioner_adds_a_window_and_gets_it_back_in_london_time(world, client_for):
    starts = (timezone.now() + dt.timedelta(days=2)).replace(microsecond=0)

    response = _post(
        client_for(world.practitioner_x.user), starts.isoformat(), starts + dt.timedelta(hours=12)
    )

    assert response.status_code == 201
    body = response.json()
    assert dt.datetime.fromisoformat(body["starts_at"]) == starts
    assert body["practitioner"] == world.practitioner_x.id


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "message"),
    [
        # A year-199 time in Europe/London renders with a -00:01:15 offset: not an RFC 3339 time.
        ("0199-09-15T11:18:48Z", "0199-09-16T11:18:48Z", "The window must end in the future."),
        ("2020-01-01T08:00:00Z", "2020-01-01T20:00:00Z", "The window must end in the future."),
        (
            "2099-01-01T08:00:00Z",
            "2099-03-01T08:00:00Z",
            "A window can be 31 days at most: add another for longer.",
        ),
        ("2099-01-01T08:00:00Z", "2099-01-01T08:00:00Z", "The end must be after the start."),
    ],
)
def test_a_window_out_of_bounds_is_refused_and_nothing_is_stored(
    world, client_for, starts_at, ends_at, message
):
    before = Availability.objects.count()

    response = _post(client_for(world.practitioner_x.user), starts_at, ends_at)

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "message": "Some fields are invalid.",
        "extra": {"fields": {"ends_at": [message]}},
    }
    assert Availability.objects.count() == before
