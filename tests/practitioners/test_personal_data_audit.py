"""Every read and write of a practitioner's personal data leaves an append-only audit row."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from backend.core.models import AuditEvent
from tests import factories as f
from tests.api.world import build_world


@pytest.fixture
def world(db):
    return build_world()


def _events(practitioner_id: int) -> list[tuple]:
    return list(
        AuditEvent.objects.filter(practitioner_id=practitioner_id)
        .order_by("id")
        .values_list("actor__username", "action", "subject_type", "path")
    )


def test_agency_reading_a_practitioner_is_audited_with_who_and_where(world, client_for):
    x = world.practitioner_x

    response = client_for(world.users["agency"]).get(f"/api/v1/practitioners/{x.id}/", REMOTE_ADDR="10.1.2.3")

    assert response.status_code == 200
    event = AuditEvent.objects.get(practitioner_id=x.id)
    assert (event.actor.username, event.action, event.subject_type, event.subject_id, event.ip_address) == (
        "agency_user",
        "read",
        "practitioner",
        str(x.id),
        "10.1.2.3",
    )


def test_list_page_audits_each_practitioner_shown(world, client_for):
    client_for(world.users["agency"]).get("/api/v1/practitioners/")

    assert _events(world.practitioner_x.id) == [
        ("agency_user", "read", "practitioner", "/api/v1/practitioners/")
    ]
    assert _events(world.practitioner_y.id) == [
        ("agency_user", "read", "practitioner", "/api/v1/practitioners/")
    ]


def test_practitioner_updating_their_profile_is_audited_with_the_fields(world, client_for):
    x = world.practitioner_x

    client_for(x.user).patch("/api/v1/me/", {"travel_radius_km": 12, "phone": "07700 900123"}, format="json")

    event = AuditEvent.objects.filter(practitioner_id=x.id, action="update").get()
    assert event.detail == {"fields": ["phone", "travel_radius_km"]}
    x.refresh_from_db()
    assert (x.travel_radius_km, x.phone) == (12, "07700 900123")


def test_refused_read_of_another_agencys_practitioner_leaves_no_read_event(world, client_for):
    response = client_for(world.users["agency_b"]).get(f"/api/v1/practitioners/{world.practitioner_x.id}/")

    assert response.status_code == 404
    assert _events(world.practitioner_x.id) == []


def test_verifying_a_credential_is_audited_and_a_second_verify_is_409(world, client_for):
    client = client_for(world.users["agency"])
    url = f"/api/v1/credentials/{world.credential_x.id}/verify/"

    first, second = client.post(url), client.post(url)

    assert (first.status_code, second.status_code) == (200, 409)
    assert second.json()["code"] == "credential_already_verified"
    assert AuditEvent.objects.filter(action="verify", practitioner_id=world.practitioner_x.id).count() == 1


def test_audit_rows_cannot_be_updated_or_deleted_in_the_database(world, client_for):
    client_for(world.users["agency"]).get(f"/api/v1/practitioners/{world.practitioner_x.id}/")
    event = AuditEvent.objects.get(practitioner_id=world.practitioner_x.id)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        event.action = "delete"
        event.save()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        event.delete()

    assert AuditEvent.objects.get(id=event.id).action == "read"


def test_agency_admin_asks_who_accessed_this_person(world, client_for):
    x = world.practitioner_x
    client_for(world.users["agency"]).get(f"/api/v1/practitioners/{x.id}/")
    client_for(x.user).get("/api/v1/me/")

    body = client_for(world.users["agency"]).get("/api/v1/audit/", {"subject": x.id}).json()

    assert [(e["actor"], e["action"], e["path"]) for e in body["results"]] == [
        ("prac_x", "read", "/api/v1/me/"),
        ("agency_user", "read", f"/api/v1/practitioners/{x.id}/"),
    ]


def test_an_agency_admin_sees_nothing_about_another_agencys_people(world, client_for):
    other_admin = f.AgencyUserFactory(agency=world.agency_b, is_agency_admin=True)
    client_for(world.users["agency"]).get(f"/api/v1/practitioners/{world.practitioner_x.id}/")

    body = client_for(other_admin).get("/api/v1/audit/", {"subject": world.practitioner_x.id}).json()

    assert body["results"] == []
