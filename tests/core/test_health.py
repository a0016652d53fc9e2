"""/healthz: the process is up. /readyz: its database and broker answer (503 with details if not)."""

from __future__ import annotations

import pytest

from backend.celery import app as celery_app

pytestmark = pytest.mark.django_db


@pytest.fixture
def broken_broker(settings, monkeypatch):
    """Point the Celery app at a closed port, then put it back. Celery reads CELERY_BROKER_URL from
    the environment before its own configuration, so both change."""
    original = celery_app.conf.broker_url
    closed = "redis://127.0.0.1:1/0"
    monkeypatch.setenv("CELERY_BROKER_URL", closed)
    settings.CELERY_BROKER_URL = closed
    celery_app.conf.broker_url = closed
    yield closed
    celery_app.conf.broker_url = original


def test_healthz_is_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ok_when_database_and_broker_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok"},
        "broker": "redis",
    }


def test_readyz_is_503_naming_the_broker_when_it_does_not_answer(client, broken_broker):
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] == "OperationalError"
    assert body["broker"] == "redis"
