from __future__ import annotations

import pytest


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient  # imported here: engine tests run without Django

    return APIClient()


@pytest.fixture
def client_for():
    """An APIClient authenticated as the given user (force_authenticate: auth itself is tested apart)."""

    from rest_framework.test import APIClient

    def make(user) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture(autouse=True)
def _taxonomy(request):
    """Transactional tests flush the database, data-migration rows included: put the taxonomy back."""
    if "django_db_setup" not in request.fixturenames:
        return
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction", False)
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.apps import apps

    from backend.organisations.taxonomy_data import seed_taxonomy

    if not apps.get_model("organisations", "Role").objects.exists():
        seed_taxonomy(apps.get_model)


@pytest.fixture(autouse=True)
def _fresh_matching_snapshot():
    """The matching snapshot is per process and lives SNAPSHOT_TTL seconds: tests start without one."""
    from matching.candidates import policy_cache, snapshot, ward_cache

    for cache in (snapshot, ward_cache, policy_cache):
        cache.invalidate()
    yield
    for cache in (snapshot, ward_cache, policy_cache):
        cache.invalidate()


@pytest.fixture(scope="session", autouse=True)
def _empty_test_broker():
    """Tests that commit publish real messages to the test broker (its own Redis database); no
    worker consumes them there, so start and end each run with that database empty."""
    from django.conf import settings

    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        yield
        return
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.flushdb()
    yield
    client.flushdb()
