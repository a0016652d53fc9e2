"""The web portal: log in (with a throttle), log out, and a landing page per kind of user."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from backend.core.models import AuditEvent
from jobs.models import Shortfall
from tests.factories import (
    AgencyFactory,
    AgencyUserFactory,
    BookingFactory,
    PractitionerFactory,
    ShortfallFactory,
    TrustFactory,
    TrustUserFactory,
    UserFactory,
    WardFactory,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests/factories.UserFactory
INVALID_LOGIN = "Username or password is incorrect."


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """The real configured cache (Redis under the test settings), under a key prefix of its own so
    failed-login counters never leak between tests or test runs."""
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for name, config in django_settings.CACHES.items()
    }


def log_in(client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def test_login_page_has_labelled_inputs(client):
    response = client.get("/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<label class="label" for="id_username">Username</label>' in html
    assert '<label class="label" for="id_password">Password</label>' in html
    assert 'id="id_username"' in html and 'autocomplete="username"' in html
    assert 'id="id_password"' in html and 'autocomplete="current-password"' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


def test_good_credentials_redirect_home_and_are_audited(client):
    user = UserFactory(username="nurse1")

    response = log_in(client, "nurse1", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(user.id)
    assert AuditEvent.objects.filter(action="login", actor=user).count() == 1


def test_wrong_password_and_unknown_user_get_the_same_answer(client):
    UserFactory(username="nurse1")

    wrong_password = log_in(client, "nurse1", "not the password")
    unknown_user = log_in(client, "nobody", "not the password")

    assert wrong_password.status_code == unknown_user.status_code == 200
    assert wrong_password.context["form"].non_field_errors() == [INVALID_LOGIN]
    assert unknown_user.context["form"].non_field_errors() == [INVALID_LOGIN]
    assert INVALID_LOGIN in wrong_password.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="login_failed").count() == 2


def test_eleventh_attempt_is_refused_even_with_the_right_password(client):
    UserFactory(username="nurse1")
    for _ in range(10):
        assert log_in(client, "nurse1", "guess").status_code == 200

    response = log_in(client, "nurse1", PASSWORD)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [INVALID_LOGIN]
    assert "_auth_user_id" not in client.session


def test_nine_failures_do_not_lock_out_and_success_resets_the_count(client):
    UserFactory(username="nurse1")
    for _ in range(9):
        log_in(client, "nurse1", "guess")

    assert log_in(client, "nurse1", PASSWORD).status_code == 302
    client.post("/logout/")
    for _ in range(9):
        log_in(client, "nurse1", "guess")
    assert log_in(client, "nurse1", PASSWORD).status_code == 302


def test_lockout_is_per_username(client):
    UserFactory(username="nurse1")
    UserFactory(username="nurse2")
    for _ in range(10):
        log_in(client, "nurse1", "guess")

    assert log_in(client, "nurse2", PASSWORD).status_code == 302


def test_logout_is_post_and_ends_the_session(client):
    user = UserFactory()
    client.force_login(user)

    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302


def test_home_requires_login(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_practitioner_home_shows_roles_for_you_and_upcoming_bookings(client):
    practitioner = PractitionerFactory()
    booking = BookingFactory(practitioner=practitioner, shortfall__ward__name="Willow Ward")
    past = ShortfallFactory(
        ward__name="Cedar Ward",
        starts_at=timezone.now() - dt.timedelta(days=3),
        ends_at=timezone.now() - dt.timedelta(days=3) + dt.timedelta(hours=12),
    )
    BookingFactory(practitioner=practitioner, shortfall=past, status="completed")
    client.force_login(practitioner.user)

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Roles for you" in html
    assert [b.id for b in response.context["bookings"]] == [booking.id]
    assert "Willow Ward" in html
    assert "Cedar Ward" not in html


def test_trust_staff_see_only_their_own_trusts_open_shortfalls(client):
    own_ward = WardFactory(name="Willow Ward")
    other_ward = WardFactory(name="Birch Ward")
    assert own_ward.trust_id != other_ward.trust_id
    open_own = ShortfallFactory(ward=own_ward)
    ShortfallFactory(ward=own_ward, status=Shortfall.Status.CANCELLED, cancelled_at=timezone.now())
    ShortfallFactory(ward=other_ward)
    staff = TrustUserFactory(trust=own_ward.trust)
    client.force_login(staff)

    response = client.get("/")

    assert response.status_code == 200
    assert [s.id for s in response.context["shortfalls"]] == [open_own.id]
    html = response.content.decode()
    assert "Willow Ward" in html
    assert "Birch Ward" not in html


def test_trust_staff_see_the_latest_twenty(client):
    ward = WardFactory()
    now = timezone.now()
    shortfalls = [ShortfallFactory(ward=ward, posted_at=now - dt.timedelta(minutes=i)) for i in range(22)]
    client.force_login(TrustUserFactory(trust=ward.trust))

    response = client.get("/")

    assert [s.id for s in response.context["shortfalls"]] == [s.id for s in shortfalls[:20]]


def test_agency_staff_see_open_counts_per_trust_and_tool_links(client):
    agency = AgencyFactory(name="Northern Care Staffing")
    north = WardFactory(site__trust=TrustFactory(agency=agency, name="North Trust"))
    south = WardFactory(site__trust=TrustFactory(agency=agency, name="South Trust"))
    ShortfallFactory.create_batch(2, ward=north)
    ShortfallFactory(ward=south)
    ShortfallFactory(ward=south, status=Shortfall.Status.FILLED)
    elsewhere = WardFactory(
        site__trust=TrustFactory(agency=AgencyFactory(name="Other Agency"), name="Far Trust")
    )
    ShortfallFactory(ward=elsewhere)
    client.force_login(AgencyUserFactory(agency=agency))

    response = client.get("/")

    assert response.status_code == 200
    assert response.context["open_by_trust"] == [
        {"trust__name": "North Trust", "open_count": 2},
        {"trust__name": "South Trust", "open_count": 1},
    ]
    html = response.content.decode()
    assert 'href="/admin/"' in html
    assert 'href="/api/docs/"' in html
    assert "Far Trust" not in html
