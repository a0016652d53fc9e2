from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.throttling import ScopedRateThrottle

from backend.core.models import AuditEvent
from tests import factories as f

URL = "/api/v1/auth/token/"
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_token_from_login_authenticates_api_calls(api_client):
    user = f.TrustUserFactory(username="staffing.office")

    token = api_client.post(URL, {"username": "staffing.office", "password": PASSWORD}, format="json").json()[
        "token"
    ]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get("/api/v1/auth/user/")

    assert me.status_code == 200
    assert (me.json()["username"], me.json()["kind"], me.json()["trust"]) == (
        "staffing.office",
        "trust_staff",
        user.trust_id,
    )


@pytest.mark.django_db
def test_unknown_user_and_wrong_password_get_the_same_answer(api_client):
    f.TrustUserFactory(username="staffing.office")

    wrong_password = api_client.post(URL, {"username": "staffing.office", "password": "nope"}, format="json")
    unknown_user = api_client.post(URL, {"username": "nobody.here", "password": "nope"}, format="json")

    assert wrong_password.status_code == unknown_user.status_code == 400
    assert (
        wrong_password.json()
        == unknown_user.json()
        == {
            "code": "invalid_credentials",
            "message": "Username or password is incorrect.",
            "extra": {},
        }
    )
    assert AuditEvent.objects.filter(action="login_failed").count() == 2


@pytest.mark.django_db
def test_login_is_throttled_after_the_configured_rate(api_client, monkeypatch):
    # Per day: the throttle counts fixed windows, and four requests never straddle a day's boundary.
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "3/day"})
    f.TrustUserFactory(username="staffing.office")

    statuses = [
        api_client.post(URL, {"username": "staffing.office", "password": "guess"}, format="json").status_code
        for _ in range(3)
    ]
    refused = api_client.post(URL, {"username": "staffing.office", "password": PASSWORD}, format="json")

    assert statuses == [400, 400, 400]
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 1 <= refused.json()["extra"]["retry_after_seconds"] <= 86400


@pytest.mark.django_db
def test_logout_revokes_the_token(api_client):
    f.TrustUserFactory(username="staffing.office")
    token = api_client.post(URL, {"username": "staffing.office", "password": PASSWORD}, format="json").json()[
        "token"
    ]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert api_client.post("/api/v1/auth/logout/").status_code == 204
    assert api_client.get("/api/v1/auth/user/").status_code == 401
