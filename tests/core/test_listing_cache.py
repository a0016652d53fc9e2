"""Cached listings are exact: a page is stored under the listing version that database triggers
move on every change, and never while a write to a listed table is in flight (the race between a
writer's statement and its commit)."""

from __future__ import annotations

import datetime as dt

import psycopg2
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from backend.core import listing_cache
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)  # the triggers and the cache need commits


@pytest.fixture
def trust_scene():
    trust = f.TrustFactory()
    ward = f.WardFactory(site=f.SiteFactory(trust=trust))
    shortfall = f.shift(ward, in_hours=30)
    return {"trust_user": f.TrustUserFactory(trust=trust), "ward": ward, "shortfall": shortfall}


def _headcounts(client) -> list[int]:
    response = client.get("/api/v1/shortfalls/")
    assert response.status_code == 200
    return [row["headcount"] for row in response.json()["results"]]


def _other_session():
    db = settings.DATABASES["default"]
    return psycopg2.connect(
        dbname=connection.settings_dict["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432
    )


def test_every_committed_change_moves_the_version_and_a_no_op_does_not(trust_scene):
    before = listing_cache.read_version().number
    trust_scene["shortfall"].save(update_fields=["headcount"])
    moved = listing_cache.read_version().number
    type(trust_scene["shortfall"]).objects.filter(id=-1).update(headcount=2)  # changes no row

    assert moved > before
    assert listing_cache.read_version().number == moved


def test_a_cached_list_follows_every_change(trust_scene, client_for):
    client = client_for(trust_scene["trust_user"])
    assert _headcounts(client) == [1]
    assert _headcounts(client) == [1]  # served from the cache

    f.shift(trust_scene["ward"], in_hours=40, headcount=3)

    assert _headcounts(client) == [1, 3]


def test_a_page_built_while_a_write_is_in_flight_is_not_stored(trust_scene, client_for):
    client = client_for(trust_scene["trust_user"])
    writer = _other_session()
    try:
        with writer.cursor() as cursor:  # the statement moves the version; the rows show at commit
            cursor.execute(
                "UPDATE jobs_shortfall SET headcount = 5 WHERE id = %s", [trust_scene["shortfall"].id]
            )
        assert _headcounts(client) == [1]  # built from the rows before the commit
        writer.commit()
    finally:
        writer.close()

    assert _headcounts(client) == [5]  # not the page built during the write (same version number)


def test_the_cache_is_per_caller_and_per_filter(trust_scene, client_for):
    other_trust_user = f.TrustUserFactory(trust=f.TrustFactory())
    client = client_for(trust_scene["trust_user"])
    assert _headcounts(client) == [1]

    assert _headcounts(client_for(other_trust_user)) == []
    assert client.get("/api/v1/shortfalls/?status=cancelled").json()["results"] == []
    assert client.get("/api/v1/shortfalls/?status=nonsense").status_code == 400


@pytest.fixture
def roles_scene():
    agency = f.AgencyFactory()
    ward = f.WardFactory(site=f.SiteFactory(trust=f.TrustFactory(agency=agency)))
    person = f.qualified_practitioner(agency)
    shortfall = f.shift(ward, in_hours=30)
    return {"person": person, "shortfall": shortfall, "ward": ward}


def _role_ids(client) -> list[int]:
    response = client.get("/api/v1/roles/")
    assert response.status_code == 200
    return [row["shortfall"] for row in response.json()["results"]]


def test_cached_roles_follow_the_callers_own_data(roles_scene, client_for):
    client = client_for(roles_scene["person"].user)
    assert _role_ids(client) == [roles_scene["shortfall"].id]
    assert _role_ids(client) == [roles_scene["shortfall"].id]

    # Credentials are not a listing table: the caller's own data, read fresh, is part of the key.
    roles_scene["person"].credentials.filter(credential_type__code="dbs_adult").delete()

    assert _role_ids(client) == []


def test_cached_roles_drop_a_shift_once_it_has_started(roles_scene, client_for, monkeypatch):
    client = client_for(roles_scene["person"].user)
    later = f.shift(roles_scene["ward"], in_hours=60)
    assert _role_ids(client) == [roles_scene["shortfall"].id, later.id]

    started = roles_scene["shortfall"].starts_at + dt.timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: started)

    assert _role_ids(client) == [later.id]


def test_every_listing_table_has_its_triggers():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE %s",
            ["%\\_listing\\_%"],
        )
        tables = {name for (name,) in cursor.fetchall()}

    assert tables == set(listing_cache.LISTING_TABLES)
