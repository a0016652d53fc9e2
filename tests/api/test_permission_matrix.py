"""Every API route x every kind of caller: allowed, 404 (another tenant's object) or 401/403 (the
wrong kind of user), and on any refusal nothing in the database changed.

The matrix must cover every operation in the OpenAPI schema: a new route without a row here fails
test_matrix_covers_every_route_in_the_schema.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.fields.files import FieldFile
from django.forms.models import model_to_dict
from drf_spectacular.generators import SchemaGenerator

from tests import factories as f
from tests.api.world import PASSWORD, World, build_world, shift_body

HISTORY_CSV = b"trust,ward,shifts,first_worked,last_worked\nTrust A,Willow Ward,3,2025-01-01,2025-06-01\n"
ACTORS = ["agency", "agency_b", "trust_a", "trust_b", "practitioner_x", "practitioner_y", "anonymous"]


def expect(agency, agency_b, trust_a, trust_b, practitioner_x, practitioner_y, anonymous=401) -> dict:
    return dict(
        agency=agency,
        agency_b=agency_b,
        trust_a=trust_a,
        trust_b=trust_b,
        practitioner_x=practitioner_x,
        practitioner_y=practitioner_y,
        anonymous=anonymous,
    )


STAFF_LIST = expect(200, 200, 200, 200, 403, 403)
AGENCY_CREATE = expect(201, 201, 403, 403, 403, 403)
TRUST_A_OBJECT_READ = expect(200, 404, 200, 404, 403, 403)
TRUST_A_OBJECT_WRITE = expect(200, 404, 403, 403, 403, 403)
AGENCY_ONLY_LIST = expect(200, 200, 403, 403, 403, 403)
AGENCY_X_OBJECT = expect(200, 404, 403, 403, 403, 403)
OWN_LIST = expect(200, 200, 403, 403, 200, 200)
PRACTITIONER_CREATE = expect(403, 403, 403, 403, 201, 201)
X_OBJECT_READ = expect(200, 404, 403, 403, 200, 404)
X_OBJECT_WRITE = expect(403, 403, 403, 403, 200, 404)
ME = expect(403, 403, 403, 403, 200, 200)
ANY_USER = expect(200, 200, 200, 200, 200, 200)


def _started_booking_x(w: World):
    """Practitioner X's booking on trust A's shift that started two hours ago (no-show window)."""
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=2)
    return f.BookingFactory(
        practitioner=w.booking_x.practitioner,
        shortfall=f.ShortfallFactory(
            ward=w.booking_x.shortfall.ward,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=12),
            status="filled",
        ),
    )


def _site_body(w: World) -> dict:
    return {"trust": w.trust_a.id, "name": "New Site", "latitude": 53.4, "longitude": -2.2}


def _ward_body(w: World) -> dict:
    return {"site": w.site_a.id, "name": "Rowan Ward", "setting": "picu", "latitude": 53.4, "longitude": -2.2}


def _practitioner_body(w: World, username: str = "new_nurse") -> dict:
    return {
        "username": username,
        "first_name": "Sam",
        "last_name": "Okafor",
        "email": f"{username}@example.org",
        "role": "rmn",
        "band": 5,
        "gender": "male",
        "home_latitude": 53.45,
        "home_longitude": -2.22,
        "hourly_rate": "31.00",
    }


def _availability_body(w: World) -> dict:
    start = dt.datetime(2027, 1, 4, 7, 0, tzinfo=dt.UTC)
    return {"starts_at": start.isoformat(), "ends_at": (start + dt.timedelta(hours=12)).isoformat()}


# (method, schema path) -> (expected status by actor, path kwargs from the world, body from the world)
MATRIX = {
    ("post", "/api/v1/auth/token/"): (
        expect(200, 200, 200, 200, 200, 200, anonymous=400),
        None,
        "login",
    ),
    ("post", "/api/v1/auth/logout/"): (expect(204, 204, 204, 204, 204, 204), None, None),
    ("get", "/api/v1/auth/user/"): (ANY_USER, None, None),
    ("get", "/api/v1/ping/"): (ANY_USER, None, None),  # make bench-load's framework floor
    # agency_b's user is not an agency admin: only the audit reader of the agency may look.
    ("get", "/api/v1/audit/"): (expect(200, 403, 403, 403, 403, 403), None, None),
    ("get", "/api/v1/trusts/"): (STAFF_LIST, None, None),
    ("post", "/api/v1/trusts/"): (AGENCY_CREATE, None, lambda w: {"name": "Trust C", "ods_code": "RCC"}),
    ("get", "/api/v1/trusts/{id}/"): (TRUST_A_OBJECT_READ, lambda w: w.trust_a.id, None),
    ("put", "/api/v1/trusts/{id}/"): (
        TRUST_A_OBJECT_WRITE,
        lambda w: w.trust_a.id,
        lambda w: {"name": "Trust A renamed", "ods_code": "RAA"},
    ),
    ("patch", "/api/v1/trusts/{id}/"): (
        TRUST_A_OBJECT_WRITE,
        lambda w: w.trust_a.id,
        lambda w: {"escalate_hours_before": 6},
    ),
    ("get", "/api/v1/sites/"): (STAFF_LIST, None, None),
    ("post", "/api/v1/sites/"): (expect(201, 400, 403, 403, 403, 403), None, _site_body),
    ("get", "/api/v1/sites/{id}/"): (TRUST_A_OBJECT_READ, lambda w: w.site_a.id, None),
    ("put", "/api/v1/sites/{id}/"): (TRUST_A_OBJECT_WRITE, lambda w: w.site_a.id, _site_body),
    ("patch", "/api/v1/sites/{id}/"): (
        TRUST_A_OBJECT_WRITE,
        lambda w: w.site_a.id,
        lambda w: {"postcode": "M1 1AA"},
    ),
    ("get", "/api/v1/wards/"): (STAFF_LIST, None, None),
    ("post", "/api/v1/wards/"): (expect(201, 400, 403, 403, 403, 403), None, _ward_body),
    ("get", "/api/v1/wards/{id}/"): (TRUST_A_OBJECT_READ, lambda w: w.ward_a.id, None),
    ("put", "/api/v1/wards/{id}/"): (TRUST_A_OBJECT_WRITE, lambda w: w.ward_a.id, _ward_body),
    ("patch", "/api/v1/wards/{id}/"): (TRUST_A_OBJECT_WRITE, lambda w: w.ward_a.id, lambda w: {"beds": 20}),
    ("get", "/api/v1/practitioners/"): (AGENCY_ONLY_LIST, None, None),
    ("post", "/api/v1/practitioners/"): (AGENCY_CREATE, None, _practitioner_body),
    ("get", "/api/v1/practitioners/{id}/"): (AGENCY_X_OBJECT, lambda w: w.practitioner_x.id, None),
    ("put", "/api/v1/practitioners/{id}/"): (
        AGENCY_X_OBJECT,
        lambda w: w.practitioner_x.id,
        lambda w: _practitioner_body(w, username="prac_x"),
    ),
    ("patch", "/api/v1/practitioners/{id}/"): (
        AGENCY_X_OBJECT,
        lambda w: w.practitioner_x.id,
        lambda w: {"travel_radius_km": 45},
    ),
    ("post", "/api/v1/practitioners/{id}/history/"): (
        expect(201, 404, 403, 403, 403, 403),
        lambda w: w.practitioner_x.id,
        "history_csv",
    ),
    ("get", "/api/v1/me/"): (ME, None, None),
    ("patch", "/api/v1/me/"): (ME, None, lambda w: {"travel_radius_km": 25}),
    ("get", "/api/v1/credentials/"): (OWN_LIST, None, None),
    ("post", "/api/v1/credentials/"): (
        PRACTITIONER_CREATE,
        None,
        lambda w: {"credential_type": "pmva_rrn", "issued_on": "2026-01-10", "expires_on": "2027-01-10"},
    ),
    ("get", "/api/v1/credentials/{id}/"): (X_OBJECT_READ, lambda w: w.credential_x.id, None),
    ("post", "/api/v1/credentials/{id}/verify/"): (
        expect(200, 404, 403, 403, 403, 403),
        lambda w: w.credential_x.id,
        None,
    ),
    ("get", "/api/v1/availability/"): (OWN_LIST, None, None),
    ("post", "/api/v1/availability/"): (PRACTITIONER_CREATE, None, _availability_body),
    ("get", "/api/v1/availability/{id}/"): (X_OBJECT_READ, lambda w: w.availability_x.id, None),
    ("put", "/api/v1/availability/{id}/"): (
        X_OBJECT_WRITE,
        lambda w: w.availability_x.id,
        _availability_body,
    ),
    ("patch", "/api/v1/availability/{id}/"): (
        X_OBJECT_WRITE,
        lambda w: w.availability_x.id,
        lambda w: {"note": "school run"},
    ),
    ("delete", "/api/v1/availability/{id}/"): (
        expect(403, 403, 403, 403, 204, 404),
        lambda w: w.availability_x.id,
        None,
    ),
    ("get", "/api/v1/shortfalls/"): (STAFF_LIST, None, None),
    # trust B and the other agency cannot see ward A: it is an unknown ward to them (400, nothing written).
    ("post", "/api/v1/shortfalls/"): (expect(201, 400, 201, 400, 403, 403), None, shift_body),
    ("get", "/api/v1/shortfalls/{id}/"): (TRUST_A_OBJECT_READ, lambda w: w.shortfall_a.id, None),
    ("get", "/api/v1/shortfalls/{id}/candidates/"): (TRUST_A_OBJECT_READ, lambda w: w.shortfall_a.id, None),
    ("get", "/api/v1/roles/"): (expect(403, 403, 403, 403, 200, 200), None, None),
    ("post", "/api/v1/assignments/preview/"): (AGENCY_ONLY_LIST, None, lambda w: {"time_limit": 2}),
    ("get", "/api/v1/shortfalls/{id}/cascade/"): (TRUST_A_OBJECT_READ, lambda w: w.shortfall_a.id, None),
    ("post", "/api/v1/shortfalls/{id}/broaden/"): (
        expect(200, 404, 403, 403, 403, 403),
        lambda w: w.shortfall_a.id,
        lambda w: {"extra_radius_km": 10},
    ),
    ("get", "/api/v1/offers/"): (expect(403, 403, 403, 403, 200, 200), None, None),
    ("get", "/api/v1/offers/{id}/"): (expect(403, 403, 403, 403, 200, 404), lambda w: w.offer_x.id, None),
    ("post", "/api/v1/offers/{id}/accept/"): (
        expect(403, 403, 403, 403, 201, 404),
        lambda w: w.offer_x.id,
        None,
    ),
    ("post", "/api/v1/offers/{id}/decline/"): (
        expect(403, 403, 403, 403, 200, 404),
        lambda w: w.offer_x.id,
        lambda w: {"reason": "On holiday"},
    ),
    ("get", "/api/v1/bookings/"): (expect(200, 200, 200, 200, 200, 200), None, None),
    ("get", "/api/v1/bookings/{id}/"): (expect(200, 404, 200, 404, 200, 404), lambda w: w.booking_x.id, None),
    ("post", "/api/v1/bookings/{id}/cancel/"): (
        expect(200, 404, 200, 404, 200, 404),
        lambda w: w.booking_x.id,
        lambda w: {"reason": "Unwell"},
    ),
    ("post", "/api/v1/bookings/{id}/feedback/"): (
        expect(201, 404, 201, 404, 403, 403),
        lambda w: w.completed_booking_x.id,
        lambda w: {"rating": 5, "would_book_again": True},
    ),
    ("post", "/api/v1/bookings/{id}/no-show/"): (
        expect(200, 404, 200, 404, 403, 403),
        lambda w: _started_booking_x(w).id,
        lambda w: {"reason": "Did not arrive"},
    ),
    ("post", "/api/v1/bookings/{id}/ward-feedback/"): (
        expect(403, 403, 403, 403, 201, 404),
        lambda w: w.completed_booking_x.id,
        lambda w: {"induction": 4, "supervision": 5, "felt_safe": True},
    ),
    ("post", "/api/v1/shortfalls/{id}/cancel/"): (
        expect(200, 404, 200, 404, 403, 403),
        lambda w: w.shortfall_a.id,
        lambda w: {"reason": "Ward closed to admissions"},
    ),
    # Analytics: staff read their own scope (agency_b sees an empty report), practitioners may not.
    ("get", "/api/v1/fill-rates/"): (STAFF_LIST, None, None),
    ("get", "/api/v1/fill-rates/series/"): (STAFF_LIST, None, None),
    ("get", "/api/v1/shortfalls/urgent/"): (STAFF_LIST, None, None),
    # notifications: the inbox and preferences are every user's own; calendar is practitioners'.
    ("get", "/api/v1/notifications/"): (ANY_USER, None, None),
    ("get", "/api/v1/notifications/unread-count/"): (ANY_USER, None, None),
    ("post", "/api/v1/notifications/{id}/read/"): (
        expect(404, 404, 404, 404, 200, 404),
        lambda w: w.notification_x.id,
        None,
    ),
    ("post", "/api/v1/notifications/read-all/"): (ANY_USER, None, None),
    ("get", "/api/v1/me/notification-preferences/"): (ANY_USER, None, None),
    ("put", "/api/v1/me/notification-preferences/"): (
        ANY_USER,
        None,
        lambda w: {
            "channels": {"offer": ["email"]},
            "quiet_hours_start": "21:00",
            "quiet_hours_end": "07:00",
        },
    ),
    ("get", "/api/v1/me/calendar/"): (ME, None, None),
    ("post", "/api/v1/me/calendar/"): (expect(403, 403, 403, 403, 201, 201), None, None),
    ("delete", "/api/v1/me/calendar/"): (expect(403, 403, 403, 403, 204, 204), None, None),
    ("get", "/api/v1/deliveries/"): (AGENCY_ONLY_LIST, None, None),
    ("get", "/api/v1/webhook-endpoints/"): (AGENCY_ONLY_LIST, None, None),
    # the other agency cannot see trust A: an unknown trust to it (400, nothing written).
    ("post", "/api/v1/webhook-endpoints/"): (
        expect(201, 400, 403, 403, 403, 403),
        None,
        lambda w: {"trust": w.trust_a.id, "url": "https://trust-a.example.nhs.uk/other-hooks"},
    ),
    ("get", "/api/v1/webhook-endpoints/{id}/"): (AGENCY_X_OBJECT, lambda w: w.webhook_endpoint_a.id, None),
    ("put", "/api/v1/webhook-endpoints/{id}/"): (
        AGENCY_X_OBJECT,
        lambda w: w.webhook_endpoint_a.id,
        lambda w: {
            "trust": w.trust_a.id,
            "url": "https://trust-a.example.nhs.uk/v2",
            "events": ["shortfall.filled"],
        },
    ),
    ("patch", "/api/v1/webhook-endpoints/{id}/"): (
        AGENCY_X_OBJECT,
        lambda w: w.webhook_endpoint_a.id,
        lambda w: {"is_active": False},
    ),
    ("delete", "/api/v1/webhook-endpoints/{id}/"): (
        expect(204, 404, 403, 403, 403, 403),
        lambda w: w.webhook_endpoint_a.id,
        None,
    ),
}


def _schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method, path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_matrix_covers_every_route_in_the_schema():
    operations = _schema_operations()

    missing = sorted(operations - MATRIX.keys())
    stale = sorted(MATRIX.keys() - operations)

    assert missing == [], f"routes without a permission-matrix row: {missing}"
    assert stale == [], f"matrix rows for routes that no longer exist: {stale}"


def _snapshot() -> dict:
    """Every row of every project model, so a refused request can be shown to change nothing."""
    state = {}
    for model in apps.get_models():
        if model._meta.app_label in {"core", "sessions", "admin", "contenttypes", "auth"}:
            continue  # audit rows are written on purpose (reads are audited); sessions are not data
        rows = [model_to_dict(row) for row in model.objects.order_by("pk")]
        for row in rows:
            for key, value in list(row.items()):
                if isinstance(value, FieldFile):
                    row[key] = value.name
                elif isinstance(value, list):
                    row[key] = sorted(getattr(v, "pk", v) for v in value)
        state[model._meta.label] = rows
    return state


CASES = [(op, actor) for op in MATRIX for actor in ACTORS]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("operation", "actor"), CASES, ids=[f"{m.upper()} {p} as {a}" for (m, p), a in CASES]
)
def test_permission_matrix(operation, actor, client_for):
    world = build_world()
    method, path = operation
    expected_by_actor, path_id, body_for = MATRIX[operation]
    expected = expected_by_actor[actor]
    user = world.users[actor]
    url = path.format(id=path_id(world)) if path_id else path
    client = client_for(user)
    before = _snapshot()

    if body_for == "login":
        login = {"username": user.username if user else "nobody", "password": PASSWORD}
        response = client.post(url, login, format="json")
    elif body_for == "history_csv":
        upload = SimpleUploadedFile("history.csv", HISTORY_CSV)
        response = client.post(url, {"file": upload}, format="multipart")
    elif body_for is not None:
        response = getattr(client, method)(url, body_for(world), format="json")
    else:
        response = getattr(client, method)(url)

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert set(response.json()) == {"code", "message", "extra"}
        assert _snapshot() == before
