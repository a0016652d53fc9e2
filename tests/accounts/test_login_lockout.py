"""The login lockout holds under a parallel burst (issue 8): 20 guesses sent at the same instant, on
real threads against PostgreSQL and Redis, get at most 10 passwords checked, through the API token
login and the web login alike, and an unknown username is answered exactly like a known one. The
per-address rate limit of the API login holds under the same burst."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from backend.accounts import lockout
from backend.core.models import AuditEvent
from tests import factories as f
from tests.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

API_URL = "/api/v1/auth/token/"
WEB_URL = "/login/"
PASSWORD = "correct horse battery staple"  # tests/factories.UserFactory
INVALID = {"code": "invalid_credentials", "message": "Username or password is incorrect.", "extra": {}}
BURST = 20


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """The real configured cache (Redis under the test settings) under a key prefix of its own, so
    attempt counters never leak between tests or runs."""
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for name, config in django_settings.CACHES.items()
    }


@pytest.fixture(autouse=True)
def known_user():
    return f.TrustUserFactory(username="staffing.office")


def api_login(username: str, password: str):
    return APIClient().post(API_URL, {"username": username, "password": password}, format="json")


def web_login(username: str, password: str):
    return Client().post(WEB_URL, {"username": username, "password": password})


def failed_logins(username: str) -> tuple[int, int]:
    """(password checked and wrong, refused by the lockout without a check)"""
    events = list(AuditEvent.objects.filter(action="login_failed", subject_id=username))
    locked = sum(1 for event in events if event.detail == {"locked_out": True})
    return len(events) - locked, locked


@pytest.mark.parametrize("username", ["staffing.office", "nobody.here"])
def test_twenty_parallel_api_guesses_check_ten_passwords_and_all_get_the_same_answer(username):
    responses = race([lambda: api_login(username, "a guess")] * BURST)

    assert [(r.status_code, r.json()) for r in responses] == [(400, INVALID)] * BURST
    assert failed_logins(username) == (lockout.LIMIT, BURST - lockout.LIMIT)
    after = api_login(username, PASSWORD)
    assert (after.status_code, after.json()) == (400, INVALID)


@pytest.mark.parametrize("username", ["staffing.office", "nobody.here"])
def test_twenty_parallel_web_guesses_check_ten_passwords_and_all_get_the_same_page(username):
    responses = race([lambda: web_login(username, "a guess")] * BURST)

    assert [r.status_code for r in responses] == [200] * BURST
    assert all(INVALID["message"] in r.content.decode() for r in responses)
    assert failed_logins(username) == (lockout.LIMIT, BURST - lockout.LIMIT)
    browser = Client()
    refused = browser.post(WEB_URL, {"username": username, "password": PASSWORD})
    assert refused.status_code == 200
    assert "_auth_user_id" not in browser.session


def test_the_lockout_is_per_address(known_user):
    race([lambda: api_login("staffing.office", "a guess")] * BURST)

    other_address = APIClient(REMOTE_ADDR="192.0.2.7").post(
        API_URL, {"username": "staffing.office", "password": PASSWORD}, format="json"
    )

    assert other_address.status_code == 200
    assert set(other_address.json()) == {"token"}


def test_a_successful_login_starts_a_fresh_window():
    for _ in range(lockout.LIMIT - 1):
        api_login("staffing.office", "a guess")
    assert api_login("staffing.office", PASSWORD).status_code == 200

    responses = race([lambda: api_login("staffing.office", "a guess")] * BURST)

    assert [r.status_code for r in responses] == [400] * BURST
    assert failed_logins("staffing.office") == (2 * lockout.LIMIT - 1, BURST - lockout.LIMIT)


def test_the_per_address_rate_limit_holds_under_a_parallel_burst(monkeypatch):
    # Per day, so the burst never straddles a window boundary; distinct usernames, so the per-user
    # lockout is not what refuses them.
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "5/day"})

    responses = race([lambda n=n: api_login(f"guesser{n}", "a guess") for n in range(BURST)])

    assert sorted(r.status_code for r in responses) == [400] * 5 + [429] * (BURST - 5)
    refused = next(r.json() for r in responses if r.status_code == 429)
    assert refused["code"] == "throttled"
    assert 1 <= refused["extra"]["retry_after_seconds"] <= 86400


def test_rotating_x_forwarded_for_dodges_neither_the_lockout_nor_the_rate_limit(monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "12/day"})

    def guess(n: int):
        return APIClient().post(
            API_URL,
            {"username": "staffing.office", "password": "a guess"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )

    statuses = [guess(n).status_code for n in range(14)]

    assert statuses == [400] * 12 + [429] * 2
    assert failed_logins("staffing.office") == (lockout.LIMIT, 2)
    assert set(AuditEvent.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}
