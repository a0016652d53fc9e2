"""Date-time query filters: any ISO 8601 value is a 200 or a 400, never a database error."""

from __future__ import annotations

import pytest

from tests.api.world import build_world


@pytest.fixture
def world(db):
    return build_world()


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/audit/", "occurred_after"),
        ("/api/v1/audit/", "occurred_before"),
        ("/api/v1/shortfalls/", "starts_after"),
        ("/api/v1/bookings/", "starts_before"),
    ],
)
def test_offset_beyond_postgres_range_is_normalised_to_utc(world, client_for, url, param):
    # Found by the API fuzzer: Python accepts a +20:21 offset, PostgreSQL refused it (a 500).
    response = client_for(world.users["agency"]).get(url, {param: "2724-12-06T19:57:32+20:21"})

    assert response.status_code == 200


def test_value_leaving_datetime_range_in_utc_is_a_validation_error(world, client_for):
    response = client_for(world.users["agency"]).get(
        "/api/v1/shortfalls/", {"starts_after": "0001-01-01T00:00:00+05:00"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "starts_after" in response.json()["extra"]["fields"]
